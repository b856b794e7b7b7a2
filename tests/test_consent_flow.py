"""Consent requests: queued through the provider, pending until YES or START, declined by STOP."""

import csv
import io
import json

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import consent, consent_history_csv, consent_message, consent_requests, messaging, webhooks
from contacts_app.domain.consent import EventKind, Source
from contacts_app.domain.consent_message import ConsentMessageInvalid
from contacts_app.domain.consent_requests import Skip
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, get_contact
from contacts_app.domain.inbound import receive_inbound
from contacts_app.domain.messaging import SendingRefused
from contacts_app.models import ContactList, Line, ListMembership, Message, WebhookDelivery

JANE = "(415) 555-2671"


def add_contact(engine, line_id, name="Jane Doe", phone=JANE):
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput(name, phone))


def reply(engine, line_id, body, sender=JANE):
    with session_scope(engine) as session:
        return receive_inbound(session, session.get(Line, line_id), sender, body)


def request_consent(engine, line_id, contact_id):
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, contact_id)
        consent_requests.send_consent_request(session, contact, actor="owner@shop.com")


def status_of(engine, line_id, contact_id):
    with session_scope(engine) as session:
        return get_contact(session, line_id, contact_id).consent_status


def test_request_queues_the_default_text_naming_the_business_and_sets_pending(engine, line_id):
    jane = add_contact(engine, line_id)
    request_consent(engine, line_id, jane.id)
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        [message] = messaging.messages_for(session, line_id, contact.phone)
        [event] = consent.history(session, contact)
    assert contact.consent_status == "pending"
    assert (message.direction, message.status, message.provider) == ("outbound", "queued", "outbox")
    assert message.body.startswith("My Business")
    assert "Reply YES to receive texts, STOP to opt out" in message.body
    assert (event.kind, event.actor, event.detail) == (EventKind.CONSENT_PENDING, "owner@shop.com", message.body)


def test_yes_confirms_a_pending_request_and_is_relayed(engine, line_id):
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        webhooks.create_endpoint(session, account_id, "https://hooks.test/c", ["consent.confirmed"])
    jane = add_contact(engine, line_id)
    request_consent(engine, line_id, jane.id)
    assert reply(engine, line_id, "Yes!").actions == ("consent_confirmed",)
    assert status_of(engine, line_id, jane.id) == "confirmed"
    with session_scope(engine) as session:
        [delivery] = session.exec(select(WebhookDelivery)).all()
        kinds = [e.kind for e in consent.history(session, get_contact(session, line_id, jane.id))]
    assert json.loads(delivery.payload)["data"]["contact"]["consent_status"] == "confirmed"
    assert kinds == [EventKind.CONSENT_CONFIRMED, EventKind.CONSENT_PENDING]


def test_yes_without_a_pending_request_changes_nothing(engine, line_id):
    jane = add_contact(engine, line_id)
    assert reply(engine, line_id, "YES").actions == ("recorded",)
    assert status_of(engine, line_id, jane.id) == "not_sent"


def test_start_also_confirms_a_pending_request(engine, line_id):
    jane = add_contact(engine, line_id)
    request_consent(engine, line_id, jane.id)
    assert reply(engine, line_id, "start").actions == ("consent_confirmed",)
    assert status_of(engine, line_id, jane.id) == "confirmed"


def test_stop_declines_a_pending_request_and_opts_out(engine, line_id):
    jane = add_contact(engine, line_id)
    request_consent(engine, line_id, jane.id)
    reply(engine, line_id, "STOP")
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        kinds = [e.kind for e in consent.history(session, contact)]
    assert (contact.consent_status, contact.opted_out) == ("declined", True)
    assert kinds == [EventKind.CONSENT_DECLINED, EventKind.OPTED_OUT, EventKind.CONSENT_PENDING]


def test_nothing_is_sent_to_an_opted_out_contact_and_the_error_says_why(engine, line_id):
    jane = add_contact(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner")
    with pytest.raises(SendingRefused, match="opted out"):
        request_consent(engine, line_id, jane.id)
    with session_scope(engine) as session:
        assert session.exec(select(Message)).all() == []
        assert get_contact(session, line_id, jane.id).consent_status == "not_sent"


def test_request_to_a_selection_reports_who_was_skipped_and_why(engine, line_id):
    jane = add_contact(engine, line_id)
    jim = add_contact(engine, line_id, "Jim Roe", "(415) 555-0199")
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jim.id), Source.MANUAL, actor="owner")
    with session_scope(engine) as session:
        report = consent_requests.send_consent_requests(session, line_id, [jane.id, jim.id, 99999])
    assert report.sent_ids == [jane.id]
    assert "opted out" in report.skipped[jim.id]
    assert "does not exist" in report.skipped[99999]
    with session_scope(engine) as session:
        assert [m.phone for m in session.exec(select(Message)).all()] == ["+14155552671"]


def test_request_to_a_list_sends_to_its_members(engine, line_id):
    jane = add_contact(engine, line_id)
    add_contact(engine, line_id, "Jim Roe", "(415) 555-0199")
    with session_scope(engine) as session:
        vip = ContactList(line_id=line_id, name="VIP", name_key="vip")
        session.add(vip)
        session.flush()
        session.add(ListMembership(list_id=vip.id, contact_id=jane.id))
        list_id = vip.id
    with session_scope(engine) as session:
        report = consent_requests.send_consent_requests_matching(session, line_id, ContactFilter(list_id=list_id))
    assert report.sent_ids == [jane.id]


def test_the_consent_text_is_editable_and_must_mention_stop(engine, line_id):
    jane = add_contact(engine, line_id)
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        with pytest.raises(ConsentMessageInvalid) as caught:
            consent_message.set_consent_message(session, account_id, "Reply YES for deals")
        assert "consent_message" in caught.value.errors
        text = "{business} deals! Reply YES to join, STOP to opt out."
        consent_message.set_consent_message(session, account_id, text)
    request_consent(engine, line_id, jane.id)
    with session_scope(engine) as session:
        [message] = session.exec(select(Message)).all()
        assert message.body == "My Business deals! Reply YES to join, STOP to opt out."
        consent_message.set_consent_message(session, account_id, "  ")
        assert consent_message.consent_message_template(session, account_id) == consent_message.DEFAULT_CONSENT_MESSAGE


def test_consent_history_exports_as_csv_and_outlives_the_contact(engine, line_id):
    jane = add_contact(engine, line_id)
    request_consent(engine, line_id, jane.id)
    reply(engine, line_id, "=STOP")  # punctuation around a keyword is ignored: this is STOP
    with session_scope(engine) as session:
        delete_contact(session, line_id, jane.id)
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        rows = list(csv.DictReader(io.StringIO(consent_history_csv.export_history_csv(session, account_id))))
    assert [row["event"] for row in rows] == ["consent_pending", "opted_out", "consent_declined"]
    assert rows[0]["by"] == "owner@shop.com"
    assert {row["phone"] for row in rows} == {"+14155552671"}
    # A message that starts like a formula is written so a spreadsheet shows it as text.
    assert rows[1]["detail"] == "'=STOP"


def test_the_plan_counts_whom_a_selection_texts_and_skips_exactly_as_sending_then_does(engine, line_id):
    people = {
        name: add_contact(engine, line_id, f"{name} Tester", phone).id
        for name, phone in (
            ("Ann", "(415) 555-0101"),
            ("Bob", "(415) 555-0102"),
            ("Cat", "(415) 555-0103"),
            ("Dan", "(415) 555-0104"),
            ("Eve", "(415) 555-0105"),
            ("Fay", "(415) 555-0106"),
        )
    }
    with session_scope(engine) as session:
        for name in ("Bob", "Cat"):
            consent.opt_out(session, get_contact(session, line_id, people[name]), Source.MANUAL)
        dan = get_contact(session, line_id, people["Dan"])
        consent_requests.send_consent_request(session, dan)
        consent.confirm_consent(session, dan, Source.MANUAL)
        # Eve was asked before and has not answered: asking again is allowed.
        consent_requests.send_consent_request(session, get_contact(session, line_id, people["Eve"]))
    with session_scope(engine) as session:
        delete_contact(session, line_id, people["Fay"])
    chosen = ContactFilter(ids=tuple(people.values()))

    with session_scope(engine) as session:
        plan = consent_requests.plan_consent_requests(session, line_id, chosen)
        assert messaging.messages_for(session, line_id, "+14155550101") == []  # planning sends nothing
    assert plan.to_text == 2
    assert plan.skipped == {Skip.OPTED_OUT: 2, Skip.CONFIRMED: 1, Skip.GONE: 1}
    assert plan.summary() == (
        "2 contacts will be texted; 4 skipped: 2 opted out, 1 already consented, 1 no longer found."
    )
    assert plan.message.startswith("My Business") and plan.outbox

    with session_scope(engine) as session:
        report = consent_requests.send_consent_requests_matching(session, line_id, chosen)
    assert sorted(report.sent_ids) == sorted([people["Ann"], people["Eve"]])
    assert len(report.sent_ids) == plan.to_text and len(report.skipped) == plan.skipped_count


def test_the_plan_of_a_whole_filter_counts_every_matching_contact_once(engine, line_id):
    for number in range(5):
        add_contact(engine, line_id, f"Guest {number}", f"(415) 555-02{number:02d}")
    with session_scope(engine) as session:
        plan = consent_requests.plan_consent_requests(session, line_id, ContactFilter(query="guest"))
    assert (plan.to_text, plan.skipped, plan.summary()) == (5, {}, "5 contacts will be texted.")
    with session_scope(engine) as session:
        lone = consent_requests.plan_consent_requests(session, line_id, ContactFilter(query="guest 3"))
    assert lone.summary() == "1 contact will be texted."
