"""/api/v1/blasts: a blast sent and followed through the API, with the same rules as the Blasts page."""

from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.blast_queue import queue_blast
from contacts_app.domain.permissions import set_account_plan
from contacts_app.models import Account, Line

# After any blast's send time, inside every recipient's sending window.
NOON_IN_NEW_YORK = datetime(2027, 6, 10, 16, 0, tzinfo=UTC)


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


@pytest.fixture
def vip(client) -> int:
    """A list of three, one of whom opted out."""
    list_id = client.post("/api/v1/lists", json={"name": "VIP"}).json()["id"]
    ids = []
    for name, phone, opted_out in (
        ("Ann Archer", "2125550101", False),
        ("Bob Baker", "2125550102", True),
        ("Cat Cooper", "2125550103", False),
    ):
        response = client.post("/api/v1/contacts", json={"full_name": name, "phone": phone, "opted_out": opted_out})
        ids.append(response.json()["id"])
    assert client.post(f"/api/v1/lists/{list_id}/members", json={"contact_ids": ids}).status_code == 200
    return list_id


def test_a_blast_posted_is_queued_by_the_scheduler_and_read_back_with_its_counts(engine, client, vip):
    response = client.post(
        "/api/v1/blasts", json={"message": "Hi {first_name}!", "list_ids": [vip], "confirm_count": 2}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["status"], created["confirmed_count"], created["list_ids"]) == ("scheduled", 2, [vip])
    queue_blast(engine, created["id"], now=NOON_IN_NEW_YORK)
    read = client.get(f"/api/v1/blasts/{created['id']}").json()
    assert read["status"] == "queued"
    counts = read["counts"]
    assert (counts["recipients"], counts["skipped_opted_out"], counts["queued"] + counts["held_for_quiet_hours"]) == (
        2,
        1,
        2,
    )


def test_a_count_that_is_no_longer_true_is_refused_with_409(client, vip):
    response = client.post("/api/v1/blasts", json={"message": "Sale", "list_ids": [vip], "confirm_count": 3})
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {
        "confirm": "The recipients changed to 2 since you counted them; confirm again."
    }


def test_bad_blasts_are_refused_naming_the_field(client, vip):
    response = client.post("/api/v1/blasts", json={"message": "Hi {nickname}", "list_ids": [vip, 999]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "body": "Message: unknown merge field {nickname}; use {full_name} or {first_name}.",
        "lists": "Recipients: list 999 is not a list of this line.",
    }


def test_the_basic_plan_refuses_blasts_with_403(engine, client, account_id, vip):
    with session_scope(engine) as session:
        set_account_plan(session, account_id, "basic")
    response = client.post("/api/v1/blasts", json={"message": "Sale", "list_ids": [vip]})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Your plan does not include Text Blasting."


def test_another_accounts_blast_is_not_found(engine, client, vip):
    created = client.post("/api/v1/blasts", json={"message": "Sale", "all_contacts": True}).json()
    with session_scope(engine) as session:
        other = Account(name="Other shop")
        session.add(other)
        session.flush()
        other_key = create_api_key(session, other.id, "Theirs")
    response = client.get(f"/api/v1/blasts/{created['id']}", headers={"Authorization": f"Bearer {other_key}"})
    assert response.status_code == 404


def test_a_list_of_no_line_of_the_account_is_404_and_a_blast_reaching_nobody_is_409(engine, client, vip):
    missing = client.post("/api/v1/blasts", json={"message": "Sale", "list_ids": [999]})
    assert (missing.status_code, missing.json()["error"]["message"]) == (
        404,
        "Recipients: list 999 is not a list of this line.",
    )
    empty = client.post("/api/v1/lists", json={"name": "Empty"}).json()["id"]
    nobody = client.post("/api/v1/blasts", json={"message": "Sale", "list_ids": [empty]})
    assert (nobody.status_code, nobody.json()["error"]["message"]) == (
        409,
        "Recipients: nobody would receive this blast.",
    )
    past = client.post("/api/v1/blasts", json={"message": "Sale", "list_ids": [vip], "send_at": "2020-01-01T09:00:00Z"})
    assert past.status_code == 409
