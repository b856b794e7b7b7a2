"""A selection belongs to the view it was made in: changing any filter starts it afresh.

The handlers are called on a state object as the server would for the browser's events.
"""

from collections.abc import Iterator

import pytest
import reflex as rx
from sqlmodel import select

from contacts_app import db
from contacts_app.db import session_scope
from contacts_app.domain import auth, lines, lists, review_flags, users
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.models import ListMembership, Role
from contacts_app.state.contacts import REVIEW_FILTER
from contacts_app.state.selection import SelectionState
from tests.test_state_permissions import connect_with_cookie, run

EMAIL = "clerk@example.com"
PASSWORD = "a long enough password"


@pytest.fixture
def engine(migrated_sqlite_copy, monkeypatch) -> Iterator:
    url = f"sqlite:///{migrated_sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    db.engine_for.cache_clear()
    engine = db.engine_for(url)
    yield engine
    engine.dispose()
    db.engine_for.cache_clear()


@pytest.fixture
def four_contacts_one_needing_review(engine) -> int:
    """Returns the id of an empty list "Follow up"."""
    with session_scope(engine) as session:
        admin = users.create_user(session, "boss@example.com", PASSWORD, Role.ADMIN)
        clerk = users.create_user(session, EMAIL, PASSWORD, Role.USER)
        line = ensure_default_line(session)
        lines.assign_owner(session, admin, line.id, clerk.id)
        for name, phone in [("Ann", "2125550101"), ("Bob", "2125550102"), ("Cat", "2125550103"), ("Dan", "2125550104")]:
            contact = create_contact(session, line.id, ContactInput(name, phone))
        reason = review_flags.REVIEW_POSSIBLE_OPT_OUT
        review_flags.flag_for_review(session, line.id, contact.phone, reason, contact.id, None)
        return lists.create_list(session, line.id, "Follow up").id


def signed_in_selection(engine) -> SelectionState:
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(SelectionState.get_full_name().split(".")[1:])
    connect_with_cookie(state, auth.authenticate(engine, EMAIL, PASSWORD).token)
    run(SelectionState.load, state)
    return state


def members(engine, list_id: int) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(ListMembership).where(ListMembership.list_id == list_id)).all())


def test_select_all_then_needs_review_does_not_carry_the_selection_over(engine, four_contacts_one_needing_review):
    follow_up = four_contacts_one_needing_review
    selection = signed_in_selection(engine)
    run(SelectionState.select_all_matching, selection)
    assert selection.selection_count == 4

    run(SelectionState.set_list_filter, selection, REVIEW_FILTER)
    assert selection.total == 1
    assert selection.selection_count == 0
    selection.target_list = str(follow_up)
    run(SelectionState.add_to_list, selection)
    assert members(engine, follow_up) == 0


def test_select_all_under_needs_review_adds_only_the_contact_waiting_for_review(
    engine, four_contacts_one_needing_review
):
    follow_up = four_contacts_one_needing_review
    selection = signed_in_selection(engine)
    run(SelectionState.set_list_filter, selection, REVIEW_FILTER)
    run(SelectionState.select_all_matching, selection)
    assert selection.selection_count == 1
    selection.target_list = str(follow_up)
    run(SelectionState.add_to_list, selection)
    assert members(engine, follow_up) == 1
