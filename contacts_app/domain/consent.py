"""Opt-out and consent rules, and their append-only history."""

from sqlmodel import Session, col, select

from contacts_app.models import ConsentEvent, Contact, utcnow


class EventKind:
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    CONSENT_PENDING = "consent_pending"
    CONSENT_CONFIRMED = "consent_confirmed"
    CONSENT_DECLINED = "consent_declined"


class Source:
    MANUAL = "manual"
    KEYWORD = "keyword"
    API = "api"
    IMPORT = "import"


class OptOutLocked(Exception):
    """A user tried to clear an opt-out by hand; only START or UNSTOP from the contact can."""

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
    event = ConsentEvent(
        line_id=contact.line_id,
        contact_id=contact.id,
        phone=contact.phone,
        kind=kind,
        source=source,
        actor=actor,
        detail=detail,
    )
    session.add(event)
    return event


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
    return True


def opt_in(
    session: Session, contact: Contact, source: str, actor: str | None = None, detail: str | None = None
) -> bool:
    """Lift an opt-out. Only the contact's own START / UNSTOP (or the API on its behalf) may."""
    if source == Source.MANUAL:
        raise OptOutLocked()
    if not contact.opted_out:
        return False
    contact.opted_out = False
    contact.opted_out_at = None
    contact.opted_out_source = None
    contact.opted_out_by = None
    contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    record_event(session, contact, EventKind.OPTED_IN, source, actor, detail)
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


def history(session: Session, contact: Contact) -> list[ConsentEvent]:
    """Every consent event of this number on this line, newest first (deleted contacts' too)."""
    return list(
        session.exec(
            select(ConsentEvent)
            .where(ConsentEvent.line_id == contact.line_id, ConsentEvent.phone == contact.phone)
            .order_by(col(ConsentEvent.id).desc())
        )
    )
