"""What an open Contacts page polls to show new texts and review flags without a reload.

The line's change stamp (contacts.line_stamp) moves only when a contact or its consent
changes; a plain inbound text, or one flagged for review, changes neither.
"""

from sqlalchemy import func
from sqlmodel import Session, col, select

from contacts_app.models import Message, ReviewFlag


def contact_stamp(session: Session, line_id: int, phone: str) -> str:
    """Changes when a text to or from this number arrives or changes status, or review flags open or close."""
    last_message, last_status_change = session.exec(
        select(func.max(Message.id), func.max(Message.status_changed_at)).where(
            Message.line_id == line_id, Message.phone == phone
        )
    ).one()
    open_flags, last_flag = session.exec(
        select(func.count(), func.max(ReviewFlag.id)).where(
            ReviewFlag.line_id == line_id, ReviewFlag.phone == phone, col(ReviewFlag.resolved_at).is_(None)
        )
    ).one()
    return f"{last_message}:{last_status_change}:{open_flags}:{last_flag}"


def review_stamp(session: Session, line_id: int) -> str:
    """Changes when a flag of the line opens or closes (for the list's "Needs review" filter)."""
    open_flags, last_flag = session.exec(
        select(func.count(), func.max(ReviewFlag.id)).where(
            ReviewFlag.line_id == line_id, col(ReviewFlag.resolved_at).is_(None)
        )
    ).one()
    return f"{open_flags}:{last_flag}"
