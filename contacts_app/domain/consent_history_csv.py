"""The account's consent history as a CSV file, for administrators (and auditors)."""

import csv
import io

from sqlmodel import Session, col, select

from contacts_app.domain import events
from contacts_app.models import ConsentEvent, Contact, Line

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
