"""Consent requests: text the account's consent message and mark the contact's consent pending.

`plan_consent_requests` says beforehand what sending would do (how many are texted, how many
skipped and why), by the same rules `send_consent_request` applies to each contact.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import case, func, literal
from sqlmodel import Session, col, select

from contacts_app.carriers.connections import carrier_of_line
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


class Skip(StrEnum):
    """Why a contact gets no consent request (the words finish "N skipped: 2 ...")."""

    OPTED_OUT = "opted out"
    CONFIRMED = "already consented"
    # A chosen contact deleted meanwhile (or changed so that the view no longer shows it).
    GONE = "no longer found"


def skip_of(contact: Contact) -> Skip | None:
    """Why a consent request would not be sent to this contact, or None when it may be."""
    if contact.opted_out:
        return Skip.OPTED_OUT
    if contact.consent_status == ConsentStatus.CONFIRMED:
        return Skip.CONFIRMED
    return None


def _skip_column():
    """skip_of in SQL, for counting a selection without loading it ("" when the contact is texted)."""
    return case(
        (col(Contact.opted_out), literal(Skip.OPTED_OUT.value)),
        (Contact.consent_status == ConsentStatus.CONFIRMED, literal(Skip.CONFIRMED.value)),
        else_=literal(""),
    )


def refusal_reason(contact: Contact) -> str | None:
    """Why a consent request would not be sent to this contact, in a sentence; None when it may be."""
    skip = skip_of(contact)
    if skip == Skip.OPTED_OUT:
        return f"{contact.full_name} has opted out; nothing is sent to them until they text START."
    if skip == Skip.CONFIRMED:
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
    """Consent requests to every contact the filter picks ("select all N matching", a whole list, chosen ids).

    Chosen ids the filter no longer finds are reported as skipped, as `plan_consent_requests` counts them.
    """
    ids = session.exec(select(Contact.id).where(contact_condition(line_id, chosen)).order_by(col(Contact.id))).all()
    report = send_consent_requests(session, line_id, ids, actor, provider)
    for missing in set(chosen.ids or ()) - set(ids):
        report.skipped[missing] = f"Contact {missing} is no longer found."
    return report


@dataclass
class ConsentRequestPlan:
    """What sending consent requests to a choice of contacts would do, told before anything is sent."""

    to_text: int
    skipped: dict[Skip, int]
    # The text each of them gets, and whether it waits in the outbox (no carrier connected).
    message: str
    outbox: bool

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def skipped_words(self) -> str:
        """ "2 opted out, 1 already consented" (the reasons in a fixed order)."""
        return ", ".join(f"{self.skipped[skip]:,} {skip.value}" for skip in Skip if self.skipped.get(skip))

    def summary(self) -> str:
        texted = f"{self.to_text:,} contact{'' if self.to_text == 1 else 's'} will be texted"
        if not self.skipped_count:
            return f"{texted}."
        return f"{texted}; {self.skipped_count:,} skipped: {self.skipped_words()}."


def plan_consent_requests(session: Session, line_id: int, chosen: ContactFilter) -> ConsentRequestPlan:
    """Count, without sending, whom `send_consent_requests_matching(chosen)` would text and skip.

    Chosen ids no longer on the line (deleted meanwhile, or never its own) count as skipped.
    """
    skip = _skip_column()
    counts = dict(
        session.exec(select(skip, func.count()).where(contact_condition(line_id, chosen)).group_by(skip)).all()
    )
    skipped = {Skip(reason): count for reason, count in counts.items() if reason}
    if chosen.ids is not None:
        gone = len(set(chosen.ids)) - sum(counts.values())
        if gone > 0:
            skipped[Skip.GONE] = gone
    return ConsentRequestPlan(
        to_text=counts.get("", 0),
        skipped=skipped,
        message=consent_message_for(session, _account_of_line(session, line_id)),
        outbox=carrier_of_line(session, line_id) is None,
    )
