"""Events for relay webhooks: `emit` queues one delivery per subscribed endpoint.

Deliveries are rows written in the caller's session, so an event is queued if and only if
the change that caused it commits (a transactional outbox); the worker in
`domain/webhooks.py` sends them later.
"""

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from contacts_app.models import Contact, Line, Message, WebhookDelivery, WebhookEndpoint, utcnow

MESSAGE_RECEIVED = "message.received"
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CONTACT_DELETED = "contact.deleted"
CONTACT_OPTED_OUT = "contact.opted_out"
CONTACT_OPTED_IN = "contact.opted_in"
CONSENT_CONFIRMED = "consent.confirmed"
EVENT_TYPES = (
    MESSAGE_RECEIVED,
    CONTACT_CREATED,
    CONTACT_UPDATED,
    CONTACT_DELETED,
    CONTACT_OPTED_OUT,
    CONTACT_OPTED_IN,
    CONSENT_CONFIRMED,
)

# Retries stop this long after the event (Standard Webhooks senders commonly give up after a day or so).
GIVE_UP_AFTER = timedelta(days=1)


def new_event_id() -> str:
    return "msg_" + secrets.token_hex(13)


def iso_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.full_name,
        "phone": contact.phone,
        "email": contact.email,
        "opted_out": contact.opted_out,
        "consent_status": contact.consent_status,
    }


def line_data(line: Line) -> dict[str, Any]:
    return {"id": line.id, "name": line.name, "phone": line.phone}


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "from": message.phone,
        "body": message.body,
        "keyword": message.keyword,
        "received_at": iso_time(message.created_at),
    }


def subscribed_endpoints(session: Session, line: Line, event_type: str) -> list[WebhookEndpoint]:
    endpoints = session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == line.account_id, col(WebhookEndpoint.enabled))
        .where(or_(col(WebhookEndpoint.line_id).is_(None), WebhookEndpoint.line_id == line.id))
        .order_by(col(WebhookEndpoint.id))
    ).all()
    return [endpoint for endpoint in endpoints if event_type in endpoint.events.split()]


def emit(
    session: Session,
    event_type: str,
    contact: Contact | None,
    line: Line | int | None = None,
    message: Message | None = None,
    occurred_at: datetime | None = None,
) -> list[WebhookDelivery]:
    """Queue `event_type` for every endpoint of the line's account that subscribes to it.

    `contact` may be None for a message from a number that is no contact. The line defaults
    to the contact's. Returns the deliveries added to the session (none without subscribers).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    if line is None or isinstance(line, int):
        line_id = line if isinstance(line, int) else (contact.line_id if contact else None)
        line = session.get(Line, line_id) if line_id is not None else None
    if line is None:
        raise ValueError("An event needs a line.")
    endpoints = subscribed_endpoints(session, line, event_type)
    if not endpoints:
        return []
    now = occurred_at or utcnow()
    event_id = new_event_id()
    data: dict[str, Any] = {
        "contact": contact_data(contact) if contact is not None else None,
        "line": line_data(line),
        "occurred_at": iso_time(now),
    }
    if message is not None:
        data["message"] = message_data(message)
    payload = json.dumps({"type": event_type, "timestamp": iso_time(now), "data": data}, ensure_ascii=False)
    deliveries = [
        WebhookDelivery(
            event_id=event_id,
            event_type=event_type,
            endpoint_id=endpoint.id,
            account_id=line.account_id,
            line_id=line.id,
            payload=payload,
            next_attempt_at=now,
            give_up_at=now + GIVE_UP_AFTER,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    session.add_all(deliveries)
    return deliveries
