"""Outbound texts go through a Provider: the one place a real carrier client plugs in.

The default OutboxProvider reaches no carrier; it keeps each text as a queued outbound
Message, which is what the contact's message history shows.
"""

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from contacts_app.models import Contact, Line, Message, MessageDirection, MessageStatus


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


_provider: Provider = OutboxProvider()


def get_provider() -> Provider:
    return _provider


def set_provider(provider: Provider) -> None:
    """Install a carrier client at start-up (and in tests)."""
    global _provider
    _provider = provider


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
    return (provider or get_provider()).send(session, line, contact.phone, body, contact.id)


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
