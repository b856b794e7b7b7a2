"""Opt-out and consent rules, their append-only history, consent requests and review flags.

History rows are keyed by line and phone as well as contact, so they outlive the contact and
serve as the line's suppression record. They are only ever appended.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import exists
from sqlmodel import Session, col, select

from contacts_app.domain import events
from contacts_app.domain.messaging import Provider, SendingRefused, send_text
from contacts_app.models import (
    Account,
    AccountSettings,
    ConsentEvent,
    ConsentStatus,
    Contact,
    Line,
    ListMembership,
    ReviewFlag,
    utcnow,
)

DEFAULT_CONSENT_MESSAGE = (
    "{business}: we'd like to send you text messages. Reply YES to receive texts, STOP to opt out."
)
MAX_CONSENT_MESSAGE_LENGTH = 640
REVIEW_POSSIBLE_OPT_OUT = "possible_opt_out"


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
    events.emit(session, events.CONTACT_OPTED_OUT, contact, occurred_at=now)
    return True


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
    return True


def lift_number_suppression(
    session: Session, line_id: int, phone: str, source: str, detail: str | None = None
) -> bool:
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


def history(session: Session, contact: Contact) -> list[ConsentEvent]:
    """Every consent event of this number on this line, newest first (deleted contacts' too)."""
    return list(
        session.exec(
            select(ConsentEvent)
            .where(ConsentEvent.line_id == contact.line_id, ConsentEvent.phone == contact.phone)
            .order_by(col(ConsentEvent.id).desc())
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


def consent_message_for(session: Session, account_id: int) -> str:
    """The account's consent text, with {business} replaced by the account's name."""
    account = session.get(Account, account_id)
    settings = session.get(AccountSettings, account_id)
    text = (settings.consent_message if settings else None) or DEFAULT_CONSENT_MESSAGE
    return text.replace("{business}", account.name if account else "")


def consent_message_template(session: Session, account_id: int) -> str:
    """The text as edited in Settings (placeholders kept), or the default."""
    settings = session.get(AccountSettings, account_id)
    return (settings.consent_message if settings else None) or DEFAULT_CONSENT_MESSAGE


@dataclass
class ConsentMessageInvalid(Exception):
    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def set_consent_message(session: Session, account_id: int, text: str | None) -> str:
    """Save the account's consent text; blank restores the default. Returns the template in force."""
    clean = (text or "").strip()
    if len(clean) > MAX_CONSENT_MESSAGE_LENGTH:
        raise ConsentMessageInvalid(
            {"consent_message": f"The consent message is too long (the limit is {MAX_CONSENT_MESSAGE_LENGTH})."}
        )
    if clean and "STOP" not in clean.upper():
        raise ConsentMessageInvalid({"consent_message": "The consent message must tell people to reply STOP."})
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    settings.consent_message = clean or None
    settings.updated_at = utcnow()
    session.add(settings)
    session.flush()
    return clean or DEFAULT_CONSENT_MESSAGE


def _account_of_line(session: Session, line_id: int) -> int:
    line = session.get(Line, line_id)
    if line is None:
        raise LookupError(f"Line {line_id} does not exist.")
    return line.account_id


def refusal_reason(contact: Contact) -> str | None:
    """Why a consent request would not be sent to this contact, or None when it may be."""
    if contact.opted_out:
        return f"{contact.full_name} has opted out; nothing is sent to them until they text START."
    if contact.consent_status == ConsentStatus.CONFIRMED:
        return f"{contact.full_name} has already confirmed consent."
    return None


def send_consent_request(
    session: Session,
    contact: Contact,
    actor: str | None = None,
    provider: Provider | None = None,
    source: str = Source.MANUAL,
) -> None:
    """Queue the account's consent text to the contact and mark consent pending.

    Raises SendingRefused (with the reason) for an opted-out or already-confirmed contact.
    """
    reason = refusal_reason(contact)
    if reason is not None:
        raise SendingRefused(contact.id, reason)
    body = consent_message_for(session, _account_of_line(session, contact.line_id))
    send_text(session, contact, body, provider)
    _set_consent(session, contact, ConsentStatus.PENDING, EventKind.CONSENT_PENDING, source, actor, body)


@dataclass
class ConsentRequestReport:
    sent_ids: list[int] = field(default_factory=list)
    # contact id -> why nothing was sent
    skipped: dict[int, str] = field(default_factory=dict)


def send_consent_requests(
    session: Session,
    line_id: int,
    contact_ids: Iterable[int],
    actor: str | None = None,
    provider: Provider | None = None,
    source: str = Source.MANUAL,
) -> ConsentRequestReport:
    """Consent requests to a selection of the line's contacts; refused ones are reported, not raised."""
    report = ConsentRequestReport()
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        return report
    contacts = session.exec(
        select(Contact).where(Contact.line_id == line_id, col(Contact.id).in_(ids)).order_by(col(Contact.id))
    ).all()
    found = {contact.id for contact in contacts}
    for missing in ids:
        if missing not in found:
            report.skipped[missing] = f"Contact {missing} does not exist on this line."
    for contact in contacts:
        try:
            send_consent_request(session, contact, actor, provider, source)
        except SendingRefused as refused:
            report.skipped[contact.id] = refused.reason
        else:
            report.sent_ids.append(contact.id)
    return report


def send_consent_requests_to_list(
    session: Session, line_id: int, list_id: int, actor: str | None = None, provider: Provider | None = None
) -> ConsentRequestReport:
    member_ids = session.exec(
        select(ListMembership.contact_id)
        .join(Contact, col(Contact.id) == ListMembership.contact_id)
        .where(ListMembership.list_id == list_id, Contact.line_id == line_id)
    ).all()
    return send_consent_requests(session, line_id, member_ids, actor, provider)


# --- Review flags ----------------------------------------------------------------------


def flag_for_review(
    session: Session, line_id: int, phone: str, reason: str, contact_id: int | None, message_id: int | None
) -> ReviewFlag:
    flag = ReviewFlag(line_id=line_id, phone=phone, reason=reason, contact_id=contact_id, message_id=message_id)
    session.add(flag)
    return flag


def open_review_flags(session: Session, contact: Contact) -> list[ReviewFlag]:
    """Unresolved flags of the contact's number on its line, newest first."""
    return list(
        session.exec(
            select(ReviewFlag)
            .where(ReviewFlag.line_id == contact.line_id, ReviewFlag.phone == contact.phone)
            .where(col(ReviewFlag.resolved_at).is_(None))
            .order_by(col(ReviewFlag.id).desc())
        )
    )


def resolve_review(session: Session, contact: Contact, actor: str | None = None) -> int:
    """Mark the contact's open flags as reviewed; returns how many were open."""
    flags = open_review_flags(session, contact)
    now = utcnow()
    for flag in flags:
        flag.resolved_at = now
        flag.resolved_by = actor
        session.add(flag)
    session.flush()
    return len(flags)


def needs_review_condition():
    """SQL condition on Contact for the list's "Needs review" filter."""
    return exists().where(
        ReviewFlag.line_id == Contact.line_id,
        ReviewFlag.phone == Contact.phone,
        col(ReviewFlag.resolved_at).is_(None),
    )


# --- Export ----------------------------------------------------------------------------

HISTORY_CSV_COLUMNS = ["time", "line", "phone", "contact_id", "contact_name", "event", "source", "by", "detail"]


def export_history_csv(session: Session, account_id: int, line_id: int | None = None) -> str:
    """The account's consent history (one line, or all) as CSV, oldest first; for administrators."""
    statement = (
        select(ConsentEvent, Line, Contact)
        .join(Line, col(Line.id) == ConsentEvent.line_id)
        .outerjoin(Contact, col(Contact.id) == ConsentEvent.contact_id)
        .where(Line.account_id == account_id)
        .order_by(col(ConsentEvent.id))
    )
    if line_id is not None:
        statement = statement.where(ConsentEvent.line_id == line_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_CSV_COLUMNS)
    for event, line, contact in session.exec(statement):
        writer.writerow(
            [
                events.iso_time(event.created_at),
                line.name,
                event.phone,
                event.contact_id or "",
                contact.full_name if contact else "",
                event.kind,
                event.source,
                event.actor or "",
                _csv_safe(event.detail or ""),
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A text message that starts with = or + would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
