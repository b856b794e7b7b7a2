"""The REST API through Starlette's TestClient: auth, scoping, validation, pagination, inbound."""

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain.api_keys import create_api_key, revoke_api_key
from contacts_app.domain.consent import Source
from contacts_app.domain.contacts import ContactInput, create_contact, get_contact
from contacts_app.models import Account, ApiKey, ContactList, Line, ListMembership, Message

LINE_NUMBER = "+14155550100"


@pytest.fixture
def account_id(engine, line_id) -> int:
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = LINE_NUMBER
        session.add(line)
        return line.account_id


@pytest.fixture
def key(engine, account_id) -> str:
    with session_scope(engine) as session:
        return create_api_key(session, account_id, "Zapier")


@pytest.fixture
def client(engine, key) -> TestClient:
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


def other_account_key(engine) -> tuple[str, int]:
    with session_scope(engine) as session:
        account = Account(name="Other business")
        session.add(account)
        session.flush()
        line = Line(account_id=account.id, name="Other line", phone="+14155550177")
        session.add(line)
        session.flush()
        return create_api_key(session, account.id, "theirs"), line.id


def add(client, name="Jane Doe", phone="(415) 555-2671", **extra):
    response = client.post("/api/v1/contacts", json={"full_name": name, "phone": phone, **extra})
    assert response.status_code == 201, response.text
    return response.json()


# --- Keys and auth ---------------------------------------------------------------------


def test_api_keys_are_stored_hashed_and_shown_once(engine, account_id, key):
    with session_scope(engine) as session:
        [stored] = session.exec(select(ApiKey)).all()
    assert key.startswith("ck_") and len(key) > 40
    assert key not in (stored.key_hash, stored.prefix) and key.startswith(stored.prefix)


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer ck_wrong", "Basic abc", "Bearer "])
def test_requests_without_a_valid_key_get_401_and_change_nothing(engine, account_id, header):
    headers = {"Authorization": header} if header else {}
    with TestClient(create_api(engine)) as anonymous:
        inbound = anonymous.post(
            "/api/v1/inbound", data={"From": "4155552671", "To": LINE_NUMBER, "Body": "STOP"}, headers=headers
        )
        created = anonymous.post("/api/v1/contacts", json={"full_name": "X", "phone": "4155552671"}, headers=headers)
        listed = anonymous.get("/api/v1/contacts", headers=headers)
    assert [r.status_code for r in (inbound, created, listed)] == [401, 401, 401]
    assert inbound.json()["error"]["message"].startswith("A valid API key is required")
    assert inbound.headers["www-authenticate"] == "Bearer"
    with session_scope(engine) as session:
        assert session.exec(select(Message)).all() == []


def test_a_revoked_key_stops_working(engine, account_id, key, client):
    assert client.get("/api/v1/contacts").status_code == 200
    with session_scope(engine) as session:
        [stored] = session.exec(select(ApiKey)).all()
        revoke_api_key(session, account_id, stored.id)
    assert client.get("/api/v1/contacts").status_code == 401


# --- Inbound ---------------------------------------------------------------------------


def test_inbound_twilio_form_stop_opts_the_contact_out(engine, line_id, client):
    jane = add(client)
    response = client.post("/api/v1/inbound", data={"From": "+14155552671", "To": "(415) 555-0100", "Body": "Stop"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "message_id": response.json()["message_id"],
        "contact_id": jane["id"],
        "phone": "+14155552671",
        "keyword": "opt_out",
        "actions": ["opted_out"],
    }
    assert client.get(f"/api/v1/contacts/{jane['id']}").json()["opted_out"] is True


def test_inbound_json_is_accepted_too(client):
    response = client.post("/api/v1/inbound", json={"from": "4155552671", "to": LINE_NUMBER, "body": "hello"})
    assert response.status_code == 200
    assert response.json()["actions"] == ["recorded"]


def test_inbound_to_a_number_that_is_not_a_line_of_the_account_is_refused(engine, client):
    other_key, _ = other_account_key(engine)
    response = client.post("/api/v1/inbound", json={"from": "4155552671", "to": "+14155550177", "body": "STOP"})
    assert response.status_code == 404
    assert "to" in response.json()["error"]["fields"]
    with session_scope(engine) as session:
        assert session.exec(select(Message)).all() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {"to": LINE_NUMBER, "body": "x"}}, "from"),
        ({"json": {"from": "banana", "to": LINE_NUMBER, "body": "x"}}, "from"),
        ({"json": {"from": "4155552671", "to": LINE_NUMBER, "body": 5}}, "body"),
        ({"json": ["not", "an", "object"]}, "body"),
        ({"content": b"{oops", "headers": {"content-type": "application/json"}}, "body"),
        ({"content": b"From=1", "headers": {"content-type": "text/plain"}}, "body"),
    ],
)
def test_inbound_bad_input_names_the_field(client, kwargs, field):
    response = client.post("/api/v1/inbound", **kwargs)
    assert 400 <= response.status_code < 500
    assert field in response.json()["error"]["fields"]


# --- Contacts --------------------------------------------------------------------------


def test_create_get_patch_delete(client):
    jane = add(client, email="Jane@Example.com")
    assert (jane["phone"], jane["email"], jane["consent_status"]) == ("+14155552671", "jane@example.com", "not_sent")
    assert client.get(f"/api/v1/contacts/{jane['id']}").json() == jane
    patched = client.patch(f"/api/v1/contacts/{jane['id']}", json={"full_name": "Jane Roe"}).json()
    assert (patched["full_name"], patched["phone"]) == ("Jane Roe", "+14155552671")
    assert patched["email"] == "jane@example.com"
    cleared = client.patch(f"/api/v1/contacts/{jane['id']}", json={"email": ""}).json()
    assert cleared["email"] is None
    assert client.delete(f"/api/v1/contacts/{jane['id']}").status_code == 204
    missing = client.get(f"/api/v1/contacts/{jane['id']}")
    assert missing.status_code == 404 and "does not exist" in missing.json()["error"]["message"]


def test_validation_errors_name_each_field(client):
    response = client.post("/api/v1/contacts", json={"full_name": " ", "phone": "12", "email": "nope"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"full_name", "phone", "email"}
    missing = client.post("/api/v1/contacts", json={"full_name": "Jane"})
    assert missing.status_code == 422 and "phone" in missing.json()["error"]["fields"]
    unknown = client.post("/api/v1/contacts", json={"full_name": "Jane", "phone": "4155552671", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["fields"]


def test_a_duplicate_phone_is_a_conflict_naming_the_phone(client):
    add(client)
    response = client.post("/api/v1/contacts", json={"full_name": "Other", "phone": "+1 415 555 2671"})
    assert response.status_code == 409
    assert "Jane Doe" in response.json()["error"]["fields"]["phone"]


def test_cursor_pagination_walks_every_contact_once(client):
    ids = [add(client, f"Person {n}", f"(415) 555-01{n:02d}")["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/contacts", params=params).json()
        seen += [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    bad = client.get("/api/v1/contacts", params={"cursor": "garbage!"})
    assert bad.status_code == 422 and "cursor" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/contacts", params={"limit": 0}).status_code == 422


def test_filters_phone_in_any_format_email_q_and_list(engine, line_id, client):
    jane = add(client, email="jane@example.com")
    jim = add(client, "Jim Roe", "(415) 555-0199", email="jim@example.com")

    def names(**params):
        return [row["full_name"] for row in client.get("/api/v1/contacts", params=params).json()["data"]]

    assert names(phone="415.555.2671") == ["Jane Doe"]
    assert names(phone="+1 (415) 555-0199") == ["Jim Roe"]
    assert names(email="JIM@example.com") == ["Jim Roe"]
    assert names(q="roe") == ["Jim Roe"]
    assert names(q="0199") == ["Jim Roe"]
    with session_scope(engine) as session:
        vip = ContactList(line_id=line_id, name="VIP", name_key="vip")
        session.add(vip)
        session.flush()
        session.add(ListMembership(list_id=vip.id, contact_id=jane["id"]))
        vip_id = vip.id
    assert names(list=vip_id) == ["Jane Doe"]
    assert client.get("/api/v1/contacts", params={"list": 999}).status_code == 404
    bad = client.get("/api/v1/contacts", params={"phone": "banana"})
    assert bad.status_code == 422 and "phone" in bad.json()["error"]["fields"]
    assert jim["id"] != jane["id"]


def test_put_by_phone_creates_then_updates(client):
    created = client.put("/api/v1/contacts/by-phone/(415) 555-2671", json={"full_name": "Jane Doe"})
    assert created.status_code == 201
    updated = client.put("/api/v1/contacts/by-phone/+14155552671", json={"email": "jane@example.com"})
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["full_name"], updated.json()["email"]) == (
        created.json()["id"],
        "Jane Doe",
        "jane@example.com",
    )
    needs_name = client.put("/api/v1/contacts/by-phone/4155550199", json={})
    assert needs_name.status_code == 404 and "full_name" in needs_name.json()["error"]["fields"]
    bad_phone = client.put("/api/v1/contacts/by-phone/banana", json={"full_name": "X"})
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json()["error"]["fields"]


def test_api_can_opt_out_but_cannot_lift_an_opt_out_the_contact_asked_for(engine, line_id, client):
    jane = add(client)
    assert client.patch(f"/api/v1/contacts/{jane['id']}", json={"opted_out": True}).json()["opted_out"] is True
    assert client.patch(f"/api/v1/contacts/{jane['id']}", json={"opted_out": False}).json()["opted_out"] is False
    client.post("/api/v1/inbound", json={"from": "4155552671", "to": LINE_NUMBER, "body": "STOP"})
    refused = client.patch(f"/api/v1/contacts/{jane['id']}", json={"opted_out": False})
    assert refused.status_code == 409 and "START" in refused.json()["error"]["fields"]["opted_out"]
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane["id"])
        assert contact.opted_out is True
        assert [e.source for e in consent.history(session, contact)][:2] == ["keyword", "api"]


def test_consent_request_through_the_api_refuses_opted_out_contacts(engine, line_id, client):
    jane = add(client)
    assert client.post(f"/api/v1/contacts/{jane['id']}/consent-request").json()["consent_status"] == "pending"
    jim = add(client, "Jim", "(415) 555-0199", opted_out=True)
    refused = client.post(f"/api/v1/contacts/{jim['id']}/consent-request")
    assert refused.status_code == 409 and "opted out" in refused.json()["error"]["fields"]["opted_out"]


# --- Scoping ---------------------------------------------------------------------------


def test_another_accounts_key_sees_none_of_our_contacts(engine, line_id, client):
    jane = add(client)
    other_key, other_line = other_account_key(engine)
    theirs = {"Authorization": f"Bearer {other_key}"}
    assert client.get("/api/v1/contacts", headers=theirs).json()["data"] == []
    assert client.get(f"/api/v1/contacts/{jane['id']}", headers=theirs).status_code == 404
    assert client.delete(f"/api/v1/contacts/{jane['id']}", headers=theirs).status_code == 404
    assert client.patch(f"/api/v1/contacts/{jane['id']}", json={"full_name": "X"}, headers=theirs).status_code == 404
    # ... nor can our key name their line.
    response = client.get("/api/v1/contacts", params={"line": other_line})
    assert response.status_code == 404 and "line" in response.json()["error"]["fields"]


def test_line_parameter_picks_one_of_the_accounts_lines(engine, account_id, client):
    with session_scope(engine) as session:
        second = Line(account_id=account_id, name="Second", phone="+14155550111")
        session.add(second)
        session.flush()
        second_id = second.id
        create_contact(session, second_id, ContactInput("Second Person", "4155550123"))
    add(client)
    assert [c["full_name"] for c in client.get("/api/v1/contacts").json()["data"]] == ["Jane Doe"]
    listed = client.get("/api/v1/contacts", params={"line": second_id}).json()["data"]
    assert [c["full_name"] for c in listed] == ["Second Person"]
    # The same phone may exist once per line.
    same_phone = {"full_name": "J", "phone": "4155552671"}
    assert client.post("/api/v1/contacts", params={"line": second_id}, json=same_phone).status_code == 201


def test_manual_opt_out_made_in_the_ui_is_visible_in_the_api(engine, line_id, client):
    jane = add(client)
    with session_scope(engine) as session:
        consent.opt_out(session, get_contact(session, line_id, jane["id"]), Source.MANUAL, actor="owner")
    body = client.get(f"/api/v1/contacts/{jane['id']}").json()
    assert (body["opted_out"], body["opted_out_source"]) == (True, "manual")


# --- Docs ------------------------------------------------------------------------------


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/contacts/by-phone/{phone}" in spec["paths"]
    assert "application/x-www-form-urlencoded" in spec["paths"]["/api/v1/inbound"]["post"]["requestBody"]["content"]
    assert client.get("/api/docs").status_code == 200


# --- Odd text --------------------------------------------------------------------------

LONE_SURROGATE_JSON = '"lone \\ud800"'


def raw_json(client, method: str, url: str, text: str):
    return client.request(method, url, content=text.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/api/v1/contacts", '{"full_name": %s, "phone": "(415) 555-2671"}', "full_name"),
        ("PUT", "/api/v1/contacts/by-phone/4155552671", '{"full_name": "Jane", "email": %s}', "email"),
        ("POST", "/api/v1/lists", '{"name": %s}', "name"),
        ("POST", "/api/v1/inbound", '{"from": "+14155552671", "to": "+14155550100", "body": %s}', "body"),
    ],
)
def test_an_unpaired_surrogate_is_a_422_naming_the_field(engine, client, method, url, body, field):
    response = raw_json(client, method, url, body % LONE_SURROGATE_JSON)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert "surrogate" in response.json()["error"]["message"]


def test_an_unpaired_surrogate_in_a_patch_is_a_422_too(client):
    jane = add(client)
    body = '{"full_name": ' + LONE_SURROGATE_JSON + "}"
    response = raw_json(client, "PATCH", f"/api/v1/contacts/{jane['id']}", body)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["full_name"]
    assert client.get(f"/api/v1/contacts/{jane['id']}").json()["full_name"] == "Jane Doe"


def test_a_search_for_text_with_a_nul_finds_nothing(client):
    add(client)
    add(client, "Abe Bell", "(415) 555-0142")
    assert client.get("/api/v1/contacts", params={"q": "a\x00b"}).json()["data"] == []
    assert len(client.get("/api/v1/contacts", params={"q": "a"}).json()["data"]) == 2
