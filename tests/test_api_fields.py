"""The REST API's custom fields, tags, notes and filters: the same rules as the details form."""

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain import custom_fields
from contacts_app.domain.api_keys import create_api_key
from contacts_app.models import FieldKind, Line


@pytest.fixture
def client(engine, line_id) -> TestClient:
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        custom_fields.create_field(session, account_id, "Company", FieldKind.TEXT)
        custom_fields.create_field(session, account_id, "VIP", FieldKind.YES_NO)
        custom_fields.create_field(session, account_id, "Visits", FieldKind.NUMBER)
        key = create_api_key(session, account_id, "Zapier")
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


def test_a_contact_is_created_with_fields_tags_and_notes_and_reads_them_back(client):
    body = {
        "full_name": "Ada Lovelace",
        "phone": "2125550101",
        "notes": "Prefers mornings.",
        "tags": ["VIP", "spring sale"],
        "fields": {"Company": "Analytical Engines", "VIP": True, "Visits": 3},
    }
    created = client.post("/api/v1/contacts", json=body)
    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/contacts/{created.json()['id']}").json()
    assert read["fields"] == {"Company": "Analytical Engines", "VIP": "yes", "Visits": "3"}
    assert read["tags"] == ["spring sale", "VIP"]
    assert read["notes"] == "Prefers mornings."


def test_patch_changes_only_the_given_fields_and_null_clears(client):
    created = client.post(
        "/api/v1/contacts", json={"full_name": "Ada", "phone": "2125550101", "fields": {"Company": "AE", "VIP": "no"}}
    ).json()
    patched = client.patch(f"/api/v1/contacts/{created['id']}", json={"fields": {"Company": None}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["fields"] == {"VIP": "no"}


def test_a_bad_field_value_is_a_422_naming_the_field(client):
    response = client.post(
        "/api/v1/contacts", json={"full_name": "Ada", "phone": "2125550101", "fields": {"Visits": "lots"}}
    )
    assert response.status_code == 422
    expected = "Visits must be a number, like 42 or 3.5 (not “lots”)."
    assert response.json()["error"]["fields"] == {"field:Visits": expected}


def test_the_list_filters_like_the_page(client):
    client.post("/api/v1/contacts", json={"full_name": "Ada", "phone": "2125550101", "opted_out": True})
    client.post("/api/v1/contacts", json={"full_name": "Bob", "phone": "2125550102"})
    names = lambda query: [c["full_name"] for c in client.get(f"/api/v1/contacts?{query}").json()["data"]]  # noqa: E731
    assert names("opted_out=true") == ["Ada"]
    assert names("opted_out=false") == ["Bob"]
    assert names("consent_status=not_sent") == ["Ada", "Bob"]
    assert names("needs_review=true") == []
