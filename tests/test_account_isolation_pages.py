"""Two businesses, the pages' door: event handlers and the CSV download route, with crafted ids.

Each handler is called on the server as it would be for an event crafted in Acme's browser with
Bravo's ids (the contact, list, line, user, key, endpoint, delivery). Nothing of Bravo's may
change and nothing of Bravo's may reach Acme's page state.
"""

from collections.abc import Iterator

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient
from test_account_isolation import PASSWORD, Business, bravo_untouched, open_business
from test_state_permissions import run, state_of

from contacts_app import db
from contacts_app.api import create_api
from contacts_app.api.exports import export_url
from contacts_app.db import session_scope
from contacts_app.domain import auth
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.permissions import PermissionDenied
from contacts_app.models import ApiKey, Line, LineAccess, User, WebhookDelivery, WebhookEndpoint
from contacts_app.state.contacts import ContactsState
from contacts_app.state.integrations import IntegrationsState
from contacts_app.state.lists import ListsState
from contacts_app.state.session import SessionState
from contacts_app.state.users import UsersState

ACME = "ann@acme.example.com"


@pytest.fixture
def engine(migrated_sqlite_copy, monkeypatch) -> Iterator:
    """The database the handlers reach through `session_scope()`, as in the running app."""
    url = f"sqlite:///{migrated_sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    db.engine_for.cache_clear()
    engine = db.engine_for(url)
    yield engine
    engine.dispose()
    db.engine_for.cache_clear()


@pytest.fixture
def acme(engine) -> Business:
    return open_business(engine, "Acme", ACME, "+14155550101", "(415) 555-0111")


@pytest.fixture
def bravo(engine, acme) -> Business:
    return open_business(engine, "Bravo", "bob@bravo.example.com", "+14155550202", "(415) 555-0111")


def no_bravo_in(state) -> None:
    shown = repr(state.dict())
    assert "Bravo" not in shown and "bob@bravo" not in shown and "0202" not in shown


def test_the_contacts_page_never_opens_changes_or_deletes_another_accounts_contact(engine, acme, bravo):
    state = state_of(engine, ContactsState, ACME)
    run(ContactsState.select, state, bravo.contact)
    assert state.selected.id != bravo.contact
    state.delete_id, state.delete_name = bravo.contact, "them"
    run(ContactsState.confirm_delete, state)
    run(ContactsState.set_list_filter, state, str(bravo.list))
    assert state.rows == []
    run(ContactsState.select, state, acme.contact)
    run(ContactsState.toggle_list_membership, state, str(bravo.list), True)
    no_bravo_in(state)
    bravo_untouched(engine, bravo)


def test_the_lists_page_never_renames_deletes_or_exports_another_accounts_list(engine, acme, bravo):
    state = state_of(engine, ListsState, ACME)
    run(ListsState.load, state)
    state.edit_id = bravo.list
    run(ListsState.save, state, {"name": "Stolen", "description": ""})
    state.delete_id, state.delete_name = bravo.list, "theirs"
    run(ListsState.confirm_delete, state)
    no_bravo_in(state)
    bravo_untouched(engine, bravo)


def test_switching_to_another_accounts_line_is_refused(engine, acme, bravo):
    state = state_of(engine, SessionState, ACME)
    with pytest.raises(PermissionDenied):
        run(SessionState.switch_line, state, str(bravo.line))
    assert state.active_line_id != bravo.line
    assert [choice.id for choice in state.line_choices] in ([], [str(acme.line)])


def test_the_users_page_never_reaches_another_accounts_users_or_lines(engine, acme, bravo):
    state = state_of(engine, UsersState, ACME)
    run(UsersState.load, state)
    no_bravo_in(state)
    for handler, *args in (
        (UsersState.set_permission, bravo.admin, "can_delete", False),
        (UsersState.set_role, bravo.admin, "user"),
        (UsersState.set_disabled, bravo.admin, True),
        (UsersState.unshare, bravo.line, str(bravo.admin), "Main line", "bob@bravo.example.com"),
    ):
        try:
            run(handler, state, *args)
        except (PermissionDenied, LookupError):
            pass
    state.password_user_id = bravo.admin
    run(UsersState.reset_password, state, {"password": "taken over, surely", "confirm": "taken over, surely"})
    state.line_id, state.line_owner = bravo.line, ""
    run(UsersState.save_line, state, {"name": "Stolen", "phone": "+14155550909"})
    state.share_line_id, state.share_user_id = bravo.line, str(acme.admin)
    run(UsersState.share, state)
    state.share_line_id, state.share_user_id = acme.line, str(bravo.admin)
    run(UsersState.share, state)
    no_bravo_in(state)
    with session_scope(engine) as session:
        bob = session.get(User, bravo.admin)
        assert (bob.role, bob.disabled, bob.can_delete) == ("admin", False, None)
        assert auth.verify_password(bob.password_hash, PASSWORD)
        line = session.get(Line, bravo.line)
        assert (line.name, line.phone) == ("Main line", bravo.number)
        assert session.exec(select(func.count()).select_from(LineAccess)).one() == 0


def test_the_integrations_page_never_reaches_another_accounts_keys_endpoints_or_deliveries(engine, acme, bravo):
    state = state_of(engine, IntegrationsState, ACME)
    run(IntegrationsState.load, state)
    assert [row.id for row in state.endpoints] == [acme.endpoint]
    assert [row.id for row in state.deliveries] == [acme.delivery]
    for handler, *args in (
        (IntegrationsState.revoke_key, bravo.key_id),
        (IntegrationsState.rotate_secret, bravo.endpoint),
        (IntegrationsState.resend, bravo.delivery),
    ):
        run(handler, state, *args)
    state.delete_endpoint_id = bravo.endpoint
    run(IntegrationsState.confirm_delete_endpoint, state)
    assert state.new_secret == ""
    no_bravo_in(state)
    with session_scope(engine) as session:
        assert session.get(ApiKey, bravo.key_id).revoked_at is None
        assert session.get(WebhookEndpoint, bravo.endpoint) is not None
        assert session.get(WebhookDelivery, bravo.delivery).status == "pending"


def test_the_csv_download_route_refuses_another_accounts_line_and_list(engine, acme, bravo):
    token = auth.authenticate(engine, ACME, PASSWORD).token
    with TestClient(create_api(engine), cookies={auth.SESSION_COOKIE: token}) as browser:
        crafted = (
            export_url(bravo.line),
            export_url(bravo.line, ContactFilter(list_id=bravo.list)),
            export_url(acme.line, ContactFilter(list_id=bravo.list)),
        )
        for url in crafted:
            response = browser.get(url)
            assert response.status_code in (403, 404), url
            assert "Bravo Customer" not in response.text
        own = browser.get(export_url(acme.line))
        assert own.status_code == 200 and "Acme Customer" in own.text and "Bravo" not in own.text
