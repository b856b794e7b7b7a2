"""Consent requests: text the account's consent message and mark the contact's consent pending."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from contacts_app.domain import consent
from contacts_app.domain.consent import Source
from contacts_app.domain.consent_message import consent_message_for
from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.messaging import Provider, SendingRefused, send_text
from contacts_app.models import ConsentStatus, Contact, Line


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
    consent.mark_consent_pending(session, contact, source, actor, body)


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


def send_consent_requests_matching(
    session: Session,
    line_id: int,
    chosen: ContactFilter,
    actor: str | None = None,
    provider: Provider | None = None,
) -> ConsentRequestReport:
    """Consent requests to every contact the filter picks ("select all N matching", a whole list)."""
    ids = session.exec(select(Contact.id).where(contact_condition(line_id, chosen)).order_by(col(Contact.id))).all()
    return send_consent_requests(session, line_id, ids, actor, provider)
