"""/api/v1/reminders: a reminder set up, read, listed, changed, cancelled and sent through the API,
with the Reminders page's rules, and never another account's contact or reminder."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from contacts_app import clock
from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain.accounts import create_account
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.domain.reminders import send_due_reminders
from contacts_app.models import Line, Message

# The account's zone is America/New_York (region US): 09:00 there is 13:00 UTC in June.
NINE_UTC = datetime(2027, 6, 10, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def june_first(tmp_path, monkeypatch) -> None:
    path = tmp_path / "clock"
    monkeypatch.setenv(clock.TEST_CLOCK_ENV, str(path))
    path.write_text(datetime(2027, 6, 1, 12, 0, tzinfo=UTC).isoformat())


def api_client(engine, account_id: int) -> TestClient:
    with session_scope(engine) as session:
        key = create_api_key(session, account_id, "Booking system")
    return TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def client(engine, line_id) -> TestClient:
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
    with api_client(engine, account_id) as client:
        yield client


@pytest.fixture
def ann(engine, line_id) -> int:
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput("Ann Archer", "+12125550101")).id


def weekly(contact_id: int, **changes) -> dict:
    return {
        "contact_id": contact_id,
        "message": "Hi {first_name}, see you at 10",
        "date": "2027-06-10",
        "time": "09:00",
        "repeat": "weekly",
        "repeat_until": "2027-06-24",
        **changes,
    }


def test_a_reminder_set_up_through_the_api_is_listed_sent_at_its_minute_and_repeats(engine, client, ann):
    created = client.post("/api/v1/reminders", json=weekly(ann))
    assert created.status_code == 201, created.text
    reminder = created.json()
    assert (reminder["date"], reminder["time"], reminder["time_zone"]) == ("2027-06-10", "09:00:00", "America/New_York")
    assert reminder["send_at"].startswith("2027-06-10T13:00:00")
    assert reminder["status"] == "scheduled"
    assert client.get(f"/api/v1/reminders/{reminder['id']}").json() == reminder

    listed = client.get("/api/v1/reminders", params={"from": "2027-06-01", "to": "2027-06-30"}).json()
    assert [(item["local_time"], item["projected"]) for item in listed] == [
        ("2027-06-10T09:00:00", False),
        ("2027-06-17T09:00:00", True),
        ("2027-06-24T09:00:00", True),
    ]
    assert {item["contact_name"] for item in listed} == {"Ann Archer"}

    assert send_due_reminders(engine, now=NINE_UTC) == 1
    with session_scope(engine) as session:
        [text] = session.exec(select(Message).where(Message.contact_id == ann)).all()
        assert text.body.startswith("Hi Ann, see you at 10")
    assert client.get(f"/api/v1/reminders/{reminder['id']}").json()["status"] == "sent"
    following = client.get("/api/v1/reminders", params={"from": "2027-06-17", "to": "2027-06-17"}).json()
    assert [(item["status"], item["projected"]) for item in following] == [("scheduled", False)]


def test_a_reminder_is_changed_then_cancelled_and_cannot_change_after(client, ann):
    reminder_id = client.post("/api/v1/reminders", json=weekly(ann, repeat="none", repeat_until=None)).json()["id"]
    changed = client.put(f"/api/v1/reminders/{reminder_id}", json=weekly(ann, time="16:30", repeat="none"))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["time"], changed.json()["repeat_until"]) == ("16:30:00", None)
    cancelled = client.delete(f"/api/v1/reminders/{reminder_id}")
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["detail"] == "Cancelled by API key “Booking system”"
    refused = client.put(f"/api/v1/reminders/{reminder_id}", json=weekly(ann))
    assert refused.status_code == 409
    assert "already sent, skipped or cancelled" in refused.json()["error"]["fields"]["when"]


@pytest.mark.parametrize(
    ("changes", "status", "field", "message"),
    [
        ({"date": "2027-05-31"}, 409, "when", "Date and time: that time has passed."),
        ({"date": "2035-01-01"}, 409, "when", "Date: at most five years ahead."),
        ({"repeat_until": "2027-06-01"}, 409, "repeat_until", "Repeat until: a date on or after the first one."),
        ({"message": "Hi {nickname}"}, 422, "body", "Message: unknown merge field {nickname}"),
        ({"contact_id": 999_999}, 404, "contact", "Contact: choose a contact of this line."),
    ],
)
def test_a_reminder_the_calendar_refuses_says_why(client, ann, changes, status, field, message):
    response = client.post("/api/v1/reminders", json={**weekly(ann), **changes})
    assert response.status_code == status, response.text
    assert response.json()["error"]["fields"][field].startswith(message)


def test_a_span_longer_than_a_quarter_is_refused(client):
    response = client.get("/api/v1/reminders", params={"from": "2027-01-01", "to": "2027-12-31"})
    assert response.status_code == 409
    assert response.json()["error"]["fields"]["to"] == "To: on or after From, and at most 92 days after it."


def test_another_accounts_contacts_and_reminders_are_not_found(engine, client, ann):
    with session_scope(engine) as session:
        other = create_account(session, "Other Shop", "owner@other.example.com", "a long enough password")
        theirs = create_contact(session, other.line.id, ContactInput("Their Customer", "+12125550199")).id
        other_account = other.account.id
    with api_client(engine, other_account) as other_client:
        their_reminder = other_client.post("/api/v1/reminders", json=weekly(theirs)).json()["id"]
    assert client.post("/api/v1/reminders", json=weekly(theirs)).status_code == 404
    for method in ("get", "delete"):
        response = getattr(client, method)(f"/api/v1/reminders/{their_reminder}")
        assert response.status_code == 404
        assert "Their Customer" not in response.text and "see you" not in response.text
    assert client.put(f"/api/v1/reminders/{their_reminder}", json=weekly(ann)).status_code == 404
    assert client.get("/api/v1/reminders", params={"from": "2027-06-01", "to": "2027-06-30"}).json() == []
