"""CSV export in the import format: Full Name, Phone (E.164), Email; streamed, never all in memory."""

import csv
import io
from collections.abc import Iterator
from typing import IO

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.csv_reader import COLUMNS, neutralize_cell
from contacts_app.domain.lists import get_list
from contacts_app.models import Contact

EXPORT_BATCH_ROWS = 5_000


def export_rows(engine: Engine, line_id: int, chosen: ContactFilter | None = None) -> Iterator[tuple[str, str, str]]:
    """(Full Name, Phone, Email) of the contacts the filter picks, in name order, batch by batch."""
    chosen = chosen or ContactFilter()
    after: tuple[str, int] | None = None
    with Session(engine) as session:
        if chosen.list_id is not None:
            get_list(session, line_id, chosen.list_id)
        while True:
            statement = select(Contact.full_name, Contact.phone, Contact.email, Contact.name_key, Contact.id).where(
                contact_condition(line_id, chosen)
            )
            if after is not None:
                # Keyset paging on the (line, name_key, id) index: every batch is as cheap as the first.
                statement = statement.where(
                    (col(Contact.name_key) > after[0])
                    | ((col(Contact.name_key) == after[0]) & (col(Contact.id) > after[1]))
                )
            rows = session.exec(
                statement.order_by(col(Contact.name_key), col(Contact.id)).limit(EXPORT_BATCH_ROWS)
            ).all()
            for full_name, phone, email, _key, _id in rows:
                yield full_name, phone, email or ""
            if len(rows) < EXPORT_BATCH_ROWS:
                return
            after = (rows[-1][3], rows[-1][4])


def export_csv(engine: Engine, line_id: int, chosen: ContactFilter | None = None) -> Iterator[str]:
    """The export as text pieces (header first), for a streamed download or a file.

    Phones are E.164, "+" and digits only, checked on the way in: they cannot carry a formula, and
    guarding them would break the E.164 the format promises, so they are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for full_name, phone, email in export_rows(engine, line_id, chosen):
        writer.writerow((neutralize_cell(full_name), phone, neutralize_cell(email)))
        count += 1
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_export(engine: Engine, out: IO[str], line_id: int, chosen: ContactFilter | None = None) -> None:
    for piece in export_csv(engine, line_id, chosen):
        out.write(piece)
