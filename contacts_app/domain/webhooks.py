"""Relay webhooks: endpoints, Standard Webhooks signing, and the delivery worker.

The worker keeps no state of its own: everything it needs is in `webhook_delivery`, so a
restart (or a second app process) picks up where the last one stopped. A delivery is
claimed by pushing its `next_attempt_at` a lease ahead in one conditional UPDATE; if the
process dies mid-attempt the row simply comes due again when the lease runs out.
"""

import asyncio
import base64
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.db import get_engine, session_scope
from contacts_app.domain.events import EVENT_TYPES, GIVE_UP_AFTER
from contacts_app.models import DeliveryStatus, Line, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
DELIVERY_TIMEOUT_SECONDS = 10.0
# Longer than the timeout, so a live attempt is never claimed twice.
CLAIM_LEASE = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0
BATCH_SIZE = 20
POLL_SECONDS = 1.0
MAX_URL_LENGTH = 2000
RESPONSE_KEEP_CHARS = 1000
USER_AGENT = "Contacts-Webhooks/1"


@dataclass
class WebhookInvalid(Exception):
    """One message per field (url, events, line)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class WebhookNotFound(LookupError):
    pass


# --- Endpoints -------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _clean_endpoint(session: Session, account_id: int, url: str, events, line_id: int | None) -> tuple[str, str]:
    errors: dict[str, str] = {}
    url = (url or "").strip()
    parts = urlsplit(url)
    if not url:
        errors["url"] = "URL is required."
    elif len(url) > MAX_URL_LENGTH:
        errors["url"] = f"URL is too long (the limit is {MAX_URL_LENGTH} characters)."
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url"] = f"“{url}” is not an http(s) URL."
    chosen = list(dict.fromkeys(events.split() if isinstance(events, str) else (events or [])))
    unknown = [event for event in chosen if event not in EVENT_TYPES]
    if not chosen:
        errors["events"] = "Choose at least one event."
    elif unknown:
        errors["events"] = f"Unknown event {unknown[0]!r}; events are {', '.join(EVENT_TYPES)}."
    if line_id is not None:
        line = session.get(Line, line_id)
        if line is None or line.account_id != account_id:
            errors["line"] = f"Line {line_id} is not a line of this account."
    if errors:
        raise WebhookInvalid(errors)
    return url, " ".join(chosen)


def create_endpoint(
    session: Session,
    account_id: int,
    url: str,
    events: list[str] | str,
    line_id: int | None = None,
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its secret (show the secret once)."""
    clean_url, clean_events = _clean_endpoint(session, account_id, url, events, line_id)
    endpoint = WebhookEndpoint(
        account_id=account_id,
        line_id=line_id,
        url=clean_url,
        events=clean_events,
        secret=new_secret(),
        description=(description or "").strip(),
    )
    session.add(endpoint)
    session.flush()
    return endpoint, endpoint.secret


def get_endpoint(session: Session, account_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.account_id != account_id:
        raise WebhookNotFound(f"Webhook endpoint {endpoint_id} does not exist.")
    return endpoint


def list_endpoints(session: Session, account_id: int) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.account_id == account_id)
            .order_by(col(WebhookEndpoint.id))
        )
    )


def update_endpoint(
    session: Session,
    account_id: int,
    endpoint_id: int,
    url: str,
    events: list[str] | str,
    line_id: int | None = None,
    description: str = "",
    enabled: bool = True,
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, account_id, endpoint_id)
    endpoint.url, endpoint.events = _clean_endpoint(session, account_id, url, events, line_id)
    endpoint.line_id = line_id
    endpoint.description = (description or "").strip()
    endpoint.enabled = enabled
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    session.flush()
    return endpoint


def rotate_secret(session: Session, account_id: int, endpoint_id: int) -> str:
    endpoint = get_endpoint(session, account_id, endpoint_id)
    endpoint.secret = new_secret()
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    return endpoint.secret


def delete_endpoint(session: Session, account_id: int, endpoint_id: int) -> None:
    """Remove the endpoint and its delivery log."""
    endpoint = get_endpoint(session, account_id, endpoint_id)
    session.delete(endpoint)
    session.flush()


# --- Delivery log ----------------------------------------------------------------------


def list_deliveries(
    session: Session,
    account_id: int,
    endpoint_id: int | None = None,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The account's deliveries, newest first; page with `before_id` = the last id shown."""
    statement = select(WebhookDelivery).where(WebhookDelivery.account_id == account_id)
    if endpoint_id is not None:
        statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    if before_id is not None:
        statement = statement.where(col(WebhookDelivery.id) < before_id)
    return list(session.exec(statement.order_by(col(WebhookDelivery.id).desc()).limit(limit)))


def resend_delivery(session: Session, account_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue the delivery again now, with the same event id, and a fresh day of retries."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.account_id != account_id:
        raise WebhookNotFound(f"Delivery {delivery_id} does not exist.")
    now = utcnow()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + GIVE_UP_AFTER
    session.add(delivery)
    session.flush()
    return delivery


# --- Signing (Standard Webhooks) -------------------------------------------------------


def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` value: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{event_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, event_id: str, body: str, timestamp: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, event_id, timestamp, body),
    }


# --- Worker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    event_id: str
    url: str
    secret: str
    payload: str
    attempts: int
    give_up_at: datetime


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    response: str | None = None


def as_utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def backoff_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential in the attempts made, with "equal jitter" so endpoints that fail together retry apart."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=delay / 2 + (rng or random).uniform(0, delay / 2))


def claim_due(engine: Engine, now: datetime | None = None, limit: int = BATCH_SIZE) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries of enabled endpoints; each is ours until the lease ends."""
    now = now or utcnow()
    claimed: list[ClaimedDelivery] = []
    with session_scope(engine) as session:
        rows = session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, col(WebhookDelivery.next_attempt_at) <= now)
            .where(col(WebhookEndpoint.enabled))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        ).all()
        for delivery, endpoint in rows:
            taken = session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == delivery.id,
                    col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) == delivery.next_attempt_at,
                )
                .values(next_attempt_at=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                claimed.append(
                    ClaimedDelivery(
                        id=delivery.id,
                        event_id=delivery.event_id,
                        url=endpoint.url,
                        secret=endpoint.secret,
                        payload=delivery.payload,
                        attempts=delivery.attempts,
                        give_up_at=as_utc(delivery.give_up_at),
                    )
                )
    return claimed


def send_delivery(delivery: ClaimedDelivery, timeout: float = DELIVERY_TIMEOUT_SECONDS) -> AttemptResult:
    """One signed POST; blocking. 2xx is success, anything else (redirects included) a failure."""
    if urlsplit(delivery.url).scheme not in ("http", "https"):
        return AttemptResult(ok=False, error="Only http(s) URLs are delivered to.")
    timestamp = int(utcnow().timestamp())
    headers = signed_headers(delivery.secret, delivery.event_id, delivery.payload, timestamp)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(delivery.url, content=delivery.payload.encode(), headers=headers)
    except httpx.TimeoutException:
        return AttemptResult(ok=False, error=f"Timed out after {timeout:g} s.")
    except httpx.HTTPError as exc:
        return AttemptResult(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:RESPONSE_KEEP_CHARS])
    return AttemptResult(
        ok=200 <= response.status_code < 300,
        status_code=response.status_code,
        response=response.text[:RESPONSE_KEEP_CHARS],
    )


def record_attempt(
    engine: Engine,
    delivery: ClaimedDelivery,
    result: AttemptResult,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str:
    """Store the outcome; schedule the next try or give up. Returns the new status."""
    now = now or utcnow()
    attempts = delivery.attempts + 1
    values: dict = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "last_response": result.response,
    }
    if result.ok:
        values.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now)
    else:
        next_at = now + backoff_delay(attempts, rng)
        if next_at > delivery.give_up_at:
            values.update(status=DeliveryStatus.FAILED)
        else:
            values.update(next_attempt_at=next_at)
    with session_scope(engine) as session:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return values.get("status", DeliveryStatus.PENDING)


def deliver_due(
    engine: Engine | None = None,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    send: Callable[[ClaimedDelivery], AttemptResult] = send_delivery,
) -> int:
    """Claim, send and record one batch, one after another; returns how many were attempted."""
    engine = engine or get_engine()
    claimed = claim_due(engine, now, limit)
    for delivery in claimed:
        record_attempt(engine, delivery, send(delivery), now)
    return len(claimed)


async def run_worker(
    engine: Engine | None = None, poll_seconds: float = POLL_SECONDS, stop: asyncio.Event | None = None
) -> None:
    """Deliver webhooks until cancelled (or `stop` is set); a batch's POSTs run side by side in threads."""
    engine = engine or get_engine()
    while stop is None or not stop.is_set():
        try:
            claimed = await asyncio.to_thread(claim_due, engine)
            results = await asyncio.gather(*(asyncio.to_thread(send_delivery, d) for d in claimed))
            for delivery, result in zip(claimed, results, strict=True):
                await asyncio.to_thread(record_attempt, engine, delivery, result)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a database hiccup must not end the worker for good
            log.exception("Webhook worker batch failed; retrying shortly.")
            claimed = []
        if not claimed:
            if stop is not None:
                try:
                    await asyncio.wait_for(stop.wait(), poll_seconds)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(poll_seconds)


async def webhook_worker() -> None:
    """The app's lifespan task."""
    await run_worker()
