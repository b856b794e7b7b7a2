"""Two businesses on one installation: every door keeps each to its own data.

Acme and Bravo each have an administrator, a numbered line, a contact on a list, an API key and
a webhook endpoint. Acme then tries every door with Bravo's ids: the REST API (404, never their
data), inbound texts, webhooks, imports, exports, Delete All and the domain functions behind
the pages. The pages' handlers and the download route are in test_account_isolation_pages.py,
the command line in test_cli_accounts.py.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain import accounts, api_keys, events, lines, lists, users, webhooks
from contacts_app.domain.accounts import create_account
from contacts_app.domain.bulk_delete import delete_all_contacts_for
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, ContactNotFound, create_contact, get_contact
from contacts_app.domain.exporter import export_rows
from contacts_app.domain.importer import ImportOptions, run_import
from contacts_app.domain.permissions import PermissionDenied
from contacts_app.models import Account, Contact, Message, User, WebhookDelivery

PASSWORD = "a long enough password"


@dataclass
class Business:
    account: int
    admin: int
    line: int
    number: str
    contact: int
    list: int
    key: str
    key_id: int
    endpoint: int
    delivery: int


def open_business(engine, name: str, email: str, number: str, customer_phone: str) -> Business:
    with session_scope(engine) as session:
        made = create_account(session, name, email, PASSWORD)
        lines.set_line_number(session, made.account.id, made.line.id, number)
        endpoint, _ = webhooks.create_endpoint(
            session, made.account.id, f"https://{name.lower()}.example.com/h", list(events.EVENT_TYPES)
        )
        key = api_keys.create_api_key(session, made.account.id, f"{name} key")
        key_id = api_keys.list_api_keys(session, made.account.id)[0].id
        contact = create_contact(session, made.line.id, ContactInput(f"{name} Customer", customer_phone))
        contact_list = lists.create_list(session, made.line.id, f"{name} VIPs")
        lists.add_to_list(session, made.line.id, contact_list.id, [contact.id])
        [delivery] = session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all()
        return Business(
            made.account.id,
            made.admin.id,
            made.line.id,
            number,
            contact.id,
            contact_list.id,
            key,
            key_id,
            endpoint.id,
            delivery.id,
        )


@pytest.fixture
def acme(engine) -> Business:
    return open_business(engine, "Acme", "ann@acme.example.com", "+14155550101", "(415) 555-0111")


@pytest.fixture
def bravo(engine, acme) -> Business:
    return open_business(engine, "Bravo", "bob@bravo.example.com", "+14155550202", "(415) 555-0111")


@pytest.fixture
def acme_api(engine, acme) -> TestClient:
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {acme.key}"}) as client:
        yield client


def bravo_untouched(engine, bravo: Business) -> None:
    with session_scope(engine) as session:
        contact = get_contact(session, bravo.line, bravo.contact)
        assert (contact.full_name, contact.opted_out) == ("Bravo Customer", False)
        assert lists.get_list(session, bravo.line, bravo.list).name == "Bravo VIPs"
        assert [m.id for m in lists.list_members(session, bravo.line, bravo.list).rows] == [bravo.contact]


# --- REST API -------------------------------------------------------------------------


def test_an_api_key_lists_only_its_own_accounts_contacts_lists_and_lines(acme_api, acme, bravo):
    contacts = acme_api.get("/api/v1/contacts").json()["data"]
    assert [c["id"] for c in contacts] == [acme.contact]
    assert [item["id"] for item in acme_api.get("/api/v1/lists").json()["data"]] == [acme.list]
    assert [line["id"] for line in acme_api.get("/api/v1/lines").json()] == [acme.line]
    # The same customer's number on both accounts: the key finds only its own.
    found = acme_api.get("/api/v1/contacts", params={"phone": "(415) 555-0111"}).json()["data"]
    assert [c["id"] for c in found] == [acme.contact]


def test_every_api_route_answers_404_for_the_other_accounts_ids(engine, acme_api, acme, bravo):
    crafted = [
        ("GET", f"/api/v1/contacts/{bravo.contact}", None),
        ("PATCH", f"/api/v1/contacts/{bravo.contact}", {"full_name": "Stolen"}),
        ("DELETE", f"/api/v1/contacts/{bravo.contact}", None),
        ("POST", f"/api/v1/contacts/{bravo.contact}/consent-request", None),
        ("GET", f"/api/v1/contacts?line={bravo.line}", None),
        ("GET", f"/api/v1/contacts?list={bravo.list}", None),
        ("POST", f"/api/v1/contacts?line={bravo.line}", {"full_name": "Planted", "phone": "4155550999"}),
        ("PUT", f"/api/v1/contacts/by-phone/4155550111?line={bravo.line}", {"full_name": "Stolen"}),
        ("GET", f"/api/v1/lists/{bravo.list}", None),
        ("PATCH", f"/api/v1/lists/{bravo.list}", {"name": "Stolen"}),
        ("DELETE", f"/api/v1/lists/{bravo.list}", None),
        ("GET", f"/api/v1/lists?line={bravo.line}", None),
        ("POST", f"/api/v1/lists/{bravo.list}/members", {"contact_ids": [acme.contact]}),
        ("POST", f"/api/v1/lists/{acme.list}/members", {"contact_ids": [bravo.contact]}),
        ("DELETE", f"/api/v1/lists/{bravo.list}/members/{bravo.contact}", None),
        ("DELETE", f"/api/v1/lists/{acme.list}/members/{bravo.contact}", None),
        ("PATCH", f"/api/v1/lines/{bravo.line}", {"phone": "+14155550303"}),
    ]
    for method, url, body in crafted:
        response = acme_api.request(method, url, json=body)
        assert response.status_code == 404, (method, url, response.text)
        assert "Bravo" not in response.text and "0111" not in response.text
    bravo_untouched(engine, bravo)


def test_another_accounts_key_is_not_a_key_here(engine, acme, bravo):
    with session_scope(engine) as session:
        with pytest.raises(api_keys.ApiKeyNotFound):
            api_keys.revoke_api_key(session, acme.account, bravo.key_id)
        assert [key.id for key in api_keys.list_api_keys(session, acme.account)] == [acme.key_id]
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {bravo.key}"}) as bravo_api:
        assert bravo_api.get("/api/v1/contacts").json()["data"][0]["id"] == bravo.contact


# --- Inbound texts --------------------------------------------------------------------


def test_inbound_to_picks_the_accounts_own_line_and_never_the_others(engine, acme_api, acme, bravo):
    stop = acme_api.post("/api/v1/inbound", json={"from": "(415) 555-0111", "to": bravo.number, "body": "STOP"})
    assert stop.status_code == 404
    own = acme_api.post("/api/v1/inbound", json={"from": "(415) 555-0111", "to": acme.number, "body": "STOP"})
    assert own.status_code == 200 and own.json()["contact_id"] == acme.contact
    with session_scope(engine) as session:
        assert {message.line_id for message in session.exec(select(Message))} == {acme.line}
        assert get_contact(session, acme.line, acme.contact).opted_out
        assert not get_contact(session, bravo.line, bravo.contact).opted_out


# --- Webhooks -------------------------------------------------------------------------


def test_an_accounts_endpoints_get_only_its_own_events(engine, acme, bravo):
    with session_scope(engine) as session:
        create_contact(session, bravo.line, ContactInput("Only Bravo", "(415) 555-0122"))
        rows = session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert {(row.endpoint_id, row.account_id) for row in rows} == {
        (acme.endpoint, acme.account),
        (bravo.endpoint, bravo.account),
    }
    assert all("Only Bravo" not in row.payload for row in rows if row.endpoint_id == acme.endpoint)


def test_endpoints_and_deliveries_of_another_account_are_not_found(engine, acme, bravo):
    attempts = [
        lambda s: webhooks.get_endpoint(s, acme.account, bravo.endpoint),
        lambda s: webhooks.update_endpoint(
            s, acme.account, bravo.endpoint, "https://evil.example.com", ["contact.created"]
        ),
        lambda s: webhooks.rotate_secret(s, acme.account, bravo.endpoint),
        lambda s: webhooks.delete_endpoint(s, acme.account, bravo.endpoint),
        lambda s: webhooks.resend_delivery(s, acme.account, bravo.delivery),
    ]
    for attempt in attempts:
        with pytest.raises(webhooks.WebhookNotFound), session_scope(engine) as session:
            attempt(session)
    with session_scope(engine) as session:
        assert [d.id for d in webhooks.list_deliveries(session, acme.account)] == [acme.delivery]
        assert webhooks.list_deliveries(session, acme.account, endpoint_id=bravo.endpoint) == []
        with pytest.raises(webhooks.WebhookInvalid):
            webhooks.create_endpoint(session, acme.account, "https://x.example.com", ["contact.created"], bravo.line)
        assert events.subscribed_endpoints(session, session.get(lines.Line, bravo.line), "contact.created")[0].id == (
            bravo.endpoint
        )


# --- Imports, exports, Delete All ------------------------------------------------------


def test_an_import_cannot_reach_another_accounts_list(engine, acme, bravo, tmp_path: Path):
    csv = tmp_path / "people.csv"
    csv.write_text("Planted Person,(415) 555-0133\n")
    with pytest.raises(lists.ListNotFound):
        run_import(engine, csv, acme.line, ImportOptions(list_id=bravo.list))
    with session_scope(engine) as session:
        assert session.exec(select(Contact).where(Contact.full_name == "Planted Person")).all() == []
    bravo_untouched(engine, bravo)


def test_an_export_holds_only_the_lines_contacts_and_refuses_another_accounts_list(engine, acme, bravo):
    assert [row[0] for row in export_rows(engine, acme.line)] == ["Acme Customer"]
    with pytest.raises(lists.ListNotFound):
        list(export_rows(engine, acme.line, ContactFilter(list_id=bravo.list)))


def test_delete_all_by_one_accounts_administrator_cannot_touch_the_others_line(engine, acme, bravo):
    with pytest.raises(PermissionDenied):
        delete_all_contacts_for(engine, acme.admin, bravo.line)
    assert delete_all_contacts_for(engine, acme.admin, acme.line) == 1
    bravo_untouched(engine, bravo)


# --- What the pages call: users and lines ------------------------------------------------


def test_an_administrator_cannot_manage_another_accounts_users_or_lines(engine, acme, bravo):
    def as_acme(action):
        with session_scope(engine) as session:
            action(session, session.get(User, acme.admin))

    for action in (
        lambda s, admin: users.set_role(s, admin, bravo.admin, "user"),
        lambda s, admin: users.set_disabled(s, admin, bravo.admin, True),
        lambda s, admin: users.reset_password(s, admin, bravo.admin, "another long password"),
        lambda s, admin: users.set_permissions(s, admin, bravo.admin, {"can_delete": False}),
    ):
        with pytest.raises(users.UserNotFound):
            as_acme(action)
    for action in (
        lambda s, admin: lines.update_line(s, admin, bravo.line, name="Stolen"),
        lambda s, admin: lines.share_line(s, admin, bravo.line, acme.admin),
        lambda s, admin: lines.assign_owner(s, admin, bravo.line, acme.admin),
    ):
        with pytest.raises(lines.LineNotFound):
            as_acme(action)
    for action in (
        lambda s, admin: lines.share_line(s, admin, acme.line, bravo.admin),
        lambda s, admin: lines.assign_owner(s, admin, acme.line, bravo.admin),
    ):
        with pytest.raises(lines.LineInvalid):
            as_acme(action)
    with session_scope(engine) as session:
        admin = session.get(User, acme.admin)
        assert [user.id for user in users.list_users(session, admin)] == [acme.admin]
        assert [line.id for line in lines.list_lines(session, admin)] == [acme.line]
        with pytest.raises(lines.LineNotFound):
            lines.set_line_number(session, acme.account, bravo.line, "+14155550404")
        bravo_admin = session.get(User, bravo.admin)
        assert (bravo_admin.role, bravo_admin.disabled) == ("admin", False)


def test_a_contact_of_another_account_is_not_found_through_the_domain(engine, acme, bravo):
    with session_scope(engine) as session, pytest.raises(ContactNotFound):
        get_contact(session, acme.line, bravo.contact)


def test_where_several_accounts_share_an_install_the_plan_is_the_providers(engine, acme, bravo):
    with session_scope(engine) as session:
        admin = session.get(User, acme.admin)
        with pytest.raises(PermissionDenied) as refusal:
            accounts.choose_plan(session, admin, "basic")
        assert str(refusal.value) == accounts.PLAN_SET_BY_PROVIDER
        assert accounts.choose_region(session, admin, "gb") == "GB"
        assert session.get(Account, bravo.account).default_region == "US"


def test_a_test_event_goes_to_the_one_endpoint_and_never_to_another_accounts(engine, acme, bravo):
    with session_scope(engine) as session:
        with pytest.raises(webhooks.WebhookNotFound):
            webhooks.queue_test_event(session, acme.account, bravo.endpoint)
        delivery = webhooks.queue_test_event(session, acme.account, acme.endpoint)
        assert (delivery.endpoint_id, delivery.event_type) == (acme.endpoint, "webhook.test")
        assert session.exec(select(WebhookDelivery).where(WebhookDelivery.event_type == "webhook.test")).all() == [
            delivery
        ]
