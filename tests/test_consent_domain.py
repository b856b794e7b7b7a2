"""Opt-out rules and consent history, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain.consent import EventKind, OptOutLocked, Source
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, get_contact, update_contact
from contacts_app.models import Account, Line


def add_jane(engine, line_id, phone="(415) 555-2671"):
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput("Jane Doe", phone))


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; PostgreSQL aware ones.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_manual_opt_out_records_who_when_and_how(engine, line_id):
    jane = add_jane(engine, line_id)
    before = datetime.now(UTC)
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        assert consent.opt_out(session, contact, Source.MANUAL, actor="owner@shop.com") is True
    with session_scope(engine) as session:
        stored = get_contact(session, line_id, jane.id)
        assert stored.opted_out is True
        assert stored.opted_out_source == "manual"
        assert stored.opted_out_by == "owner@shop.com"
        assert before - timedelta(seconds=5) <= as_utc(stored.opted_out_at) <= datetime.now(UTC)
        events = consent.history(session, stored)
    assert [(e.kind, e.source, e.actor, e.contact_id, e.phone) for e in events] == [
        (EventKind.OPTED_OUT, "manual", "owner@shop.com", jane.id, "+14155552671")
    ]


def test_opting_out_twice_changes_nothing_the_second_time(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        consent.opt_out(session, contact, Source.MANUAL, actor="owner@shop.com")
        assert consent.opt_out(session, contact, Source.KEYWORD, detail="STOP") is False
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        assert contact.opted_out_by == "owner@shop.com"
        assert len(consent.history(session, contact)) == 1


def test_opt_out_cannot_be_lifted_by_hand(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner@shop.com")
    with pytest.raises(OptOutLocked, match="START or UNSTOP"), session_scope(engine) as session:
        consent.opt_in(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner@shop.com")
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        assert contact.opted_out is True
        assert len(consent.history(session, contact)) == 1


def test_contacts_start_reply_lifts_the_opt_out_and_is_recorded(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.KEYWORD, detail="STOP")
    with session_scope(engine) as session:
        assert consent.opt_in(session, get_contact(session, line_id, jane.id), Source.KEYWORD, detail="START")
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        assert (contact.opted_out, contact.opted_out_at, contact.opted_out_source) == (False, None, None)
        assert [e.kind for e in consent.history(session, contact)] == [EventKind.OPTED_IN, EventKind.OPTED_OUT]
        assert consent.opt_in(session, contact, Source.KEYWORD) is False


def test_deleted_opted_out_number_comes_back_opted_out_when_added_again(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.KEYWORD, detail="STOP")
    with session_scope(engine) as session:
        delete_contact(session, line_id, jane.id)
    # Written differently, it is still the same number.
    again = add_jane(engine, line_id, phone="+1 415.555.2671")
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, again.id)
        assert contact.opted_out is True
        assert contact.opted_out_source == "keyword"
        assert contact.opted_out_at is not None


def test_number_that_opted_back_in_is_not_suppressed_when_added_again(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        consent.opt_out(session, contact, Source.KEYWORD, detail="STOP")
        consent.opt_in(session, contact, Source.KEYWORD, detail="START")
        delete_contact(session, line_id, jane.id)
    assert add_jane(engine, line_id).opted_out is False


def test_suppression_belongs_to_the_line(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner@shop.com")
    with session_scope(engine) as session:
        account = Account(name="Other business")
        session.add(account)
        session.flush()
        other = Line(account_id=account.id, name="Other line")
        session.add(other)
        session.flush()
    assert add_jane(engine, other.id).opted_out is False


def test_consent_history_survives_deleting_the_contact(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner@shop.com")
    with session_scope(engine) as session:
        delete_contact(session, line_id, jane.id)
    again = add_jane(engine, line_id)
    with session_scope(engine) as session:
        events = consent.history(session, get_contact(session, line_id, again.id))
    assert [(e.kind, e.actor) for e in events] == [(EventKind.OPTED_OUT, "owner@shop.com")]
    # The deleted contact's id is cleared from its events, not left dangling.
    assert events[0].contact_id is None


def test_changing_a_contacts_phone_to_a_number_that_opted_out_makes_it_opted_out(engine, line_id):
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.KEYWORD, detail="STOP")
        delete_contact(session, line_id, jane.id)
    john = add_jane(engine, line_id, phone="(212) 555-0188")
    assert john.opted_out is False
    with session_scope(engine) as session:
        update_contact(session, line_id, john.id, ContactInput("John Smith", "415.555.2671"))
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, john.id)
        assert (contact.opted_out, contact.opted_out_source) == (True, "keyword")
