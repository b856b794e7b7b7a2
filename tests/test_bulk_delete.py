"""Delete All: batches with progress, memberships gone, suppression kept."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import consent, events
from contacts_app.domain.bulk_delete import delete_all_contacts
from contacts_app.domain.consent import EventKind, Source
from contacts_app.domain.contacts import ContactInput, count_contacts, create_contact, search_contacts
from contacts_app.models import ContactList, Line, ListMembership, WebhookDelivery, WebhookEndpoint

PHONES = [f"(415) 555-{n:04d}" for n in range(100, 107)]


def fill(engine, line_id: int, phones=PHONES) -> list[int]:
    with session_scope(engine) as session:
        return [create_contact(session, line_id, ContactInput(f"Person {p}", p)).id for p in phones]


@pytest.fixture
def other_line(engine, line_id) -> int:
    with session_scope(engine) as session:
        line = Line(account_id=session.get(Line, line_id).account_id, name="Sales", phone="+14155550199")
        session.add(line)
        session.flush()
        return line.id


def test_deletes_every_contact_in_batches_reporting_progress(engine, line_id):
    fill(engine, line_id)
    seen: list[tuple[int, int]] = []
    deleted = delete_all_contacts(
        engine, line_id, progress=lambda done, total: seen.append((done, total)), batch_size=3
    )
    assert deleted == 7
    assert seen == [(3, 7), (6, 7), (7, 7)]
    with session_scope(engine) as session:
        assert count_contacts(session, line_id) == 0


def test_each_batch_is_committed_before_the_next(engine, line_id):
    fill(engine, line_id)
    remaining: list[int] = []

    def look(done: int, total: int) -> None:
        # Another user's page, reading while Delete All runs, sees the list shrink.
        with session_scope(engine) as session:
            remaining.append(count_contacts(session, line_id))

    delete_all_contacts(engine, line_id, progress=look, batch_size=2)
    assert remaining == [5, 3, 1, 0]


def test_other_lines_keep_their_contacts(engine, line_id, other_line):
    fill(engine, line_id)
    fill(engine, other_line, PHONES[:2])
    delete_all_contacts(engine, line_id, batch_size=4)
    with session_scope(engine) as session:
        assert count_contacts(session, other_line) == 2


def test_contacts_added_while_it_runs_are_left_alone(engine, line_id):
    fill(engine, line_id, PHONES[:4])

    def add_one_midway(done: int, total: int) -> None:
        if done == 2:
            fill(engine, line_id, ["(212) 555-0188"])

    assert delete_all_contacts(engine, line_id, progress=add_one_midway, batch_size=2) == 4
    with session_scope(engine) as session:
        assert [c.phone for c in search_contacts(session, line_id).rows] == ["+12125550188"]


def test_empty_line_deletes_nothing_and_reports_no_progress(engine, line_id):
    seen = []
    assert delete_all_contacts(engine, line_id, progress=lambda *a: seen.append(a)) == 0
    assert seen == []


def test_list_memberships_go_and_the_lists_stay(engine, line_id):
    ids = fill(engine, line_id)
    with session_scope(engine) as session:
        vip = ContactList(line_id=line_id, name="VIP", name_key="vip")
        session.add(vip)
        session.flush()
        session.add_all([ListMembership(list_id=vip.id, contact_id=cid) for cid in ids[:5]])
        vip_id = vip.id
    delete_all_contacts(engine, line_id, batch_size=3)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(ListMembership)).one() == 0
        assert session.get(ContactList, vip_id).name == "VIP"


def test_opted_out_number_added_again_after_delete_all_comes_back_opted_out(engine, line_id):
    ids = fill(engine, line_id)
    with session_scope(engine) as session:
        from contacts_app.domain.contacts import get_contact

        stopped = get_contact(session, line_id, ids[2])
        consent.opt_out(session, stopped, Source.KEYWORD, detail="STOP")
        phone = stopped.phone
    delete_all_contacts(engine, line_id, batch_size=3)
    with session_scope(engine) as session:
        again = create_contact(session, line_id, ContactInput("Same Number", PHONES[2]))
        assert again.phone == phone
        assert again.opted_out is True
        assert again.opted_out_source == Source.KEYWORD
        # The history outlived the contact: the old opt-out is still there, no longer linked.
        [event] = consent.history(session, again)
        assert (event.kind, event.contact_id, event.detail) == (EventKind.OPTED_OUT, None, "STOP")
    with session_scope(engine) as session:
        fresh = create_contact(session, line_id, ContactInput("Never Stopped", PHONES[3]))
        assert fresh.opted_out is False


def test_webhook_subscribers_hear_of_every_deleted_contact(engine, line_id):
    fill(engine, line_id, PHONES[:5])
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        session.add(
            WebhookEndpoint(
                account_id=account_id, url="https://example.com/hook", events=events.CONTACT_DELETED, secret="s"
            )
        )
    delete_all_contacts(engine, line_id, batch_size=2)
    with session_scope(engine) as session:
        deliveries = session.exec(select(WebhookDelivery)).all()
        assert [d.event_type for d in deliveries] == [events.CONTACT_DELETED] * 5


def test_batch_size_must_be_positive(engine, line_id):
    with pytest.raises(ValueError):
        delete_all_contacts(engine, line_id, batch_size=0)


def test_deleting_contacts_finds_their_blast_skips_by_index_not_by_scanning_every_skip(engine, line_id):
    """A blast's skips cascade with their contact: Delete All must not read every skip of every
    blast once per contact it deletes."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan asked for is SQLite's (PostgreSQL plans the cascade by itself)")
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN DELETE FROM contact WHERE id = 1").all()
    lookups = [row[-1] for row in plan if "blast_skip" in row[-1]]
    assert lookups and all(step.startswith("SEARCH") for step in lookups), lookups
