"""Relay webhooks: the outbox, Standard Webhooks signing, and delivery to a real local HTTP receiver."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from contacts_app.db import make_engine, session_scope
from contacts_app.domain import consent, events, webhook_destinations, webhooks
from contacts_app.domain import webhook_delivery as sender
from contacts_app.domain.consent import Source
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, get_contact, update_contact
from contacts_app.domain.webhooks import WebhookInvalid
from contacts_app.models import Account, DeliveryStatus, Line, WebhookDelivery


class Receiver:
    """A real HTTP server on 127.0.0.1 that answers with the queued status codes (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def allow_private_receivers(monkeypatch):
    """The receivers here listen on 127.0.0.1, which the app refuses unless the operator allows it."""
    monkeypatch.setenv(webhook_destinations.ALLOW_PRIVATE_ENV, "1")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def verify_standard_webhook(secret: str, headers: dict, body: str) -> bool:
    """The Standard Webhooks check as a receiver writes it from the spec, independent of the app's code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    to_sign = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()
    sent = [part.split(",", 1) for part in headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(signature, expected) for version, signature in sent)


def account_of(engine, line_id) -> int:
    with session_scope(engine) as session:
        return session.get(Line, line_id).account_id


def add_endpoint(engine, line_id, url, event_types=events.EVENT_TYPES, endpoint_line=None):
    with session_scope(engine) as session:
        endpoint, secret = webhooks.create_endpoint(
            session, account_of(engine, line_id), url, list(event_types), line_id=endpoint_line
        )
        return endpoint.id, secret


def add_jane(engine, line_id):
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput("Jane Doe", "(415) 555-2671", "jane@example.com"))


def deliveries(engine) -> list[WebhookDelivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_signature_matches_an_independent_implementation_of_the_spec():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type":"contact.created"}'
    signature = webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330"}
    assert verify_standard_webhook(secret, {**headers, "webhook-signature": signature}, body)
    assert not verify_standard_webhook(secret, {**headers, "webhook-signature": signature}, body + " ")
    assert signature.startswith("v1,")


def test_new_secrets_follow_the_whsec_format():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "example.com/hook", "", "http://"])
def test_only_http_urls_are_accepted(engine, line_id, url):
    with pytest.raises(WebhookInvalid) as caught, session_scope(engine) as session:
        webhooks.create_endpoint(session, account_of(engine, line_id), url, ["contact.created"])
    assert "url" in caught.value.errors


def test_unknown_or_missing_events_are_refused(engine, line_id):
    with pytest.raises(WebhookInvalid) as caught, session_scope(engine) as session:
        webhooks.create_endpoint(session, account_of(engine, line_id), "https://x.test/h", ["contact.exploded"])
    assert "events" in caught.value.errors
    with pytest.raises(WebhookInvalid) as caught, session_scope(engine) as session:
        webhooks.create_endpoint(session, account_of(engine, line_id), "https://x.test/h", [])
    assert "events" in caught.value.errors


def test_contact_changes_queue_one_delivery_per_subscribed_endpoint(engine, line_id):
    everything, _ = add_endpoint(engine, line_id, "https://a.test/hook")
    only_created, _ = add_endpoint(engine, line_id, "https://b.test/hook", ["contact.created"])
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        update_contact(session, line_id, jane.id, ContactInput("Jane Roe", "(415) 555-2671", "jane@example.com"))
        consent.opt_out(session, get_contact(session, line_id, jane.id), Source.MANUAL, actor="owner")
        delete_contact(session, line_id, jane.id)
    rows = deliveries(engine)
    assert [(row.event_type, row.endpoint_id) for row in rows] == [
        ("contact.created", everything),
        ("contact.created", only_created),
        ("contact.updated", everything),
        ("contact.opted_out", everything),
        ("contact.deleted", everything),
    ]
    assert rows[0].event_id == rows[1].event_id
    payload = json.loads(rows[2].payload)
    assert payload["type"] == "contact.updated"
    assert payload["data"]["contact"] == {
        "id": jane.id,
        "name": "Jane Roe",
        "phone": "+14155552671",
        "email": "jane@example.com",
        "opted_out": False,
        "consent_status": "not_sent",
    }
    assert payload["data"]["line"]["id"] == line_id
    assert payload["timestamp"].endswith("Z")


def test_saving_without_changes_sends_no_update_event(engine, line_id):
    add_endpoint(engine, line_id, "https://a.test/hook", ["contact.updated"])
    jane = add_jane(engine, line_id)
    with session_scope(engine) as session:
        update_contact(session, line_id, jane.id, ContactInput("Jane Doe", "+14155552671", "jane@example.com"))
    assert deliveries(engine) == []


def test_an_event_is_queued_only_if_its_change_commits(engine, line_id):
    add_endpoint(engine, line_id, "https://a.test/hook")
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Jane Doe", "(415) 555-2671"))
        raise RuntimeError("the request failed after the change")
    assert deliveries(engine) == []


def test_endpoints_of_other_accounts_and_other_lines_hear_nothing(engine, line_id):
    with session_scope(engine) as session:
        other_account = Account(name="Other")
        session.add(other_account)
        session.flush()
        other_line = Line(account_id=other_account.id, name="Other line")
        second_line = Line(account_id=session.get(Line, line_id).account_id, name="Second line")
        session.add_all([other_line, second_line])
        session.flush()
        webhooks.create_endpoint(session, other_account.id, "https://other.test/h", ["contact.created"])
        other_line_id, second_line_id = other_line.id, second_line.id
    add_endpoint(engine, line_id, "https://second.test/h", ["contact.created"], endpoint_line=second_line_id)
    add_jane(engine, line_id)
    assert deliveries(engine) == []
    with session_scope(engine) as session:
        create_contact(session, second_line_id, ContactInput("Jim", "(415) 555-0199"))
        create_contact(session, other_line_id, ContactInput("Jim", "(415) 555-0199"))
    assert [row.event_type for row in deliveries(engine)] == ["contact.created", "contact.created"]


def test_delivery_reaches_a_real_receiver_signed(engine, line_id, receiver):
    _, secret = add_endpoint(engine, line_id, receiver.url)
    jane = add_jane(engine, line_id)
    assert sender.deliver_due(engine) == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert verify_standard_webhook(secret, headers, body)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["data"]["contact"]["id"] == jane.id
    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert headers["webhook-id"] == row.event_id
    # Delivered once: nothing is due any more.
    assert sender.deliver_due(engine) == 0
    assert len(receiver.requests) == 1


def test_failed_delivery_is_retried_with_growing_backoff_then_succeeds(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    receiver.statuses = [500, 503]
    start = datetime.now(UTC)
    assert sender.deliver_due(engine, now=start) == 1
    [row] = deliveries(engine)
    first_wait = sender.as_utc(row.next_attempt_at) - start
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert timedelta(seconds=2.5) <= first_wait <= timedelta(seconds=5)
    # Not due yet: nothing is sent.
    assert sender.deliver_due(engine, now=start + timedelta(seconds=1)) == 0
    second = start + timedelta(seconds=6)
    assert sender.deliver_due(engine, now=second) == 1
    [row] = deliveries(engine)
    assert timedelta(seconds=5) <= sender.as_utc(row.next_attempt_at) - second <= timedelta(seconds=10)
    assert sender.deliver_due(engine, now=second + timedelta(seconds=11)) == 1
    [row] = deliveries(engine)
    assert (row.status, row.attempts) == ("succeeded", 3)
    assert len(receiver.requests) == 3
    # Every retry carries the same webhook-id, so the receiver can tell repeats apart.
    assert len({request["headers"]["webhook-id"] for request in receiver.requests}) == 1


def test_backoff_is_exponential_with_jitter_and_capped():
    import random

    rng = random.Random(7)
    for attempts in range(1, 8):
        delay = sender.backoff_delay(attempts, rng).total_seconds()
        full = sender.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)
        assert full / 2 <= delay <= full
    assert sender.backoff_delay(40, rng).total_seconds() <= sender.BACKOFF_MAX_SECONDS
    assert len({sender.backoff_delay(3).total_seconds() for _ in range(20)}) > 1


def test_delivery_gives_up_after_a_day(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    receiver.statuses = [500] * 100
    now = datetime.now(UTC)
    while sender.deliver_due(engine, now=now):
        now = sender.as_utc(deliveries(engine)[0].next_attempt_at)
    [row] = deliveries(engine)
    assert row.status == DeliveryStatus.FAILED
    # No attempt after a day (the loop's `now` may end a claim lease past it: that is no attempt).
    last_attempt = sender.as_utc(row.last_attempt_at) - sender.as_utc(row.created_at)
    assert timedelta(hours=12) < last_attempt <= timedelta(days=1)
    assert 10 < row.attempts < 100


def test_a_slow_receiver_times_out_and_is_retried(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    receiver.delay = 1.0
    [claimed] = sender.claim_due(engine)
    result = asyncio.run(sender.send_delivery(claimed, deadline=0.2))
    assert not result.ok and "within 0.2 s" in result.error
    assert sender.record_attempt(engine, claimed, result) == DeliveryStatus.PENDING


def test_unreachable_receiver_is_a_failed_attempt(engine, line_id):
    add_endpoint(engine, line_id, "http://127.0.0.1:9/nothing-listens", ["contact.created"])
    add_jane(engine, line_id)
    assert sender.deliver_due(engine) == 1
    [row] = deliveries(engine)
    assert row.status == "pending" and row.attempts == 1 and row.last_error


def test_pending_deliveries_survive_a_restart(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    receiver.statuses = [500]
    start = datetime.now(UTC)
    sender.deliver_due(engine, now=start)
    # "Restart": a brand-new engine (new connections, no memory) finds the retry in the table.
    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert sender.deliver_due(fresh, now=start + timedelta(minutes=1)) == 1
    finally:
        fresh.dispose()
    [row] = deliveries(engine)
    assert row.status == "succeeded"


def test_a_delivery_claimed_by_a_process_that_died_is_sent_after_the_lease(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    start = datetime.now(UTC)
    assert len(sender.claim_due(engine, now=start)) == 1  # ... and the process dies here
    assert sender.claim_due(engine, now=start + timedelta(seconds=5)) == []
    assert sender.deliver_due(engine, now=start + sender.CLAIM_LEASE + timedelta(seconds=1)) == 1
    assert deliveries(engine)[0].status == "succeeded"
    assert len(receiver.requests) == 1


def test_resend_delivers_again_with_the_same_event_id(engine, line_id, receiver):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    sender.deliver_due(engine)
    [row] = deliveries(engine)
    with session_scope(engine) as session:
        webhooks.resend_delivery(session, account_of(engine, line_id), row.id)
    assert sender.deliver_due(engine) == 1
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [row.event_id, row.event_id]
    with session_scope(engine) as session:
        [logged] = webhooks.list_deliveries(session, account_of(engine, line_id))
    assert (logged.status, logged.attempts) == ("succeeded", 2)


def test_disabled_endpoint_is_not_delivered_to(engine, line_id, receiver):
    endpoint_id, _ = add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    with session_scope(engine) as session:
        webhooks.update_endpoint(
            session, account_of(engine, line_id), endpoint_id, receiver.url, ["contact.created"], enabled=False
        )
    assert sender.deliver_due(engine) == 0
    assert receiver.requests == []


def test_a_queued_event_is_delivered_by_the_job_engine_without_being_asked(engine, line_id, receiver, job_consumer):
    _, secret = add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)  # its commit wakes the webhooks outbox
    started = time.monotonic()
    while not receiver.requests and time.monotonic() - started < 10:
        time.sleep(0.05)
    [request] = receiver.requests
    assert verify_standard_webhook(secret, request["headers"], request["body"])
    deadline = time.monotonic() + 5
    while deliveries(engine)[0].status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert deliveries(engine)[0].status == "succeeded"


def test_a_failed_delivery_is_retried_by_the_job_engine_at_its_backoff(
    engine, line_id, receiver, job_consumer, monkeypatch
):
    monkeypatch.setattr(sender, "BACKOFF_BASE_SECONDS", 1.0)
    receiver.statuses = [503]
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_jane(engine, line_id)
    started = time.monotonic()
    while deliveries(engine)[0].status != "succeeded" and time.monotonic() - started < 15:
        time.sleep(0.1)
    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 2, 200)
    assert len(receiver.requests) == 2


def test_the_minute_sweep_delivers_what_a_lost_wake_and_a_dead_worker_left_behind(
    engine, line_id, receiver, job_consumer, monkeypatch
):
    from contacts_app.jobs import outboxes

    add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    # The consumer runs the same sweep itself at each minute's start: begin well clear of one, or it may
    # deliver the text before the test has lost its wake and killed its worker.
    while not 1 <= datetime.now().second <= 50:
        time.sleep(0.5)
    with monkeypatch.context() as lost:
        lost.setattr(outboxes, "wake", lambda name: None)  # the commit's wake never reaches the queue
        add_jane(engine, line_id)
    [claimed] = sender.claim_due(engine, lease=timedelta(seconds=1))  # ... and the worker holding it dies
    time.sleep(1.2)
    assert receiver.requests == []
    outboxes.sweep_outboxes.call_local()  # what every consumer runs once a minute
    started = time.monotonic()
    while deliveries(engine)[0].status != "succeeded" and time.monotonic() - started < 10:
        time.sleep(0.05)
    [request] = receiver.requests
    assert request["headers"]["webhook-id"] == claimed.event_id
    assert (deliveries(engine)[0].status, deliveries(engine)[0].attempts) == ("succeeded", 1)


class TricklingReceiver:
    """A real HTTP server that takes the request, then answers one byte per `interval` seconds."""

    def __init__(self, interval: float = 1.0):
        self.webhook_ids: list[str] = []
        self.closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.webhook_ids.append(self.headers["webhook-id"])
                answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                try:
                    for byte in answer:
                        if receiver.closing.wait(interval):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:
                    return  # the sender gave up and closed the connection

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trickler():
    server = TricklingReceiver()
    yield server
    server.close()


def test_a_trickling_endpoint_neither_delays_nor_duplicates_another_endpoints_deliveries(
    engine, line_id, receiver, trickler, job_consumer, monkeypatch
):
    healthy_id, _ = add_endpoint(engine, line_id, receiver.url, ["contact.created"])
    add_endpoint(engine, line_id, trickler.url, ["contact.created"])
    # A 3 s deadline under a 5 s lease: the receiver's byte a second would hold a per-read timeout for ever.
    monkeypatch.setattr(sender, "DELIVERY_DEADLINE_SECONDS", 3.0)
    monkeypatch.setattr(sender, "CLAIM_LEASE", timedelta(seconds=5))
    with session_scope(engine) as session:  # one commit wakes the webhooks outbox on the job engine
        for n in range(20):
            create_contact(session, line_id, ContactInput(f"Person {n}", f"(415) 555-01{n:02d}"))
    started = time.monotonic()
    while len(receiver.requests) < 20 and time.monotonic() - started < 15:
        time.sleep(0.05)
    healthy_seconds = time.monotonic() - started
    time.sleep(8)  # several deadlines and leases of the trickling endpoint go by
    stopping = time.monotonic()
    job_consumer.stop(graceful=True)  # the attempts under way end and are recorded
    # ... and no new ones start: a deploy does not wait for the trickling endpoint's every delivery.
    assert time.monotonic() - stopping < 6.0
    assert healthy_seconds < 3.0, "the healthy endpoint waited for the trickling one"
    healthy_ids = [request["headers"]["webhook-id"] for request in receiver.requests]
    assert len(healthy_ids) == len(set(healthy_ids)) == 20
    rows = deliveries(engine)
    healthy_rows = [row for row in rows if row.endpoint_id == healthy_id]
    assert {(row.status, row.attempts) for row in healthy_rows} == {(DeliveryStatus.SUCCEEDED, 1)}
    slow_rows = [row for row in rows if row.endpoint_id != healthy_id]
    # Every request the trickling receiver got is one recorded attempt, no more, no fewer.
    assert {row.event_id: row.attempts for row in slow_rows if row.attempts} == {
        event_id: trickler.webhook_ids.count(event_id) for event_id in set(trickler.webhook_ids)
    }
    assert 8 <= len(trickler.webhook_ids) < 20
    assert any(row.attempts == 0 and row.status == "pending" for row in slow_rows), "left for the next consumer"
    assert all(row.status == "pending" and "within 3 s" in (row.last_error or "") for row in slow_rows if row.attempts)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8000/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_link_local_and_metadata_destinations_are_refused(engine, line_id, monkeypatch, url):
    monkeypatch.delenv(webhook_destinations.ALLOW_PRIVATE_ENV)
    with pytest.raises(WebhookInvalid) as caught, session_scope(engine) as session:
        webhooks.create_endpoint(session, account_of(engine, line_id), url, ["contact.created"])
    assert "not sent to" in caught.value.errors["url"]


def test_urls_with_a_user_name_and_password_are_refused_even_where_private_is_allowed(engine, line_id):
    with pytest.raises(WebhookInvalid) as caught, session_scope(engine) as session:
        webhooks.create_endpoint(
            session, account_of(engine, line_id), "https://user:pass@hooks.example.com/h", ["contact.created"]
        )
    assert "user name and password" in caught.value.errors["url"]


def test_a_public_url_is_accepted_without_the_operator_setting(engine, line_id, monkeypatch):
    monkeypatch.delenv(webhook_destinations.ALLOW_PRIVATE_ENV)
    with session_scope(engine) as session:
        endpoint, _ = webhooks.create_endpoint(
            session, account_of(engine, line_id), "https://hooks.example.com/contacts", ["contact.created"]
        )
        assert endpoint.url == "https://hooks.example.com/contacts"


def test_the_destination_is_checked_again_at_delivery_time(engine, line_id, receiver, monkeypatch):
    add_endpoint(engine, line_id, receiver.url, ["contact.created"])  # saved while allowed
    add_jane(engine, line_id)
    monkeypatch.delenv(webhook_destinations.ALLOW_PRIVATE_ENV)
    assert sender.deliver_due(engine) == 1
    assert receiver.requests == []
    [row] = deliveries(engine)
    assert row.status == "pending" and row.last_status_code is None
    assert "not sent to 127.0.0.1" in row.last_error


def test_every_address_a_name_resolves_to_is_checked(monkeypatch):
    monkeypatch.delenv(webhook_destinations.ALLOW_PRIVATE_ENV)
    # "localhost" resolves through /etc/hosts: the check is on the addresses, whatever the name.
    with pytest.raises(webhook_destinations.DestinationRefused):
        asyncio.run(webhook_destinations.resolve("localhost", 80))
    with pytest.raises(webhook_destinations.DestinationRefused):
        webhook_destinations.vet_addresses("mixed.example", ["93.184.216.34", "10.1.2.3"])
    assert webhook_destinations.vet_addresses("public.example", ["93.184.216.34"]) == ["93.184.216.34"]


def test_the_log_keeps_the_status_and_at_most_200_characters_of_the_answer(engine, line_id):
    class Chatty(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"x" * 100_000)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Chatty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        add_endpoint(engine, line_id, f"http://127.0.0.1:{server.server_address[1]}/h", ["contact.created"])
        add_jane(engine, line_id)
        sender.deliver_due(engine)
    finally:
        server.shutdown()
        server.server_close()
    [row] = deliveries(engine)
    assert row.last_status_code == 500
    assert row.last_response == "x" * 200
