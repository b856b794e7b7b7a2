"""Twilio's webhooks (inbound texts, status callbacks), signed the way Twilio signs them."""

import base64

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from contacts_app.api import create_api
from contacts_app.carriers.connections import TwilioInput, save_twilio_connection, set_line_carrier
from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain.consent import EventKind, Source
from contacts_app.domain.contacts import ContactInput, create_contact, get_contact
from contacts_app.domain.messaging import send_text
from contacts_app.models import ConsentEvent, Line, Message, MessageDirection, MessageStatus

LINE_NUMBER = "+14155550100"
JANE = "+14155552671"
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
TESTSERVER = "http://testserver"
INBOUND = "/api/v1/carriers/twilio/inbound"
STATUS = "/api/v1/carriers/twilio/status"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.fixture
def connected(engine, line_id, monkeypatch):
    monkeypatch.setenv("CONTACTS_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("CONTACTS_PUBLIC_URL", raising=False)
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = LINE_NUMBER
        session.add(line)
        save_twilio_connection(session, line.account_id, TwilioInput(ACCOUNT_SID, AUTH_TOKEN), TESTSERVER)
        set_line_carrier(session, line.account_id, line_id, connected=True)
        jane = create_contact(session, line_id, ContactInput("Jane Doe", JANE))
    return line_id, jane.id


@pytest.fixture
def client(engine):
    with TestClient(create_api(engine)) as client:
        yield client


def inbound_params(body: str, sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "From": JANE,
        "To": LINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post(client, path, params, signed_url=None, token=AUTH_TOKEN, headers=None):
    sig = signature(signed_url or TESTSERVER + path, params, token)
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig, **(headers or {})})


def messages(engine) -> list[Message]:
    with session_scope(engine) as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def test_a_signed_inbound_stop_opts_the_contact_out_and_gets_empty_twiml(engine, connected, client):
    line_id, jane_id = connected
    response = post(client, INBOUND, inbound_params("STOP"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == TWIML
    with session_scope(engine) as session:
        jane = get_contact(session, line_id, jane_id)
        assert jane.opted_out and jane.opted_out_source == Source.KEYWORD
    [message] = messages(engine)
    assert (message.direction, message.body, message.provider) == (MessageDirection.INBOUND, "STOP", "twilio")
    assert message.provider_message_id == "SM" + "a" * 32


def test_an_unsigned_inbound_request_gets_403_and_changes_nothing(engine, connected, client):
    response = client.post(INBOUND, data=inbound_params("STOP"))
    assert response.status_code == 403
    assert messages(engine) == []


def test_a_tampered_parameter_breaks_the_signature(engine, connected, client):
    line_id, jane_id = connected
    params = inbound_params("Running late")
    sig = signature(TESTSERVER + INBOUND, params)
    response = client.post(INBOUND, data={**params, "Body": "STOP"}, headers={"X-Twilio-Signature": sig})
    assert response.status_code == 403
    assert messages(engine) == []
    with session_scope(engine) as session:
        assert not get_contact(session, line_id, jane_id).opted_out


def test_a_request_signed_with_another_accounts_token_is_refused(engine, connected, client):
    response = post(client, INBOUND, inbound_params("STOP"), token="f" * 32)
    assert response.status_code == 403
    assert messages(engine) == []


def test_behind_a_proxy_the_configured_public_url_is_the_one_checked(engine, connected, client, monkeypatch):
    monkeypatch.setenv("CONTACTS_PUBLIC_URL", "https://texts.example.com/")
    public = "https://texts.example.com" + INBOUND
    assert post(client, INBOUND, inbound_params("Hello", sid="SM" + "b" * 32), signed_url=public).status_code == 200
    # Signed for the internal address the proxy forwards to: not what Twilio signs, refused.
    assert post(client, INBOUND, inbound_params("Hello", sid="SM" + "c" * 32)).status_code == 403
    assert [m.provider_message_id for m in messages(engine)] == ["SM" + "b" * 32]


def test_a_basic_auth_url_is_signed_without_its_credentials_and_the_credentials_are_checked(
    engine, connected, client, monkeypatch
):
    monkeypatch.setenv("CONTACTS_PUBLIC_URL", "https://twilio:s3cret@texts.example.com")
    signed_url = "https://texts.example.com" + INBOUND  # Twilio drops user:password@ before signing
    good = "Basic " + base64.b64encode(b"twilio:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"twilio:guess").decode()
    params = inbound_params("Hello", sid="SM" + "d" * 32)
    assert post(client, INBOUND, params, signed_url=signed_url, headers={"Authorization": bad}).status_code == 403
    assert post(client, INBOUND, params, signed_url=signed_url, headers={"Authorization": good}).status_code == 200
    assert len(messages(engine)) == 1


def test_twilio_retrying_one_inbound_message_is_taken_in_once(engine, connected, client):
    line_id, jane_id = connected
    params = inbound_params("Running late", sid="SM" + "e" * 32)
    assert post(client, INBOUND, params).status_code == 200
    assert post(client, INBOUND, params).status_code == 200
    assert len(messages(engine)) == 1


def test_the_bearer_key_inbound_route_still_works_beside_the_carrier_route(engine, connected, client):
    assert client.post("/api/v1/inbound", data={"From": JANE, "To": LINE_NUMBER, "Body": "hi"}).status_code == 401


def outbound(engine, line_id, jane_id, sid="SM" + "f" * 32) -> Message:
    with session_scope(engine) as session:
        message = send_text(session, get_contact(session, line_id, jane_id), "Your order is ready")
        message.provider_message_id = sid
        session.add(message)
        return message


def status_params(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "MessageStatus": status, "From": LINE_NUMBER, "To": JANE}
    if error_code:
        params["ErrorCode"] = error_code
    return params


def status_of(engine, message_id) -> Message:
    with session_scope(engine) as session:
        return session.get(Message, message_id)


def test_status_callbacks_move_the_status_forward_and_never_back(engine, connected, client):
    sent = outbound(engine, *connected)
    path = f"{STATUS}?key={sent.idempotency_key}"
    assert post(client, path, status_params(sent.provider_message_id, "sent")).status_code == 200
    assert status_of(engine, sent.id).status == MessageStatus.SENT
    assert post(client, path, status_params(sent.provider_message_id, "delivered")).status_code == 200
    # Twilio's callbacks can arrive out of order: a late "sent" leaves "delivered" alone.
    assert post(client, path, status_params(sent.provider_message_id, "sent")).status_code == 200
    assert post(client, path, status_params(sent.provider_message_id, "queued")).status_code == 200
    assert status_of(engine, sent.id).status == MessageStatus.DELIVERED


def test_an_undelivered_callback_says_why_in_words(engine, connected, client):
    sent = outbound(engine, *connected)
    post(client, STATUS, status_params(sent.provider_message_id, "undelivered", "30003"))
    stored = status_of(engine, sent.id)
    assert (stored.status, stored.error_code) == (MessageStatus.UNDELIVERED, "30003")
    assert stored.error_reason == "The phone is switched off or out of reach."


def test_a_failed_callback_with_21610_opts_the_contact_out_as_the_carrier(engine, connected, client):
    line_id, jane_id = connected
    sent = outbound(engine, line_id, jane_id)
    post(client, STATUS, status_params(sent.provider_message_id, "failed", "21610"))
    with session_scope(engine) as session:
        jane = get_contact(session, line_id, jane_id)
        assert jane.opted_out and jane.opted_out_source == Source.CARRIER
        assert consent.history(session, jane)[0].kind in (EventKind.OPTED_OUT, EventKind.CONSENT_DECLINED)


def test_a_status_callback_finds_its_message_by_key_when_the_sends_answer_was_lost(engine, connected, client):
    with session_scope(engine) as session:
        line_id, jane_id = connected
        message = send_text(session, get_contact(session, line_id, jane_id), "Hello")
        key, message_id = message.idempotency_key, message.id
    post(client, f"{STATUS}?key={key}", status_params("SM" + "9" * 32, "sent"))
    stored = status_of(engine, message_id)
    assert (stored.provider_message_id, stored.status) == ("SM" + "9" * 32, MessageStatus.SENT)


def test_an_unsigned_status_callback_changes_nothing(engine, connected, client):
    sent = outbound(engine, *connected)
    response = client.post(STATUS, data=status_params(sent.provider_message_id, "failed", "21610"))
    assert response.status_code == 403
    assert status_of(engine, sent.id).status == MessageStatus.QUEUED
    with session_scope(engine) as session:
        assert session.exec(select(ConsentEvent).where(ConsentEvent.source == Source.CARRIER)).first() is None
