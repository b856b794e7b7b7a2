"""Review flags: messages a person should read (e.g. "please stop texting me") before texting again.

Keyed by line and phone like consent, so a flag outlives its contact. The list's "Needs review"
filter is `contact_filter.needs_review_condition`.
"""

from sqlmodel import Session, col, select

from contacts_app.models import Contact, ReviewFlag, utcnow

REVIEW_POSSIBLE_OPT_OUT = "possible_opt_out"


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
