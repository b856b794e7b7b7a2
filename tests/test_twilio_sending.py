"""Sending through Twilio with the official library, against the local stand-in (tests/twilio_standin.py)."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select
from twilio_standin import TwilioStandin

from contacts_app.carriers import twilio as twilio_carrier
from contacts_app.carriers.connections import (
    TwilioInput,
    check_line,
    reserve_send_slot,
    save_twilio_connection,
    set_line_carrier,
)
from contacts_app.carriers.delivery import MAX_SEND_ATTEMPTS, Outcome, deliver
from contacts_app.carriers.secrets import SecretKeyMissing
from contacts_app.db import session_scope
from contacts_app.domain import consent, consent_requests
from contacts_app.domain.consent import EventKind, Source
from contacts_app.domain.contacts import ContactInput, create_contact, get_contact
from contacts_app.domain.messaging import send_text
from contacts_app.models import CarrierConnection, ConsentStatus, Line, Message, MessageStatus

LINE_NUMBER = "+14155550100"
JANE = "+14155552671"
PUBLIC_URL = "https://contacts.example.com"


@pytest.fixture
def secret_key(monkeypatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CONTACTS_SECRET_KEY", key)
    monkeypatch.delenv("CONTACTS_PUBLIC_URL", raising=False)
    return key


@pytest.fixture
def standin(monkeypatch):
    with TwilioStandin() as standin:
        monkeypatch.setenv(twilio_carrier.API_BASE_ENV, standin.url)
        yield standin


@pytest.fixture
def twilio_line(engine, line_id, standin, secret_key):
    """The test line, connected to a Twilio account (in the stand-in) that owns its number."""
    account_sid, token = standin.add_account(numbers=(LINE_NUMBER,))
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = LINE_NUMBER
        session.add(line)
        save_twilio_connection(session, line.account_id, TwilioInput(account_sid, token), PUBLIC_URL)
        set_line_carrier(session, line.account_id, line_id, connected=True, messages_per_second=1)
    return line_id, account_sid, token


def add_jane(engine, line_id, phone=JANE):
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput("Jane Doe", phone))


def queue_text(engine, line_id, contact_id, body="Your table is ready") -> int:
    with session_scope(engine) as session:
        return send_text(session, get_contact(session, line_id, contact_id), body).id


def message(engine, message_id) -> Message:
    with session_scope(engine) as session:
        return session.get(Message, message_id)


def test_credentials_are_encrypted_at_rest_and_only_their_last_four_characters_are_kept(
    engine, twilio_line, secret_key
):
    _, account_sid, token = twilio_line
    with session_scope(engine) as session:
        connection = session.exec(select(CarrierConnection)).one()
    assert token not in connection.auth_token_encrypted
    assert connection.auth_token_last4 == token[-4:]
    assert Fernet(secret_key).decrypt(connection.auth_token_encrypted.encode()) == token.encode()


def test_saving_credentials_without_an_encryption_key_is_refused_with_a_clear_message(engine, line_id, monkeypatch):
    monkeypatch.delenv("CONTACTS_SECRET_KEY", raising=False)
    with pytest.raises(SecretKeyMissing, match="CONTACTS_SECRET_KEY"), session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        save_twilio_connection(session, account_id, TwilioInput("AC" + "0" * 32, "a" * 32), PUBLIC_URL)
    with session_scope(engine) as session:
        assert session.exec(select(CarrierConnection)).first() is None


def test_a_text_on_a_connected_line_is_queued_then_handed_to_twilio_by_the_send_job(engine, twilio_line, standin):
    line_id, account_sid, _ = twilio_line
    jane = add_jane(engine, line_id)
    message_id = queue_text(engine, line_id, jane.id)
    assert message(engine, message_id).status == MessageStatus.QUEUED
    assert standin.creates() == []  # nothing is sent inside the sender's transaction

    assert deliver(engine, message_id).outcome == Outcome.SUBMITTED
    [create] = standin.creates()
    assert create.params["To"] == JANE and create.params["From"] == LINE_NUMBER
    assert create.params["Body"] == "Your table is ready"
    assert create.username == account_sid
    sent = message(engine, message_id)
    assert create.params["StatusCallback"] == (f"{PUBLIC_URL}/api/v1/carriers/twilio/status?key={sent.idempotency_key}")
    assert sent.provider == "twilio" and sent.provider_message_id == standin.message_to(JANE).sid
    assert sent.status == MessageStatus.QUEUED  # Twilio's own "queued" until a callback says more


def test_the_send_job_run_twice_sends_the_text_once(engine, twilio_line, standin):
    line_id, _, _ = twilio_line
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    assert deliver(engine, message_id).outcome == Outcome.SUBMITTED
    assert deliver(engine, message_id).outcome == Outcome.SKIPPED
    assert len(standin.creates()) == 1


def test_an_api_key_sends_instead_of_the_auth_token_when_given(engine, line_id, standin, secret_key):
    account_sid, token = standin.add_account(numbers=(LINE_NUMBER,))
    key_sid, key_secret = standin.add_api_key(account_sid)
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = LINE_NUMBER
        save_twilio_connection(
            session, line.account_id, TwilioInput(account_sid, token, key_sid, key_secret), PUBLIC_URL
        )
        set_line_carrier(session, line.account_id, line_id, connected=True)
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    assert deliver(engine, message_id).outcome == Outcome.SUBMITTED
    assert standin.creates()[0].username == key_sid


def test_rate_limit_429_is_retried_later_and_then_sent_once(engine, twilio_line, standin):
    line_id, _, _ = twilio_line
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    standin.scripted = [429, 503]
    first = deliver(engine, message_id)
    assert first.outcome == Outcome.RETRY and first.retry_in > timedelta(0)
    waiting = message(engine, message_id)
    assert waiting.status == MessageStatus.QUEUED and "429" in waiting.error_reason
    assert deliver(engine, message_id).outcome == Outcome.RETRY
    assert deliver(engine, message_id).outcome == Outcome.SUBMITTED
    assert len(standin.creates()) == 3
    assert len(standin.messages) == 1
    assert message(engine, message_id).error_reason is None


def test_a_carrier_that_keeps_refusing_fails_the_text_with_the_reason(engine, twilio_line, standin):
    line_id, _, _ = twilio_line
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    standin.scripted = [503] * MAX_SEND_ATTEMPTS
    outcomes = [deliver(engine, message_id).outcome for _ in range(MAX_SEND_ATTEMPTS)]
    assert outcomes == [Outcome.RETRY] * (MAX_SEND_ATTEMPTS - 1) + [Outcome.FAILED]
    failed = message(engine, message_id)
    assert failed.status == MessageStatus.FAILED
    assert failed.error_reason.startswith(f"Gave up after {MAX_SEND_ATTEMPTS} tries")


def test_a_timeout_after_twilio_took_the_text_does_not_send_it_twice(engine, twilio_line, standin, monkeypatch):
    line_id, _, _ = twilio_line
    monkeypatch.setattr(twilio_carrier, "REQUEST_TIMEOUT_SECONDS", 0.5)
    standin.hang_seconds = 1.5
    standin.scripted = ["hang"]
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    first = deliver(engine, message_id)
    assert first.outcome == Outcome.RETRY
    assert message(engine, message_id).send_uncertain
    # The retry asks Twilio first, finds the text it already has, and adopts it.
    assert deliver(engine, message_id).outcome == Outcome.SUBMITTED
    assert len(standin.creates()) == 1
    assert message(engine, message_id).provider_message_id == standin.message_to(JANE).sid


def test_an_invalid_number_fails_the_text_with_twilios_reason_in_words(engine, twilio_line, standin):
    line_id, _, _ = twilio_line
    standin.invalid_numbers.add(JANE)
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    assert deliver(engine, message_id).outcome == Outcome.FAILED
    failed = message(engine, message_id)
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "21211")
    assert failed.error_reason == "The number is not a valid phone number."


def test_error_21610_opts_the_contact_out_with_source_carrier_like_an_inbound_stop(engine, twilio_line, standin):
    line_id, _, _ = twilio_line
    jane = add_jane(engine, line_id)
    standin.stopped_numbers.add(JANE)
    with session_scope(engine) as session:
        jane_now = get_contact(session, line_id, jane.id)
        consent_requests.send_consent_request(session, jane_now, actor="owner@example.com")
        message_id = session.exec(select(Message)).one().id
    assert deliver(engine, message_id).outcome == Outcome.FAILED
    with session_scope(engine) as session:
        contact = get_contact(session, line_id, jane.id)
        assert contact.opted_out and contact.opted_out_source == Source.CARRIER
        assert contact.consent_status == ConsentStatus.DECLINED
        kinds = [(event.kind, event.source) for event in consent.history(session, contact)]
    assert kinds[:2] == [(EventKind.CONSENT_DECLINED, Source.CARRIER), (EventKind.OPTED_OUT, Source.CARRIER)]
    assert message(engine, message_id).error_code == "21610"


def test_lines_not_connected_keep_using_the_outbox(engine, line_id, standin, secret_key):
    message_id = queue_text(engine, line_id, add_jane(engine, line_id).id)
    stored = message(engine, message_id)
    assert (stored.provider, stored.status, stored.idempotency_key) == ("outbox", MessageStatus.QUEUED, None)
    assert standin.requests == []


def test_texts_are_given_send_slots_at_the_lines_rate(engine, twilio_line):
    line_id, _, _ = twilio_line
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        set_line_carrier(session, account_id, line_id, connected=True, messages_per_second=2)
    with session_scope(engine) as session:
        slots = [reserve_send_slot(session, line_id) for _ in range(5)]
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(slots, slots[1:], strict=False)]
    assert gaps == [0.5] * 4


def test_check_connection_says_plainly_what_is_wrong(engine, twilio_line, standin):
    line_id, account_sid, _ = twilio_line
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        assert check_line(session, account_id, line_id) is None
        standin.numbers[account_sid].clear()
        assert check_line(session, account_id, line_id) == (
            f"{LINE_NUMBER} is not a phone number of Twilio account {account_sid}."
        )
        save_twilio_connection(session, account_id, TwilioInput(account_sid, "f" * 32), PUBLIC_URL)
        assert check_line(session, account_id, line_id).startswith("Twilio refused these credentials")


def test_rotating_the_secret_key_re_encrypts_credentials_so_the_old_key_can_go(
    engine, twilio_line, secret_key, monkeypatch, capsys
):
    from contacts_app.carriers.connections import credentials_of, get_connection
    from contacts_app.cli_secrets import rotate_secret_key_command

    _, _, token = twilio_line
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("CONTACTS_SECRET_KEY", f"{new_key},{secret_key}")
    assert rotate_secret_key_command(None, engine) == 0
    monkeypatch.setenv("CONTACTS_SECRET_KEY", new_key)
    with session_scope(engine) as session:
        connection = get_connection(session, session.get(Line, twilio_line[0]).account_id)
        assert credentials_of(connection).auth_token == token


def test_a_text_is_due_at_its_rate_slot_and_no_longer_once_handed_over(engine, twilio_line):
    from contacts_app.carriers.delivery import due_sends
    from contacts_app.models import utcnow

    line_id, _, _ = twilio_line
    jane = add_jane(engine, line_id)
    first = queue_text(engine, line_id, jane.id)
    second = queue_text(engine, line_id, jane.id, body="And a second one")  # one second later at 1/s
    with session_scope(engine) as session:
        assert due_sends(session) == [first]
        assert due_sends(session, now=utcnow() + timedelta(seconds=2)) == [first, second]
    assert deliver(engine, first).outcome == Outcome.SUBMITTED
    with session_scope(engine) as session:
        assert due_sends(session, now=utcnow() + timedelta(seconds=2)) == [second]


def test_the_job_engine_hands_queued_texts_to_twilio_at_the_lines_rate(engine, twilio_line, standin, job_consumer):
    import time

    line_id, _, _ = twilio_line
    jane = add_jane(engine, line_id)
    # Each commit wakes the texts outbox; at 1 text a second the second one's slot is a second later.
    # Timed from the first text's queueing: its slot is then, the second's a second later
    # (queueing itself may take most of that second on a loaded machine).
    started = time.monotonic()
    first = queue_text(engine, line_id, jane.id)
    second = queue_text(engine, line_id, jane.id, body="And a second one")
    while not message(engine, second).provider_message_id and time.monotonic() - started < 15:
        time.sleep(0.05)
    handed_at = time.monotonic() - started
    assert [request.params["Body"] for request in standin.creates()] == ["Your table is ready", "And a second one"]
    assert message(engine, first).provider_message_id
    assert message(engine, second).provider_message_id == standin.message_to(JANE).sid
    assert 0.5 <= handed_at < 10
