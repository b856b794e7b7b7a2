"""The page's event handlers enforce permissions themselves, whatever the page offers.

Each test calls a Reflex event handler directly on a state object, as the server would for an
event crafted in the browser (the browser tests also send such events through a real page).
A refusal is the PermissionDenied (or NotSignedIn) that the app's `refusal_handler` turns into
a toast (or a redirect); nothing is written.
"""

import asyncio
import inspect
from collections.abc import Iterator

import pytest
import reflex as rx
from sqlmodel import func, select

from contacts_app import db
from contacts_app.api.session import hashed_session_headers
from contacts_app.db import session_scope
from contacts_app.domain import auth, lines, users
from contacts_app.domain.contact_filter import MAX_QUERY_LENGTH
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.lists import create_list
from contacts_app.domain.permissions import (
    ADMIN_ONLY,
    LINE_NOT_YOURS,
    PLAN_LACKS,
    TURNED_OFF,
    Action,
    PermissionDenied,
    PlanFeatures,
    set_account_plan,
)
from contacts_app.jobs import imports as import_job
from contacts_app.models import Account, BackgroundJob, Contact, ContactList, Line, LineAccess, Role, User
from contacts_app.state.account import AccountState
from contacts_app.state.contacts import ContactsState
from contacts_app.state.importer import ImportState
from contacts_app.state.lists import ListsState
from contacts_app.state.selection import SelectionState
from contacts_app.state.session import NotSignedIn, SessionState
from contacts_app.state.users import UsersState

ADMIN = "boss@example.com"
CLERK = "clerk@example.com"
PASSWORD = "a long enough password"


@pytest.fixture
def engine(migrated_sqlite_copy, monkeypatch) -> Iterator:
    """The database the handlers reach through `session_scope()`, as in the running app (SQLite)."""
    url = f"sqlite:///{migrated_sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    db.engine_for.cache_clear()
    engine = db.engine_for(url)
    yield engine
    engine.dispose()
    db.engine_for.cache_clear()


@pytest.fixture
def people(engine) -> dict[str, int]:
    """An administrator, and a clerk who owns the first line (with one contact on it)."""
    with session_scope(engine) as session:
        admin = users.create_user(session, ADMIN, PASSWORD, Role.ADMIN)
        clerk = users.create_user(session, CLERK, PASSWORD, Role.USER)
        line = ensure_default_line(session)
        lines.assign_owner(session, admin, line.id, clerk.id)
        contact = create_contact(session, line.id, ContactInput("Marie Curie", "415 555 0160", ""))
        return {"admin": admin.id, "clerk": clerk.id, "line": line.id, "contact": contact.id}


def state_of(engine, state_class, email: str = CLERK):
    """The state a browser signed in as `email` has on the server."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    connect_with_cookie(state, auth.authenticate(engine, email, PASSWORD).token)
    return state


def connect_with_cookie(state, token: str) -> None:
    """The page's connection as the server sees it: the session cookie, turned into its hash."""
    cookie = [(b"cookie", f"{auth.SESSION_COOKIE}={token}".encode())] if token else []
    headers = {name.decode(): value.decode() for name, value in hashed_session_headers(cookie)}
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    root._update_router_vars({"headers": headers}, root.router_data)


def run(handler, state, *args):
    """Call the handler as the server would: a blocking one runs in a thread, its coroutine awaited here."""
    result = handler.fn(state, *args)
    return asyncio.run(result) if inspect.iscoroutine(result) else result


def take_away(engine, user_id: int, **overrides: bool) -> None:
    with session_scope(engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN)).one()
        users.set_permissions(session, admin, user_id, overrides)


def set_plan(engine, **features: bool) -> None:
    with session_scope(engine) as session:
        account_id = session.exec(select(User.account_id).where(User.email == ADMIN)).one()
        set_account_plan(session, account_id, "test", PlanFeatures(**features))


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def refused(handler, state, *args, reason: str | None = None) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as refusal:
        run(handler, state, *args)
    if reason is not None:
        assert str(refusal.value) == reason
    return refusal.value


# ----- deleting contacts -----


def test_confirm_delete_deletes_for_a_user_who_may(engine, people):
    state = state_of(engine, ContactsState)
    state.delete_id, state.delete_name = people["contact"], "Marie Curie"
    run(ContactsState.confirm_delete, state)
    assert count(engine, Contact) == 0


def test_confirm_delete_is_refused_when_the_administrator_turned_delete_off(engine, people):
    take_away(engine, people["clerk"], can_delete=False)
    state = state_of(engine, ContactsState)
    state.delete_id, state.delete_name = people["contact"], "Marie Curie"
    refused(ContactsState.confirm_delete, state, reason=TURNED_OFF[Action.DELETE_CONTACT])
    assert count(engine, Contact) == 1


def test_confirm_delete_is_refused_when_the_plan_lacks_deletion_even_for_an_administrator(engine, people):
    set_plan(engine, delete=False, delete_all=False, lists=True)
    state = state_of(engine, ContactsState, ADMIN)
    state.delete_id = people["contact"]
    refused(ContactsState.confirm_delete, state, reason=PLAN_LACKS[Action.DELETE_CONTACT])
    assert count(engine, Contact) == 1


def test_a_signed_out_browser_is_refused(engine, people):
    state = state_of(engine, ContactsState)
    connect_with_cookie(state, "")
    state.delete_id = people["contact"]
    with pytest.raises(NotSignedIn):
        run(ContactsState.confirm_delete, state)
    assert count(engine, Contact) == 1


def test_a_disabled_users_open_page_is_refused(engine, people):
    state = state_of(engine, ContactsState)
    with session_scope(engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN)).one()
        users.set_disabled(session, admin, people["clerk"], True)
    state.delete_id = people["contact"]
    with pytest.raises(NotSignedIn):
        run(ContactsState.confirm_delete, state)
    assert count(engine, Contact) == 1


def test_delete_all_is_refused_to_whoever_may_not_delete_one_contact(engine, people):
    settings = pytest.importorskip("contacts_app.state.settings")
    take_away(engine, people["clerk"], can_delete=False)
    state = state_of(engine, settings.SettingsState)
    refused(settings.SettingsState.ask_delete_all, state, reason=TURNED_OFF[Action.DELETE_CONTACT])
    assert state.delete_step == ""


# ----- lists, import, export -----


def test_list_handlers_are_refused_without_lists(engine, people):
    take_away(engine, people["clerk"], can_use_lists=False)
    with session_scope(engine) as session:
        vip = create_list(session, people["line"], "VIP").id
    reason = TURNED_OFF[Action.LISTS]
    refused(ListsState.save, state_of(engine, ListsState), {"name": "New", "description": ""}, reason=reason)
    lists_page = state_of(engine, ListsState)
    lists_page.delete_id = vip
    refused(ListsState.confirm_delete, lists_page, reason=reason)
    contacts = state_of(engine, ContactsState)
    contacts.selected.id = people["contact"]
    refused(ContactsState.toggle_list_membership, contacts, str(vip), True, reason=reason)
    selection = state_of(engine, SelectionState)
    selection.target_list, selection._checked_ids = str(vip), [people["contact"]]
    selection.scope = selection.current_scope
    refused(SelectionState.add_to_list, selection, reason=reason)
    assert count(engine, ContactList) == 1
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(ContactList).where(ContactList.id == vip)).one() == 1


def test_lists_are_refused_when_the_plan_lacks_them(engine, people):
    set_plan(engine, delete=True, delete_all=True, lists=False)
    refused(
        ListsState.save,
        state_of(engine, ListsState, ADMIN),
        {"name": "New", "description": ""},
        reason=PLAN_LACKS[Action.LISTS],
    )
    assert count(engine, ContactList) == 0


def test_export_and_import_are_refused_when_turned_off(engine, people):
    take_away(engine, people["clerk"], can_export=False, can_import=False)
    refused(ContactsState.export, state_of(engine, ContactsState), reason=TURNED_OFF[Action.EXPORT])
    refused(ImportState.set_open, state_of(engine, ImportState), True, reason=TURNED_OFF[Action.IMPORT])


def test_a_crafted_open_change_opens_no_dialog_and_a_refused_question_stays_shut(engine, people):
    take_away(engine, people["clerk"], can_delete=False, can_import=False)
    contacts = state_of(engine, ContactsState)
    # Only the page's own handlers open a dialog (after their checks); Radix's open change only closes.
    run(ContactsState.dialog_open_change, contacts, "delete", True)
    assert contacts.dialog == ""
    refused(ContactsState.ask_delete, contacts, people["contact"], "Marie Curie")
    assert contacts.dialog == ""
    importing = state_of(engine, ImportState)
    refused(ImportState.set_open, importing, True, reason=TURNED_OFF[Action.IMPORT])
    assert importing.dialog == ""


def test_a_crafted_import_start_is_refused_when_import_is_turned_off_and_leaves_no_job_or_file(engine, people):
    take_away(engine, people["clerk"], can_import=False)
    state = state_of(engine, ImportState)
    state.pasted = "Jane Doe,4155552671\n"
    spool = import_job.IMPORT_SPOOL_DIR
    before = set(spool.iterdir()) if spool.exists() else set()
    refused(ImportState.start_import, state, reason=TURNED_OFF[Action.IMPORT])
    assert count(engine, BackgroundJob) == 0
    assert (set(spool.iterdir()) if spool.exists() else set()) == before


# ----- lines -----


def test_switching_to_a_line_not_shared_is_refused(engine, people):
    with session_scope(engine) as session:
        admin = session.get(User, people["admin"])
        private = lines.add_line(session, admin, "Private", "415 555 0142").id
    state = state_of(engine, SessionState)
    refused(SessionState.switch_line, state, str(private), reason=LINE_NOT_YOURS)
    assert state.active_line_id != private


def test_a_line_unshared_while_the_page_is_open_is_left_for_the_users_own(engine, people):
    with session_scope(engine) as session:
        admin = session.get(User, people["admin"])
        support = lines.add_line(session, admin, "Support", "415 555 0199").id
        lines.share_line(session, admin, support, people["clerk"])
        create_contact(session, support, ContactInput("Grace Hopper", "415 555 0101", ""))
    state = state_of(engine, ContactsState)
    run(SessionState.switch_line, state, str(support))
    run(ContactsState.load, state)
    assert [row.full_name for row in state.rows] == ["Grace Hopper"]
    with session_scope(engine) as session:
        lines.unshare_line(session, session.get(User, people["admin"]), support, people["clerk"])
    run(ContactsState.load, state)
    assert [row.full_name for row in state.rows] == ["Marie Curie"]


# ----- the Users page -----


def test_every_users_page_handler_is_refused_to_a_user(engine, people):
    clerk_id, line_id = people["clerk"], people["line"]
    state = state_of(engine, UsersState)
    calls = [
        (UsersState.add_user, {"email": "new@example.com", "password": PASSWORD, "role": "admin"}),
        (UsersState.set_permission, clerk_id, "can_delete", False),
        (UsersState.set_role, clerk_id, Role.ADMIN),
        (UsersState.set_disabled, people["admin"], True),
    ]
    for handler, *args in calls:
        refused(handler, state, *args, reason=ADMIN_ONLY)
    state.password_user_id = people["admin"]
    refused(
        UsersState.reset_password, state, {"password": "taken over!!", "confirm": "taken over!!"}, reason=ADMIN_ONLY
    )
    state.line_id, state.line_owner = 0, str(clerk_id)
    refused(UsersState.save_line, state, {"name": "Mine", "phone": "415 555 0100"}, reason=ADMIN_ONLY)
    state.share_line_id, state.share_user_id = line_id, str(clerk_id)
    refused(UsersState.share, state, reason=ADMIN_ONLY)
    refused(UsersState.unshare, state, line_id, str(clerk_id), "Main line", CLERK, reason=ADMIN_ONLY)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 2
        clerk, admin = session.get(User, clerk_id), session.get(User, people["admin"])
        assert (clerk.role, clerk.can_delete, admin.disabled) == (Role.USER, None, False)
        assert auth.verify_password(admin.password_hash, PASSWORD)
        assert session.exec(select(func.count()).select_from(Line)).one() == 1
        assert session.exec(select(func.count()).select_from(LineAccess)).one() == 1


def test_users_page_handlers_work_for_an_administrator(engine, people):
    state = state_of(engine, UsersState, ADMIN)
    run(UsersState.add_user, state, {"email": "New@Example.com", "password": PASSWORD, "role": "user"})
    new = next(row for row in state.users if row.email == "new@example.com")
    run(UsersState.set_permission, state, new.id, "can_delete", False)
    switches = {s.column: s.checked for s in next(r for r in state.users if r.id == new.id).switches}
    assert switches["can_delete"] is False and switches["can_export"] is True
    # Delete All needs Delete: the page shows it off and greyed out, with the reason.
    row = next(r for r in state.users if r.id == new.id)
    delete_all = next(s for s in row.switches if s.column == "can_delete_all")
    assert (delete_all.checked, delete_all.disabled, row.note) == (False, True, "Delete All needs Delete.")
    state.line_id, state.line_phone, state.line_owner = 0, "", str(new.id)
    run(UsersState.save_line, state, {"name": "Support", "phone": "(415) 555-0199"})
    support = next(line for line in state.lines if line.name == "Support")
    assert (support.owner_email, support.phone) == ("new@example.com", "(415) 555-0199")
    run(UsersState.open_share, state, support.id)
    assert [p.email for p in state.share_choices] == [CLERK]
    run(UsersState.share, state)
    assert [p.email for p in next(line for line in state.lines if line.id == support.id).shared_with] == [CLERK]


def test_users_page_shows_why_the_plan_greys_out_a_switch(engine, people):
    set_plan(engine, delete=True, delete_all=False, lists=False)
    state = state_of(engine, UsersState, ADMIN)
    with session_scope(engine) as session:
        state._reload(session, session.get(User, people["admin"]))
    clerk = next(row for row in state.users if row.email == CLERK)
    disabled = {s.label for s in clerk.switches if s.disabled}
    assert disabled == {"Delete All", "Lists"}
    assert clerk.note == "Not in the Test plan: Delete All, Lists."
    assert "Not included: Delete All, Lists." in state.plan_summary


def test_only_an_administrator_renames_the_business(engine, people):
    refused(
        AccountState.save_business_name, state_of(engine, AccountState), {"business_name": "Evil"}, reason=ADMIN_ONLY
    )
    admin = state_of(engine, AccountState, ADMIN)
    run(AccountState.save_business_name, admin, {"business_name": "  Corner   Bakery "})
    assert admin.business_name == "Corner Bakery"
    run(AccountState.save_business_name, admin, {"business_name": ""})
    assert admin.business_name_error == "Enter the business name your customers know you by."
    with session_scope(engine) as session:
        assert session.exec(select(Account.name)).one() == "Corner Bakery"


def test_the_search_box_keeps_its_first_200_characters_and_still_finds(engine, people):
    # Issue 8: a pasted essay was searched whole, word by word, holding the worker for seconds.
    state = state_of(engine, ContactsState)
    run(ContactsState.set_query, state, "marie " + "e " * 3000)
    assert len(state.query) == MAX_QUERY_LENGTH
    assert [row.full_name for row in state.rows] == ["Marie Curie"]
