"""Inbound texts and their keyword rules, on SQLite and PostgreSQL."""

import json

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import consent, contact_filter, review_flags, webhooks
from contacts_app.domain.consent import EventKind, Source
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, get_contact
from contacts_app.domain.inbound import InboundInvalid, line_for_number, receive_inbound
from contacts_app.domain.keywords import OPT_OUT_KEYWORDS
from contacts_app.domain.messaging import messages_for
from contacts_app.models import Account, Contact, Line, Message, MessageDirection, WebhookDelivery

LINE_NUMBER = "+14155550100"
JANE = "(415) 555-2671"
JANE_E164 = "+14155552671"


@pytest.fixture
def line(engine, line_id) -> Line:
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = LINE_NUMBER
        session.add(line)
    return line


def add_contact(engine, line_id, name="Jane Doe", phone=JANE) -> Contact:
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput(name, phone))


def text(engine, line, body, sender=JANE):
    with session_scope(engine) as session:
        return receive_inbound(session, session.get(Line, line.id), sender, body)


def inbound_messages(session, contact: Contact) -> list[Message]:
    return [m for m in messages_for(session, contact.line_id, contact.phone) if m.direction == MessageDirection.INBOUND]


def contact_now(engine, line_id, contact_id) -> Contact:
    with session_scope(engine) as session:
        return get_contact(session, line_id, contact_id)


def test_every_inbound_message_is_stored_with_its_time_on_the_contact(engine, line):
    jane = add_contact(engine, line.id)
    result = text(engine, line, "Running 5 minutes late", sender="415-555-2671")
    assert result.actions == ("recorded",)
    with session_scope(engine) as session:
        [message] = inbound_messages(session, contact_now(engine, line.id, jane.id))
    assert (message.body, message.phone, message.contact_id, message.keyword) == (
        "Running 5 minutes late",
        JANE_E164,
        jane.id,
        None,
    )
    assert message.created_at is not None


def test_every_opt_out_keyword_opts_the_contact_out_with_the_text_in_history(engine, line):
    for index, keyword in enumerate(sorted(OPT_OUT_KEYWORDS)):
        phone = f"(415) 555-01{index:02d}"
        contact = add_contact(engine, line.id, f"Person {index}", phone)
        body = f"  {keyword.lower()}! "
        result = text(engine, line, body, sender=phone)
        assert result.actions == ("opted_out",), keyword
        stored = contact_now(engine, line.id, contact.id)
        assert (stored.opted_out, stored.opted_out_source) == (True, "keyword")
        with session_scope(engine) as session:
            [event] = consent.history(session, stored)
        assert (event.kind, event.source, event.detail) == (EventKind.OPTED_OUT, "keyword", body)


def test_start_lifts_even_a_manual_opt_out(engine, line):
    jane = add_contact(engine, line.id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line.id, jane.id), Source.MANUAL, actor="owner@shop.com")
    assert text(engine, line, "START").actions == ("opted_in",)
    stored = contact_now(engine, line.id, jane.id)
    assert stored.opted_out is False
    with session_scope(engine) as session:
        kinds = [(e.kind, e.source) for e in consent.history(session, stored)]
    assert kinds == [(EventKind.OPTED_IN, "keyword"), (EventKind.OPTED_OUT, "manual")]


def test_unstop_lifts_a_keyword_opt_out(engine, line):
    jane = add_contact(engine, line.id)
    text(engine, line, "STOP")
    assert text(engine, line, "unstop").actions == ("opted_in",)
    assert contact_now(engine, line.id, jane.id).opted_out is False


def test_start_from_a_contact_who_never_opted_out_changes_nothing(engine, line):
    jane = add_contact(engine, line.id)
    assert text(engine, line, "START").actions == ("recorded",)
    with session_scope(engine) as session:
        assert consent.history(session, contact_now(engine, line.id, jane.id)) == []


def test_long_message_that_reads_like_opt_out_is_flagged_not_acted_on(engine, line):
    jane = add_contact(engine, line.id)
    result = text(engine, line, "please stop texting me")
    assert result.actions == ("flagged_for_review",)
    stored = contact_now(engine, line.id, jane.id)
    assert stored.opted_out is False
    with session_scope(engine) as session:
        [flag] = review_flags.open_review_flags(session, stored)
        assert flag.reason == "possible_opt_out"
        assert flag.message_id == result.message_id
        assert consent.history(session, stored) == []
        in_review = session.exec(select(Contact.id).where(contact_filter.needs_review_condition(line.id))).all()
        assert in_review == [jane.id]
    with session_scope(engine) as session:
        assert review_flags.resolve_review(session, stored, actor="owner@shop.com") == 1
    with session_scope(engine) as session:
        assert session.exec(select(Contact.id).where(contact_filter.needs_review_condition(line.id))).all() == []


def test_help_and_info_are_recorded_and_change_nothing(engine, line):
    jane = add_contact(engine, line.id)
    assert text(engine, line, "HELP").keyword == "help"
    assert text(engine, line, "info?").actions == ("recorded",)
    stored = contact_now(engine, line.id, jane.id)
    assert (stored.opted_out, stored.consent_status) == (False, "not_sent")
    with session_scope(engine) as session:
        assert [m.keyword for m in inbound_messages(session, stored)] == ["help", "help"]


def test_stranger_texting_stop_is_suppressed_and_comes_back_opted_out_when_added(engine, line):
    result = text(engine, line, "STOP", sender="(415) 555-0199")
    assert (result.contact_id, result.actions) == (None, ("opted_out",))
    later = add_contact(engine, line.id, "Jim Stranger", "415 555 0199")
    stored = contact_now(engine, line.id, later.id)
    assert (stored.opted_out, stored.opted_out_source) == (True, "keyword")
    with session_scope(engine) as session:
        [event] = consent.history(session, stored)
    assert (event.kind, event.contact_id, event.detail) == (EventKind.OPTED_OUT, None, "STOP")


def test_stranger_texting_start_after_stop_is_no_longer_suppressed(engine, line):
    text(engine, line, "STOP", sender="(415) 555-0199")
    assert text(engine, line, "START", sender="(415) 555-0199").actions == ("opted_in",)
    assert add_contact(engine, line.id, "Jim", "(415) 555-0199").opted_out is False


def test_stop_on_one_line_does_not_touch_another_line(engine, line):
    with session_scope(engine) as session:
        other = Line(account_id=line.account_id, name="Second", phone="+14155550111")
        session.add(other)
        session.flush()
        other_id = other.id
    on_other = add_contact(engine, other_id)
    add_contact(engine, line.id)
    text(engine, line, "STOP")
    assert contact_now(engine, other_id, on_other.id).opted_out is False


def test_deleted_contact_texting_stop_is_suppressed_on_the_line(engine, line):
    jane = add_contact(engine, line.id)
    with session_scope(engine) as session:
        delete_contact(session, line.id, jane.id)
    text(engine, line, "stop")
    assert add_contact(engine, line.id).opted_out is True


def test_to_selects_the_line_of_the_account(engine, line):
    with session_scope(engine) as session:
        assert line_for_number(session, line.account_id, "(415) 555-0100").id == line.id
        with pytest.raises(InboundInvalid) as caught:
            line_for_number(session, line.account_id, "(415) 555-0999")
        assert "to" in caught.value.errors
        other = Account(name="Other")
        session.add(other)
        session.flush()
        with pytest.raises(InboundInvalid):
            line_for_number(session, other.id, LINE_NUMBER)


def test_a_sender_that_is_not_a_phone_number_is_refused_and_nothing_is_stored(engine, line):
    with pytest.raises(InboundInvalid) as caught, session_scope(engine) as session:
        receive_inbound(session, session.get(Line, line.id), "not a number", "STOP")
    assert "from" in caught.value.errors
    with session_scope(engine) as session:
        assert session.exec(select(Message)).all() == []


def test_inbound_message_is_relayed_as_message_received(engine, line):
    with session_scope(engine) as session:
        webhooks.create_endpoint(session, line.account_id, "https://hooks.test/in", ["message.received"])
    jane = add_contact(engine, line.id)
    text(engine, line, "Hello there")
    text(engine, line, "Hi", sender="(415) 555-0199")
    with session_scope(engine) as session:
        rows = session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        first, second = [json.loads(row.payload) for row in rows]
    assert first["type"] == "message.received"
    assert first["data"]["contact"]["id"] == jane.id
    assert first["data"]["message"]["body"] == "Hello there"
    assert second["data"]["contact"] is None
    assert second["data"]["message"]["from"] == "+14155550199"
