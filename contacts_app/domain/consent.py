"""Opt-out and consent rules and their append-only history.

Consent requests are in consent_requests.py, their text in consent_message.py, review flags in
review_flags.py and the history download in consent_history_csv.py.

History rows are keyed by line and phone as well as contact, so they outlive the contact and
serve as the line's suppression record. They are only ever appended.
"""

from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, select

from contacts_app.domain import events
from contacts_app.models import (
    ConsentEvent,
    ConsentStatus,
    Contact,
    Message,
    MessageDirection,
    MessageStatus,
    utcnow,
)


class EventKind(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    CONSENT_PENDING = "consent_pending"
    CONSENT_CONFIRMED = "consent_confirmed"
    CONSENT_DECLINED = "consent_declined"


class Source(StrEnum):
    MANUAL = "manual"
    KEYWORD = "keyword"
    API = "api"
    IMPORT = "import"
    # The recipient texted STOP to the carrier itself (Twilio error 21610).
    CARRIER = "carrier"


class OptOutLocked(Exception):
    """Someone other than the contact tried to clear an opt-out; only START or UNSTOP from the contact can."""

    def __str__(self) -> str:
        return "Only the contact can lift an opt-out, by texting START or UNSTOP."


def record_event(
    session: Session,
    contact: Contact,
    kind: str,
    source: str,
    actor: str | None = None,
    detail: str | None = None,
) -> ConsentEvent:
    return record_number_event(session, contact.line_id, contact.phone, kind, source, actor, detail, contact.id)


def record_number_event(
    session: Session,
    line_id: int,
    phone: str,
    kind: str,
    source: str,
    actor: str | None = None,
    detail: str | None = None,
    contact_id: int | None = None,
) -> ConsentEvent:
    event = ConsentEvent(
        line_id=line_id,
        contact_id=contact_id,
        phone=phone,
        kind=kind,
        source=source,
        actor=actor,
        detail=detail,
    )
    session.add(event)
    return event


# --- Opt-out ---------------------------------------------------------------------------


def opt_out(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> bool:
    """Opt the contact out; returns False when it already was."""
    if contact.opted_out:
        return False
    now = utcnow()
    contact.opted_out = True
    contact.opted_out_at = now
    contact.opted_out_source = source
    contact.opted_out_by = actor
    contact.updated_at = now
    session.add(contact)
    session.flush()
    record_event(session, contact, EventKind.OPTED_OUT, source, actor, detail)
    withdraw_queued_blast_texts(session, contact.line_id, contact.phone)
    events.emit(session, events.CONTACT_OPTED_OUT, contact, occurred_at=now)
    return True


def withdraw_queued_blast_texts(session: Session, line_id: int, phone: str) -> int:
    """An opted-out number gets no blast text still waiting (held for quiet hours, or for its rate slot)."""
    now = utcnow()
    withdrawn = session.execute(
        update(Message)
        .where(
            Message.line_id == line_id,
            Message.phone == phone,
            Message.direction == MessageDirection.OUTBOUND,
            col(Message.blast_id).is_not(None),
            Message.status == MessageStatus.QUEUED,
            col(Message.provider_message_id).is_(None),
            col(Message.submitting_since).is_(None),
        )
        .values(status=MessageStatus.CANCELLED, status_changed_at=now, error_reason="Not sent: opted out first.")
        .execution_options(synchronize_session=False)
    )
    return withdrawn.rowcount


def opt_in(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> bool:
    """Lift an opt-out. The contact's own START / UNSTOP always may, a manual opt-out included.

    The API may lift only an opt-out that the API or an import set: one the contact asked for
    (keyword) or a person set by hand stays until the contact texts START.
    """
    if source == Source.MANUAL:
        raise OptOutLocked()
    if not contact.opted_out:
        return False
    if source != Source.KEYWORD and contact.opted_out_source in (Source.MANUAL, Source.KEYWORD, None):
        raise OptOutLocked()
    now = utcnow()
    contact.opted_out = False
    contact.opted_out_at = None
    contact.opted_out_source = None
    contact.opted_out_by = None
    contact.updated_at = now
    session.add(contact)
    session.flush()
    record_event(session, contact, EventKind.OPTED_IN, source, actor, detail)
    events.emit(session, events.CONTACT_OPTED_IN, contact, occurred_at=now)
    return True


def suppress_number(session: Session, line_id: int, phone: str, source: str, detail: str | None = None) -> bool:
    """Opt out a number that is no contact of the line; it comes back opted out when added."""
    if suppression_for(session, line_id, phone) is not None:
        return False
    record_number_event(session, line_id, phone, EventKind.OPTED_OUT, source, detail=detail)
    withdraw_queued_blast_texts(session, line_id, phone)
    return True


def lift_number_suppression(session: Session, line_id: int, phone: str, source: str, detail: str | None = None) -> bool:
    """START from a number that is no contact: its suppression on the line ends."""
    if suppression_for(session, line_id, phone) is None:
        return False
    record_number_event(session, line_id, phone, EventKind.OPTED_IN, source, detail=detail)
    return True


def suppression_for(session: Session, line_id: int, phone: str) -> ConsentEvent | None:
    """The line's last opt-out of this number, if it was not lifted since."""
    last = session.exec(
        select(ConsentEvent)
        .where(ConsentEvent.line_id == line_id, ConsentEvent.phone == phone)
        .where(col(ConsentEvent.kind).in_([EventKind.OPTED_OUT, EventKind.OPTED_IN]))
        .order_by(col(ConsentEvent.id).desc())
        .limit(1)
    ).first()
    return last if last is not None and last.kind == EventKind.OPTED_OUT else None


def history(session: Session, contact: Contact, limit: int | None = None) -> list[ConsentEvent]:
    """The consent events of this number on this line, newest first (deleted contacts' too); all unless `limit`."""
    return list(
        session.exec(
            select(ConsentEvent)
            .where(ConsentEvent.line_id == contact.line_id, ConsentEvent.phone == contact.phone)
            .order_by(col(ConsentEvent.id).desc())
            .limit(limit)
        )
    )


# --- Consent status --------------------------------------------------------------------


def _set_consent(
    session: Session, contact: Contact, status: str, kind: str, source: str, actor: str | None, detail: str | None
) -> None:
    now = utcnow()
    contact.consent_status = status
    contact.updated_at = now
    session.add(contact)
    session.flush()
    record_event(session, contact, kind, source, actor, detail)
    if status == ConsentStatus.CONFIRMED:
        events.emit(session, events.CONSENT_CONFIRMED, contact, occurred_at=now)


def confirm_consent(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> bool:
    """YES (or START) to a pending request; returns False when no request was pending."""
    if contact.consent_status != ConsentStatus.PENDING or contact.opted_out:
        return False
    _set_consent(session, contact, ConsentStatus.CONFIRMED, EventKind.CONSENT_CONFIRMED, source, actor, detail)
    return True


def decline_consent(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> bool:
    """An opt-out declines a pending request and revokes a confirmed one."""
    if contact.consent_status not in (ConsentStatus.PENDING, ConsentStatus.CONFIRMED):
        return False
    _set_consent(session, contact, ConsentStatus.DECLINED, EventKind.CONSENT_DECLINED, source, actor, detail)
    return True


def mark_consent_pending(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> None:
    """A consent request went out (`detail` is its text); the contact's YES confirms it."""
    _set_consent(session, contact, ConsentStatus.PENDING, EventKind.CONSENT_PENDING, source, actor, detail)
