"""CSV export: Full Name, Phone (E.164), Email, then everything else the app keeps about a contact
(opted out and how, consent, tags, notes, the account's custom fields, and a "List: NAME" column
per list of the line), in columns the import's mapping step reads back unchanged; streamed,
never all in memory."""

import csv
import io
from collections.abc import Iterator
from typing import IO

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.csv_reader import COLUMNS, neutralize_cell
from contacts_app.domain.custom_fields import line_fields, stored_values
from contacts_app.domain.lists import get_list
from contacts_app.domain.tags import join_tags, tags_for
from contacts_app.models import ConsentStatus, Contact, ContactList, ListMembership

EXPORT_BATCH_ROWS = 5_000
# After Full Name, Phone, Email; then one column per custom field. "Opted Out Source" and
# "Consent Status" describe what the customer did and are not read back by an import.
MORE_COLUMNS = ("Opted Out", "Opted Out Source", "Consent Status", "Tags", "Notes")
# One yes/blank column per list, so that no list name needs a separator it might itself contain.
LIST_COLUMN = "List: {}"
SOURCE_TEXT = {
    "manual": "By hand",
    "keyword": "Texted a stop word",
    "api": "API",
    "import": "Import",
    "carrier": "Carrier (texted STOP to it)",
}
CONSENT_TEXT = {
    ConsentStatus.NOT_SENT: "Not sent",
    ConsentStatus.PENDING: "Pending",
    ConsentStatus.CONFIRMED: "Confirmed",
    ConsentStatus.DECLINED: "Declined",
}


def export_header(engine: Engine, line_id: int) -> list[str]:
    with Session(engine) as session:
        fields = [field.name for field in line_fields(session, line_id)]
        return [
            *COLUMNS,
            *MORE_COLUMNS,
            *fields,
            *(LIST_COLUMN.format(name) for _id, name in _line_lists(session, line_id)),
        ]


def _line_lists(session: Session, line_id: int) -> list[tuple[int, str]]:
    return list(
        session.exec(
            select(ContactList.id, ContactList.name)
            .where(ContactList.line_id == line_id)
            .order_by(col(ContactList.name_key))
        ).all()
    )


def export_rows(engine: Engine, line_id: int, chosen: ContactFilter | None = None) -> Iterator[list[str]]:
    """Each contact the filter picks as the row `export_header` names, in name order, batch by batch."""
    chosen = chosen or ContactFilter()
    after: tuple[str, int] | None = None
    with Session(engine) as session:
        if chosen.list_id is not None:
            get_list(session, line_id, chosen.list_id)
        field_ids = [field.id for field in line_fields(session, line_id)]
        list_ids = [list_id for list_id, _name in _line_lists(session, line_id)]
        while True:
            statement = select(
                Contact.full_name,
                Contact.phone,
                Contact.email,
                Contact.opted_out,
                Contact.opted_out_source,
                Contact.consent_status,
                Contact.notes,
                Contact.field_values,
                Contact.name_key,
                Contact.id,
            ).where(contact_condition(line_id, chosen))
            if after is not None:
                # Keyset paging on the (line, name_key, id) index: every batch is as cheap as the first.
                statement = statement.where(
                    (col(Contact.name_key) > after[0])
                    | ((col(Contact.name_key) == after[0]) & (col(Contact.id) > after[1]))
                )
            rows = session.exec(
                statement.order_by(col(Contact.name_key), col(Contact.id)).limit(EXPORT_BATCH_ROWS)
            ).all()
            ids = [row.id for row in rows]
            tags, lists = tags_for(session, ids), _lists_for(session, ids)
            for row in rows:
                values = stored_values(row.field_values)
                yield [
                    row.full_name,
                    row.phone,
                    row.email or "",
                    "yes" if row.opted_out else "no",
                    SOURCE_TEXT.get(row.opted_out_source or "", row.opted_out_source or "") if row.opted_out else "",
                    CONSENT_TEXT.get(row.consent_status, row.consent_status),
                    join_tags(tags.get(row.id, ())),
                    row.notes or "",
                    *(values.get(field_id, "") for field_id in field_ids),
                    *("yes" if list_id in lists.get(row.id, ()) else "" for list_id in list_ids),
                ]
            if len(rows) < EXPORT_BATCH_ROWS:
                return
            after = (rows[-1].name_key, rows[-1].id)


def _lists_for(session: Session, contact_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    if contact_ids:
        rows = session.exec(
            select(ListMembership.contact_id, ListMembership.list_id).where(
                col(ListMembership.contact_id).in_(contact_ids)
            )
        ).all()
        for contact_id, list_id in rows:
            found.setdefault(contact_id, set()).add(list_id)
    return found


def export_csv(engine: Engine, line_id: int, chosen: ContactFilter | None = None) -> Iterator[str]:
    """The export as text pieces (header first), for a streamed download or a file.

    Phones are E.164, "+" and digits only, checked on the way in: they cannot carry a formula, and
    guarding them would break the E.164 the format promises, so they are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralize_cell(name) for name in export_header(engine, line_id))
    count = 0
    for row in export_rows(engine, line_id, chosen):
        # The phone (index 1) is E.164; every other cell is text a person or a file wrote.
        writer.writerow(cell if index == 1 else neutralize_cell(cell) for index, cell in enumerate(row))
        count += 1
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_export(engine: Engine, out: IO[str], line_id: int, chosen: ContactFilter | None = None) -> None:
    for piece in export_csv(engine, line_id, chosen):
        out.write(piece)
