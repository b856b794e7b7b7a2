"""Relay webhooks: endpoints, their delivery log, and Standard Webhooks signing.

Deliveries are queued by `events.emit` and sent by `webhook_delivery`.
"""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from contacts_app.domain.events import EVENT_TYPES, GIVE_UP_AFTER, iso_time, new_event_id
from contacts_app.domain.webhook_destinations import DestinationRefused, check_url, resolve_sync
from contacts_app.models import DeliveryStatus, Line, WebhookDelivery, WebhookEndpoint, utcnow

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
MAX_URL_LENGTH = 2000
USER_AGENT = "Contacts-Webhooks/1"
# Sent only by "Send test event", to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"


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
    else:
        try:
            resolve_sync(*check_url(url))
        except DestinationRefused as exc:
            errors["url"] = str(exc)
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
            select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id).order_by(col(WebhookEndpoint.id))
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


def queue_test_event(session: Session, account_id: int, endpoint_id: int) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only, through the outbox like any other event.

    It shows in the delivery log with the receiver's answer, so an administrator sees at once
    whether the URL and the signature check work.
    """
    endpoint = get_endpoint(session, account_id, endpoint_id)
    if not endpoint.enabled:
        raise WebhookInvalid({"url": "This endpoint is turned off; turn it on to send it events."})
    now = utcnow()
    data = {"endpoint": {"id": endpoint.id, "url": endpoint.url}, "message": "A test event from Contacts."}
    delivery = WebhookDelivery(
        event_id=new_event_id(),
        event_type=TEST_EVENT,
        endpoint_id=endpoint.id,
        account_id=account_id,
        line_id=endpoint.line_id,
        payload=json.dumps({"type": TEST_EVENT, "timestamp": iso_time(now), "data": data}, ensure_ascii=False),
        next_attempt_at=now,
        give_up_at=now + GIVE_UP_AFTER,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


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
