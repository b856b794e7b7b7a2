"""Text blasts: recipients and exclusions, merge fields, the opt-out instruction, quiet hours, the
line's rate, exactly-once queueing under re-runs, cancelling, STOP attribution, plan and permission."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from contacts_app.carriers.delivery import due_sends
from contacts_app.db import session_scope
from contacts_app.domain import blast_text, consent, users
from contacts_app.domain.blast_queue import due_blast_ids, queue_blast, queue_due_blasts
from contacts_app.domain.blasts import (
    BlastDraft,
    BlastInvalid,
    blast_phase,
    blast_progress,
    blasts_still_sending,
    cancel_blast,
    count_recipients,
    create_blast,
    recipient_rows,
)
from contacts_app.domain.consent import Source
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.domain.inbound import receive_inbound
from contacts_app.domain.lists import add_to_list, create_list
from contacts_app.domain.permissions import Action, PermissionDenied, require, set_account_plan
from contacts_app.domain.quiet_hours import (
    DEFAULT_WINDOW,
    SendingWindowInvalid,
    account_window,
    describe_window,
    set_sending_window,
)
from contacts_app.models import (
    AccountSettings,
    Blast,
    BlastStatus,
    CarrierConnection,
    ConsentStatus,
    Contact,
    Line,
    LineCarrier,
    Message,
    MessageStatus,
)

NEW_YORK = ["+12125550101", "+12125550102", "+12125550103", "+12125550104"]
LONDON = "+442079460000"
# 15:00 in New York, 20:00 in London: inside everyone's window (and after every blast's send time).
AFTERNOON = datetime(2027, 6, 10, 19, 0, tzinfo=UTC)


@pytest.fixture
def shop(engine, line_id):
    """Two overlapping lists: VIP (Ann, Bob, Cat) and Spring (Cat, Dan, Eve in London); Bob opted out."""
    names = ["Ann Archer", "Bob Baker", "Cat Cooper", "Dan Dyer"]
    with session_scope(engine) as session:
        ids = {
            name.split()[0]: create_contact(session, line_id, ContactInput(name, phone)).id
            for name, phone in zip(names, NEW_YORK, strict=True)
        }
        ids["Eve"] = create_contact(session, line_id, ContactInput("Eve Evans", LONDON)).id
        vip = create_list(session, line_id, "VIP").id
        spring = create_list(session, line_id, "Spring").id
        add_to_list(session, line_id, vip, [ids["Ann"], ids["Bob"], ids["Cat"]])
        add_to_list(session, line_id, spring, [ids["Cat"], ids["Dan"], ids["Eve"]])
        consent.opt_out(session, session.get(Contact, ids["Bob"]), Source.MANUAL)
    return {"ids": ids, "vip": vip, "spring": spring}


def blast_to(engine, line_id, list_ids, body="Hi {first_name}, 20% off today", confirmed=None, **fields) -> int:
    draft = BlastDraft(body=body, list_ids=tuple(list_ids), merge_fallback="there", **fields)
    with session_scope(engine) as session:
        return create_blast(session, line_id, draft, confirmed, actor="owner@shop.com").id


def texts_of(engine, blast_id) -> list[Message]:
    with session_scope(engine) as session:
        return list(session.exec(select(Message).where(Message.blast_id == blast_id).order_by(Message.id)))


# --- Words --------------------------------------------------------------------------------


def test_merge_fields_take_the_contacts_name_and_the_fallback_when_it_is_empty():
    assert blast_text.merge("Hi {first_name} ({full_name})", "Ann  Archer", "there") == "Hi Ann (Ann Archer)"
    assert blast_text.merge("Hi {first_name}!", "", "there") == "Hi there!"


def test_unknown_merge_field_is_refused_naming_it(engine, line_id, shop):
    with pytest.raises(BlastInvalid) as invalid:
        blast_to(engine, line_id, [shop["vip"]], body="Hi {last_name}")
    assert invalid.value.errors == {
        "body": "Message: unknown merge field {last_name}; use {full_name} or {first_name}."
    }


def test_a_blast_needs_a_text_and_recipients_and_a_time_still_to_come(engine, line_id):
    with session_scope(engine) as session, pytest.raises(BlastInvalid) as invalid:
        create_blast(session, line_id, BlastDraft(body=" ", send_at=datetime(2020, 1, 1, tzinfo=UTC)), None)
    assert set(invalid.value.errors) == {"body", "lists", "send_at"}


def test_the_counter_names_the_cost_of_the_opt_out_instruction_unless_the_text_mentions_stop():
    assert blast_text.composer_count("Sale today").first_blast_summary.startswith(
        "With “Reply STOP to opt out” on a contact's first blast: 32 characters"
    )
    assert blast_text.composer_count("Sale today. Text STOP to end").first_blast_summary == ""


# --- Who receives it -------------------------------------------------------------------------


def test_recipients_are_counted_once_per_number_with_opted_out_and_duplicates_named(engine, line_id, shop):
    with session_scope(engine) as session:
        count = count_recipients(session, line_id, (shop["vip"], shop["spring"]), False, needs_consent=False)
    assert (count.recipients, count.opted_out, count.no_consent, count.duplicates) == (4, 1, 0, 1)
    assert count.confirm_label == "Send to 4 contacts"


def test_accounts_requiring_consent_leave_out_contacts_without_it(engine, line_id, shop):
    with session_scope(engine) as session:
        confirm_ann(session, shop)
        count = count_recipients(session, line_id, (shop["vip"],), False, needs_consent=True)
    assert (count.recipients, count.opted_out, count.no_consent) == (1, 1, 1)


def test_the_confirmed_number_must_still_be_true_when_the_blast_is_created(engine, line_id, shop):
    with pytest.raises(BlastInvalid) as invalid:
        blast_to(engine, line_id, [shop["vip"]], confirmed=3)
    assert invalid.value.errors == {"confirm": "The recipients changed to 2 since you counted them; confirm again."}


def test_all_contacts_of_the_line_need_no_list(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [], all_contacts=True, confirmed=4)
    queue_blast(engine, blast_id, now=AFTERNOON)
    assert sorted(text.phone for text in texts_of(engine, blast_id)) == sorted([*NEW_YORK[:1], *NEW_YORK[2:], LONDON])


# --- Queueing -------------------------------------------------------------------------------


def test_queueing_writes_one_text_per_number_and_never_one_to_an_opted_out_member(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"], shop["spring"]], confirmed=4)
    result = queue_blast(engine, blast_id, now=AFTERNOON)
    texts = texts_of(engine, blast_id)
    assert result.queued == 4 and result.done
    assert sorted(text.phone for text in texts) == sorted([NEW_YORK[0], NEW_YORK[2], NEW_YORK[3], LONDON])
    assert {text.status for text in texts} == {MessageStatus.QUEUED}
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        progress = blast_progress(session, blast, now=AFTERNOON)
        rows = recipient_rows(session, blast, now=AFTERNOON)
    assert blast.status == BlastStatus.QUEUED
    assert (progress.recipients, progress.queued, progress.skipped_opted_out, progress.duplicates) == (4, 4, 1, 1)
    assert [(row.name, row.status, row.detail) for row in rows if row.status == "skipped"] == [
        ("Bob Baker", "skipped", "Skipped: opted out")
    ]


def test_a_contacts_first_blast_carries_the_opt_out_instruction_and_the_next_does_not(engine, line_id, shop):
    first = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, first, now=AFTERNOON)
    second = blast_to(engine, line_id, [shop["vip"], shop["spring"]])
    queue_blast(engine, second, now=AFTERNOON)
    bodies = {text.phone: text.body for text in texts_of(engine, second)}
    assert [text.body for text in texts_of(engine, first)] == [
        "Hi Ann, 20% off today\nReply STOP to opt out",
        "Hi Cat, 20% off today\nReply STOP to opt out",
    ]
    assert bodies[NEW_YORK[0]] == "Hi Ann, 20% off today"
    assert bodies[NEW_YORK[3]] == "Hi Dan, 20% off today\nReply STOP to opt out"
    assert bodies[LONDON] == "Hi Eve, 20% off today\nReply STOP to opt out"


def test_a_text_that_already_says_how_to_opt_out_gets_no_second_instruction(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]], body="Sale! Text STOP to end.")
    queue_blast(engine, blast_id, now=AFTERNOON)
    assert {text.body for text in texts_of(engine, blast_id)} == {"Sale! Text STOP to end."}


def test_a_rerun_after_a_worker_died_mid_way_never_writes_a_second_text_to_a_number(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"], shop["spring"]])
    queue_blast(engine, blast_id, now=AFTERNOON, batch_size=2)
    # The worker died after writing texts but before its cursor was saved: its claim went stale.
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        blast.status, blast.queued_through_contact_id = BlastStatus.QUEUEING, 0
        blast.queueing_since = AFTERNOON - timedelta(hours=1)
        session.add(blast)
    with session_scope(engine) as session:
        assert due_blast_ids(session, now=AFTERNOON) == [blast_id]
    queue_blast(engine, blast_id, now=AFTERNOON, batch_size=2)
    queue_blast(engine, blast_id, now=AFTERNOON, batch_size=2)
    phones = [text.phone for text in texts_of(engine, blast_id)]
    assert len(phones) == len(set(phones)) == 4


def test_a_blast_held_by_a_live_worker_is_not_taken_by_another(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        blast.status, blast.queueing_since = BlastStatus.QUEUEING, AFTERNOON - timedelta(seconds=10)
        session.add(blast)
    assert queue_blast(engine, blast_id, now=AFTERNOON).queued == 0
    assert texts_of(engine, blast_id) == []


def test_a_scheduled_blast_waits_for_its_time_then_the_scheduler_queues_it(engine, line_id, shop):
    later = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("America/Los_Angeles"))
    blast_id = blast_to(engine, line_id, [shop["vip"]], send_at=later)
    assert queue_due_blasts(engine) == 0
    with session_scope(engine) as session:
        assert due_blast_ids(session, now=later - timedelta(seconds=1)) == []
        assert due_blast_ids(session, now=later + timedelta(seconds=1)) == [blast_id]


def test_outbox_blast_texts_stay_in_the_outbox_for_the_carrier_worker(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=AFTERNOON)
    assert {text.provider for text in texts_of(engine, blast_id)} == {"outbox"}
    with session_scope(engine) as session:
        assert due_sends(session, now=AFTERNOON + timedelta(days=1)) == []
        # The blast's page says where they are, not "Sending".
        waiting = blasts_still_sending(session, [blast_id])
        assert waiting == {blast_id: "outbox"}
        assert blast_phase(session.get(Blast, blast_id), waiting[blast_id]) == "outbox"


# --- Quiet hours and rate ----------------------------------------------------------------------


def test_texts_outside_the_recipients_quiet_hours_are_held_until_their_window_opens(engine, line_id, shop):
    # 03:00 in New York, 08:00 in London (summer time in both).
    night_in_new_york = datetime(2027, 6, 10, 7, 0, tzinfo=UTC)
    blast_id = blast_to(engine, line_id, [shop["spring"]])
    queue_blast(engine, blast_id, now=night_in_new_york)
    texts = {text.phone: text for text in texts_of(engine, blast_id)}
    opens_in_new_york = datetime(2027, 6, 10, 12, 0, tzinfo=UTC)
    assert as_utc(texts[NEW_YORK[2]].held_until) == opens_in_new_york
    assert as_utc(texts[NEW_YORK[2]].send_after) == opens_in_new_york
    assert texts[LONDON].held_until is None
    with session_scope(engine) as session:
        progress = blast_progress(session, session.get(Blast, blast_id), now=night_in_new_york)
        rows = {row.phone: row for row in recipient_rows(session, session.get(Blast, blast_id), now=night_in_new_york)}
    assert (progress.held, progress.queued) == (2, 1)
    assert (rows[NEW_YORK[3]].status, rows[NEW_YORK[3]].detail) == ("held", "Until Jun 10 12:00 UTC")


def test_an_accounts_narrower_window_holds_texts_until_it_opens(engine, line_id, shop):
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        set_sending_window(session, account_id, "10:00", "20:00")
    # 09:00 in New York: inside 8 am to 9 pm, but before the account's 10 am.
    morning_in_new_york = datetime(2027, 6, 10, 13, 0, tzinfo=UTC)
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=morning_in_new_york)
    ten_in_new_york = datetime(2027, 6, 10, 14, 0, tzinfo=UTC)
    assert {as_utc(text.held_until) for text in texts_of(engine, blast_id)} == {ten_in_new_york}


@pytest.mark.parametrize(
    ("opens", "closes", "field", "message"),
    [
        ("07:30", "20:00", "send_window_opens", "Send from: not before 8 am"),
        ("09:00", "21:30", "send_window_closes", "Send until: not after 9 pm"),
        ("12:00", "12:30", "send_window_closes", "Send until: at least an hour after Send from."),
        ("noon", "20:00", "send_window_opens", "Send from: enter a time like 08:00 (got “noon”)."),
    ],
)
def test_a_window_wider_than_the_law_or_unreadable_is_refused(engine, line_id, opens, closes, field, message):
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        with pytest.raises(SendingWindowInvalid) as refused:
            set_sending_window(session, account_id, opens, closes)
        assert refused.value.errors[field].startswith(message)
        assert account_window(session, account_id) == DEFAULT_WINDOW
        assert describe_window(set_sending_window(session, account_id, "09:30", "20:00")) == "9:30 am to 8 pm"


def test_quiet_hours_follow_daylight_saving_in_the_recipients_zone(engine, line_id, shop):
    # 23:30 on 13 March 2027 in New York (EST); the window opens at 8:00 EDT on the 14th = 12:00 UTC.
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=datetime(2027, 3, 14, 4, 30, tzinfo=UTC))
    opening = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    assert {as_utc(text.held_until) for text in texts_of(engine, blast_id)} == {opening}


def connect_carrier(engine, line_id: int, messages_per_second: float = 1) -> None:
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        connection = CarrierConnection(account_id=line.account_id, carrier="twilio", account_sid="AC" + "0" * 32)
        session.add(connection)
        session.flush()
        session.add(LineCarrier(line_id=line_id, connection_id=connection.id, messages_per_second=messages_per_second))


def test_on_a_carrier_line_texts_are_spread_at_the_lines_rate(engine, line_id, shop):
    connect_carrier(engine, line_id, messages_per_second=2)
    blast_id = blast_to(engine, line_id, [shop["vip"], shop["spring"]])
    queue_blast(engine, blast_id, now=AFTERNOON, batch_size=3)
    slots = [as_utc(text.send_after) for text in texts_of(engine, blast_id)]
    assert slots == [AFTERNOON + timedelta(seconds=0.5 * index) for index in range(4)]
    with session_scope(engine) as session:
        assert len(due_sends(session, now=AFTERNOON + timedelta(seconds=1))) == 3
        assert as_utc(session.get(LineCarrier, line_id).next_send_at) == AFTERNOON + timedelta(seconds=2)


# --- Cancelling, opt-outs, STOP replies --------------------------------------------------------


def test_cancelling_a_scheduled_blast_means_it_is_never_queued(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]], send_at=datetime.now(UTC) + timedelta(hours=1))
    with session_scope(engine) as session:
        cancel_blast(session, line_id, blast_id, actor="owner@shop.com")
    assert queue_blast(engine, blast_id, now=datetime.now(UTC) + timedelta(hours=2)).queued == 0
    assert texts_of(engine, blast_id) == []


def test_cancelling_takes_every_text_not_yet_handed_over_out_of_the_queue(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"], shop["spring"]])
    queue_blast(engine, blast_id, now=AFTERNOON)
    with session_scope(engine) as session:
        first = session.exec(select(Message).where(Message.blast_id == blast_id)).first()
        first.status, first.provider_message_id = MessageStatus.SENT, "SM1"
        session.add(first)
    with session_scope(engine) as session:
        assert cancel_blast(session, line_id, blast_id) == 3
        progress = blast_progress(session, session.get(Blast, blast_id))
    assert (progress.status, progress.sent, progress.cancelled) == (BlastStatus.CANCELLED, 1, 3)


def test_a_contact_opting_out_while_held_for_quiet_hours_gets_nothing(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=datetime(2027, 6, 10, 7, 0, tzinfo=UTC))
    with session_scope(engine) as session:
        consent.opt_out(session, session.get(Contact, shop["ids"]["Ann"]), Source.MANUAL)
    statuses = {text.phone: text.status for text in texts_of(engine, blast_id)}
    assert statuses == {NEW_YORK[0]: MessageStatus.CANCELLED, NEW_YORK[2]: MessageStatus.QUEUED}


def test_a_stop_reply_within_72_hours_is_attributed_to_the_blast(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=AFTERNOON)
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        receive_inbound(session, line, NEW_YORK[0], "STOP")
        receive_inbound(session, line, NEW_YORK[2], "thanks!")
    with session_scope(engine) as session:
        assert blast_progress(session, session.get(Blast, blast_id)).stop_replies == 1
        assert session.exec(select(Contact.opted_out).where(Contact.id == shop["ids"]["Ann"])).one()


def test_a_blast_reads_sending_while_texts_wait_and_finished_once_none_do(engine, line_id, shop):
    connect_carrier(engine, line_id)
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=AFTERNOON)
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        assert blast_phase(blast, blasts_still_sending(session, [blast_id]).get(blast_id)) == "sending"
        line = session.get(Line, line_id)
        # Ann's STOP takes her waiting text out of the queue; Cat's is handed to the carrier.
        receive_inbound(session, line, NEW_YORK[0], "STOP")
    with session_scope(engine) as session:
        for text in session.exec(select(Message).where(Message.blast_id == blast_id)):
            if text.status == MessageStatus.QUEUED:
                text.status = MessageStatus.SENT
                session.add(text)
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        assert blasts_still_sending(session, [blast_id]) == {}
        assert blast_phase(blast, None) == "finished"


def test_a_stop_reply_more_than_72_hours_after_the_blast_is_not_attributed(engine, line_id, shop):
    blast_id = blast_to(engine, line_id, [shop["vip"]])
    queue_blast(engine, blast_id, now=AFTERNOON)
    with session_scope(engine) as session:
        for text in session.exec(select(Message).where(Message.blast_id == blast_id)):
            text.created_at = datetime.now(UTC) - timedelta(hours=73)
            session.add(text)
    with session_scope(engine) as session:
        reply = receive_inbound(session, session.get(Line, line_id), NEW_YORK[0], "stop")
        assert session.get(Message, reply.message_id).blast_id is None


# --- Plan and permission --------------------------------------------------------------------


def test_text_blasting_is_not_on_the_basic_plan_and_an_administrator_can_turn_it_off(engine, line_id):
    with session_scope(engine) as session:
        admin = users.create_user(session, "owner@shop.com", "correct horse battery")
        clerk = users.create_user(session, "clerk@shop.com", "correct horse battery")
        require(session, clerk, Action.BLASTS)
        users.set_permissions(session, admin, clerk.id, {"can_blast": False})
        with pytest.raises(PermissionDenied, match="turned off Blasts"):
            require(session, session.get(type(clerk), clerk.id), Action.BLASTS)
        set_account_plan(session, admin.account_id, "basic")
        with pytest.raises(PermissionDenied, match="does not include Text Blasting"):
            require(session, admin, Action.BLASTS)


def test_consent_setting_and_instruction_are_the_accounts(engine, line_id, shop):
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        with pytest.raises(blast_text.BlastSettingsInvalid):
            blast_text.set_blast_settings(session, account_id, True, "Reply NO to leave")
        blast_text.set_blast_settings(session, account_id, True, "Text STOP to leave")
        confirm_ann(session, shop)
        assert session.get(AccountSettings, account_id).blasts_need_consent
        assert session.get(Contact, shop["ids"]["Ann"]).consent_status == ConsentStatus.CONFIRMED
    blast_id = blast_to(engine, line_id, [shop["vip"]], confirmed=1)
    queue_blast(engine, blast_id, now=AFTERNOON)
    assert [text.body for text in texts_of(engine, blast_id)] == ["Hi Ann, 20% off today\nText STOP to leave"]
    with session_scope(engine) as session:
        skipped = session.exec(select(func.count()).select_from(Message).where(Message.blast_id == blast_id)).one()
        assert skipped == 1
        assert blast_progress(session, session.get(Blast, blast_id)).skipped_no_consent == 1


def confirm_ann(session, shop) -> None:
    ann = session.get(Contact, shop["ids"]["Ann"])
    consent.mark_consent_pending(session, ann, Source.MANUAL)
    consent.confirm_consent(session, ann, Source.KEYWORD)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
