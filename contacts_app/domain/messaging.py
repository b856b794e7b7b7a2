"""Outbound texts go through the line's Provider: its carrier when connected, else the outbox.

The OutboxProvider reaches no carrier; it keeps each text as a queued outbound Message, which
is what the contact's message history shows. CarrierProvider (lines connected on the
Integrations page) stores the text with an idempotency key and a slot in the line's sending
rate; the `texts` outbox job (contacts_app/carriers/sending.py) hands it to the carrier once its slot
comes (the row is the queue: nothing is lost if the process dies).
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from contacts_app.carriers.connections import carrier_of_line, reserve_send_slot
from contacts_app.models import Contact, Line, Message, MessageDirection, MessageStatus, utcnow


class Provider(Protocol):
    name: str

    def send(self, session: Session, line: Line, to_phone: str, body: str, contact_id: int | None) -> Message:
        """Hand the text to the carrier (or queue it) and return the stored outbound Message."""
        ...


class OutboxProvider:
    name = "outbox"

    def send(self, session: Session, line: Line, to_phone: str, body: str, contact_id: int | None) -> Message:
        message = Message(
            line_id=line.id,
            contact_id=contact_id,
            direction=MessageDirection.OUTBOUND,
            phone=to_phone,
            body=body,
            status=MessageStatus.QUEUED,
            provider=self.name,
        )
        session.add(message)
        session.flush()
        return message


class CarrierProvider:
    """A line connected to a carrier: the text waits as queued until its send job hands it over."""

    def __init__(self, carrier: str) -> None:
        self.name = carrier

    def send(self, session: Session, line: Line, to_phone: str, body: str, contact_id: int | None) -> Message:
        slot = reserve_send_slot(session, line.id)
        message = Message(
            line_id=line.id,
            contact_id=contact_id,
            direction=MessageDirection.OUTBOUND,
            phone=to_phone,
            body=body,
            status=MessageStatus.QUEUED,
            provider=self.name,
            idempotency_key=uuid.uuid4().hex,
            send_after=slot,
            status_changed_at=utcnow(),
        )
        session.add(message)
        session.flush()
        return message


OUTBOX = OutboxProvider()


def provider_for_line(session: Session, line: Line) -> Provider:
    """The carrier the line is connected to (Integrations page), or the outbox."""
    connected = carrier_of_line(session, line.id)
    return CarrierProvider(connected[1].carrier) if connected else OUTBOX


@dataclass
class SendingRefused(Exception):
    """Nothing is ever sent to an opted-out contact; `reason` says why this text was not."""

    contact_id: int | None
    reason: str

    def __str__(self) -> str:
        return self.reason


def send_text(session: Session, contact: Contact, body: str, provider: Provider | None = None) -> Message:
    """Send `body` to the contact from its line, unless the contact opted out."""
    if contact.opted_out:
        raise SendingRefused(contact.id, f"{contact.full_name} has opted out; nothing is sent to them.")
    line = session.get(Line, contact.line_id)
    return (provider or provider_for_line(session, line)).send(session, line, contact.phone, body, contact.id)


def messages_for(session: Session, line_id: int, phone: str, limit: int = 100) -> list[Message]:
    """The texts to and from this number on the line, newest first (they outlive the contact)."""
    return list(
        session.exec(
            select(Message)
            .where(Message.line_id == line_id, Message.phone == phone)
            .order_by(col(Message.id).desc())
            .limit(limit)
        )
    )
