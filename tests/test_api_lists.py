"""/api/v1/lists and the account's plan in the API: lists, membership, scoping, 403 for what the plan lacks."""

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.permissions import PlanFeatures, set_account_plan
from contacts_app.models import Account, Line


@pytest.fixture
def account_id(engine, line_id) -> int:
    with session_scope(engine) as session:
        return session.get(Line, line_id).account_id


@pytest.fixture
def client(engine, account_id) -> TestClient:
    with session_scope(engine) as session:
        key = create_api_key(session, account_id, "Zapier")
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


def add_contact(client, name: str, phone: str) -> int:
    response = client.post("/api/v1/contacts", json={"full_name": name, "phone": phone})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def add_list(client, name: str = "VIP", **extra) -> dict:
    response = client.post("/api/v1/lists", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_get_rename_delete_a_list(client):
    created = add_list(client, "  VIP   customers ", description="Best ones")
    assert (created["name"], created["description"], created["member_count"]) == ("VIP customers", "Best ones", 0)
    list_id = created["id"]
    assert client.get(f"/api/v1/lists/{list_id}").json()["name"] == "VIP customers"

    renamed = client.patch(f"/api/v1/lists/{list_id}", json={"name": "Gold"})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Gold", "Best ones")

    assert client.delete(f"/api/v1/lists/{list_id}").status_code == 204
    missing = client.get(f"/api/v1/lists/{list_id}")
    assert missing.status_code == 404
    assert "does not exist" in missing.json()["error"]["message"]


def test_list_errors_name_the_field(client):
    add_list(client, "VIP")
    duplicate = client.post("/api/v1/lists", json={"name": "vip"})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["error"]["fields"]["name"]
    blank = client.post("/api/v1/lists", json={"name": "   "})
    assert blank.json()["error"]["fields"] == {"name": "List name is required."}
    extra = client.post("/api/v1/lists", json={"name": "X", "colour": "red"})
    assert extra.status_code == 422 and "colour" in extra.json()["error"]["fields"]
    null_name = client.patch(f"/api/v1/lists/{add_list(client, 'Other')['id']}", json={"name": None})
    assert null_name.status_code == 422 and "name" in null_name.json()["error"]["fields"]


def test_lists_page_with_a_cursor(client):
    for n in range(5):
        add_list(client, f"List {n}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/lists", params=params).json()
        seen += [row["name"] for row in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"List {n}" for n in range(5)]


def test_members_are_added_and_removed_and_listed_through_contacts(client):
    jane = add_contact(client, "Jane Doe", "415 555 2671")
    john = add_contact(client, "John Roe", "415 555 2672")
    list_id = add_list(client)["id"]

    added = client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": [jane, john, jane]})
    assert added.status_code == 200
    assert added.json() == {"list_id": list_id, "changed": 2, "member_count": 2}
    again = client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": [jane]})
    assert again.json()["changed"] == 0

    members = client.get("/api/v1/contacts", params={"list": list_id}).json()["data"]
    assert sorted(c["full_name"] for c in members) == ["Jane Doe", "John Roe"]

    removed = client.delete(f"/api/v1/lists/{list_id}/members/{jane}")
    assert removed.json() == {"list_id": list_id, "changed": 1, "member_count": 1}
    assert client.get(f"/api/v1/lists/{list_id}").json()["member_count"] == 1


def test_adding_a_contact_that_is_not_on_the_line_adds_nothing(client):
    jane = add_contact(client, "Jane Doe", "415 555 2671")
    list_id = add_list(client)["id"]
    response = client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": [jane, 999]})
    assert response.status_code == 404
    assert "999" in response.json()["error"]["fields"]["contact_ids"]
    assert client.get(f"/api/v1/lists/{list_id}").json()["member_count"] == 0
    assert client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": []}).status_code == 422


def test_another_accounts_key_cannot_see_or_change_our_lists(engine, client):
    list_id = add_list(client)["id"]
    with session_scope(engine) as session:
        account = Account(name="Other business")
        session.add(account)
        session.flush()
        session.add(Line(account_id=account.id, name="Their line"))
        their_key = create_api_key(session, account.id, "theirs")
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {their_key}"}) as theirs:
        assert theirs.get("/api/v1/lists").json()["data"] == []
        assert theirs.get(f"/api/v1/lists/{list_id}").status_code == 404
        assert theirs.delete(f"/api/v1/lists/{list_id}").status_code == 404
        assert theirs.get(f"/api/v1/lists/{list_id}", params={"line": 1}).status_code == 404
    assert client.get(f"/api/v1/lists/{list_id}").status_code == 200


def test_a_plan_without_lists_refuses_every_list_route_with_403(engine, account_id, client):
    jane = add_contact(client, "Jane Doe", "415 555 2671")
    list_id = add_list(client)["id"]
    with session_scope(engine) as session:
        set_account_plan(session, account_id, "basic")
    calls = [
        client.get("/api/v1/lists"),
        client.post("/api/v1/lists", json={"name": "New"}),
        client.get(f"/api/v1/lists/{list_id}"),
        client.patch(f"/api/v1/lists/{list_id}", json={"name": "Renamed"}),
        client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": [jane]}),
        client.delete(f"/api/v1/lists/{list_id}/members/{jane}"),
        client.delete(f"/api/v1/lists/{list_id}"),
        client.get("/api/v1/contacts", params={"list": list_id}),
    ]
    assert [response.status_code for response in calls] == [403] * len(calls)
    assert calls[0].json()["error"]["message"] == "Your plan does not include Lists."
    # Contacts themselves stay reachable.
    assert client.get("/api/v1/contacts").status_code == 200


def test_a_plan_without_deletion_refuses_deleting_a_contact_with_403(engine, account_id, client):
    jane = add_contact(client, "Jane Doe", "415 555 2671")
    with session_scope(engine) as session:
        set_account_plan(session, account_id, "custom", PlanFeatures(delete=False, delete_all=False, lists=True))
    refused = client.delete(f"/api/v1/contacts/{jane}")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Your plan does not include deleting contacts."
    assert client.get(f"/api/v1/contacts/{jane}").status_code == 200
    # Lists are in this plan, and deleting a list is not deleting contacts.
    assert client.delete(f"/api/v1/lists/{add_list(client)['id']}").status_code == 204
