"""What a mapped row carries beyond name, phone and e-mail: opted out, tags, lists, notes, custom fields.

Pass 1 checks each row's extra cells with `check_extras` (in the check pool's processes, so it
works from a plain `ExtrasSpec`), giving problems that name the line, the column and the value,
and two compact JSON values that travel with the row to the staging table: its custom-field
values, and the rest (opted out, tags, lists, notes). Pass 2 (`write_extras`), inside the
import's one transaction, applies them to the contacts the rows became: custom-field values are
set with one statement from the staging table, tags and lists are added (never removed), notes
are set where the file has one, and "opted out" only ever opts out.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table
from sqlmodel import Session

from contacts_app.domain import consent
from contacts_app.domain.column_mapping import FIELD_PREFIX, LIST_PREFIX, ColumnMapping, Target
from contacts_app.domain.contacts import MAX_NOTES_LENGTH
from contacts_app.domain.csv_reader import Problem, display
from contacts_app.domain.custom_fields import (
    NO_WORDS,
    YES_WORDS,
    FieldInvalid,
    clean_cell,
    line_fields,
    locked_field_ids,
)
from contacts_app.domain.lists import MAX_LIST_NAME_LENGTH
from contacts_app.domain.tags import TagInvalid, parse_tags
from contacts_app.models import (
    ConsentEvent,
    Contact,
    ContactFieldValue,
    ContactList,
    ContactTag,
    CustomField,
    FieldKind,
    ListMembership,
    utcnow,
)

LIST_SEPARATOR = ";"
EXTRAS_BATCH_ROWS = 5_000
PROBLEM_CODE = "extra"


class FieldShape(NamedTuple):
    """What `clean_value` reads of a custom field (a table row costs ~300 µs to make)."""

    name: str
    kind: str
    id: int
    # The field's member name in a row's values JSON ('"12":'), made once.
    json_key: str


@dataclass(frozen=True)
class ExtrasSpec:
    """The mapping's extra columns as plain data: (column index, column name, target)."""

    columns: tuple[tuple[int, str, str], ...]
    # Custom fields as (name, kind (FieldKind), id), for checking values away from the database.
    field_kinds: tuple[tuple[str, str, int], ...] = ()
    # Worked out once, not per row: (column index, column name, target, its custom field or None).
    plan: tuple[tuple[int, str, str, FieldShape | None], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shapes = {
            name.lower(): FieldShape(name, kind, field_id, f'"{field_id}":')
            for name, kind, field_id in self.field_kinds
        }
        plan = tuple(
            (index, column, target, shapes[target.removeprefix(FIELD_PREFIX).lower()])
            if target.startswith(FIELD_PREFIX)
            else (index, column, target, None)
            for index, column, target in self.columns
        )
        object.__setattr__(self, "plan", plan)

    @classmethod
    def of(cls, mapping: ColumnMapping, fields: list[CustomField]) -> "ExtrasSpec | None":
        def header(index: int) -> str:
            return mapping.headers[index] if index < len(mapping.headers) else f"Column {index + 1}"

        columns = tuple((index, header(index), mapping.targets[index]) for index in mapping.extra_columns)
        if not columns:
            return None
        return cls(columns, tuple((custom.name, custom.kind, custom.id) for custom in fields))


def check_extras(
    line: int, cells: list[str], spec: ExtrasSpec, row: list[str]
) -> tuple[str | None, str | None, list[Problem]]:
    """The row's extras and its custom-field values as the JSON the staging table keeps (None when
    there are none), and its problems. `cells` is the row as read, `row` as imported (for problems)."""
    extras: dict = {}
    # Field id -> its canonical value as a member of the values' JSON object (_value_member).
    values: dict[int, str] = {}
    problems: list[Problem] = []
    count = len(cells)
    for index, column, target, shape in spec.plan:
        if index >= count or not (value := cells[index].strip()):
            continue
        if shape is not None:
            try:
                clean = clean_cell(shape, value)
            except FieldInvalid as invalid:
                problems.append(_problem(line, column, value, str(invalid), row))
            else:
                if clean is not None:
                    values[shape.id] = _value_member(shape, clean)
        elif target == Target.OPTED_OUT:
            if value.lower() in YES_WORDS or value.lower() in ("opted out", "unsubscribed"):
                extras["o"] = 1
            elif value.lower() not in NO_WORDS:
                problems.append(_problem(line, column, value, f"{column} must be yes or no (not “{value}”).", row))
        elif target == Target.TAGS:
            try:
                extras.setdefault("t", []).extend(parse_tags(value))
            except TagInvalid as invalid:
                problems.append(_problem(line, column, value, str(invalid), row))
        elif target == Target.LISTS:
            for name in (" ".join(part.split()) for part in value.split(LIST_SEPARATOR)):
                if len(name) > MAX_LIST_NAME_LENGTH:
                    problems.append(_problem(line, column, value, f"The list name “{name[:20]}…” is too long.", row))
                elif name:
                    extras.setdefault("l", []).append(name)
        elif target == Target.NOTES:
            if len(value) > MAX_NOTES_LENGTH:
                reason = f"Notes are too long ({len(value):,} characters; the limit is {MAX_NOTES_LENGTH:,})."
                problems.append(_problem(line, column, value[:60], reason, row))
            else:
                extras["n"] = value
        elif target.startswith(LIST_PREFIX):
            if value.lower() in YES_WORDS:
                extras.setdefault("l", []).append(target.removeprefix(LIST_PREFIX))
            elif value.lower() not in NO_WORDS:
                problems.append(_problem(line, column, value, f"{column} must be yes or no (not “{value}”).", row))
    if problems:
        return None, None, problems
    fields = "{" + ",".join(values.values()) + "}" if values else None
    return (_EXTRAS_JSON(extras) if extras else None), fields, []


def _problem(line: int, column: str, value: str, reason: str, row: list[str]) -> Problem:
    return Problem(line, column, display(value)[:200], reason, tuple(row), code=PROBLEM_CODE)


# Made once: json.dumps with options builds a new encoder on every call (a third of a row's check).
_EXTRAS_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _value_member(shape: FieldShape, value: str) -> str:
    """`"field id":value`, or `"field id":[value,key]` where the lookup key (lower case) differs from
    the value: most values are their own key, and a plain string is cheaper to write here and to
    read in SQL than a pair."""
    if shape.kind != FieldKind.TEXT:
        # A number, date or yes/no is canonical ASCII in lower case: its own key, nothing to escape.
        return f'{shape.json_key}"{value}"'
    key = value.lower()
    text = encode_basestring(value)
    return shape.json_key + (text if key == value else f"[{text},{encode_basestring(key)}]")


@dataclass
class ExtrasWritten:
    opted_out: int = 0
    tagged: int = 0
    added_to_lists: int = 0
    lists_created: list[str] | None = None


def write_extras(
    connection: Connection,
    staging: Table,
    line_id: int,
    actor: str | None,
    dialect: str,
) -> ExtrasWritten:
    """Apply the staged rows' extras to the contacts they became (same transaction as the rows)."""
    result = ExtrasWritten(lists_created=[])
    with Session(bind=connection) as session:
        field_ids = locked_field_ids(session, (custom.id for custom in line_fields(session, line_id)))
    if field_ids:
        if dialect == "postgresql":
            # Values have no foreign key to their contact (migration 0022): the contacts the file
            # updates are held until the import commits, so a deletion meanwhile waits and then
            # takes their new values with them. (The contacts it creates nobody else sees yet.)
            connection.exec_driver_sql(
                f"SELECT 1 FROM {Contact.__tablename__} WHERE id IN "
                f"(SELECT contact_id FROM {staging.name} WHERE contact_id IS NOT NULL) FOR KEY SHARE"
            )
        _set_field_values(connection, staging, line_id, dialect, field_ids)
    contact = Contact.__table__
    rows = (
        select(contact.c.id, contact.c.phone, contact.c.opted_out, staging.c.extras)
        .select_from(staging.join(contact, and_(contact.c.line_id == line_id, contact.c.phone == staging.c.phone)))
        .where(staging.c.extras.is_not(None))
        .order_by(staging.c.line)
    )
    lists = _ListIds(connection, line_id, result)
    now = utcnow()
    for batch in _batches(connection.execute(rows)):
        opt_outs, tags, members, notes = [], [], [], []
        for contact_id, phone, opted_out, text in batch:
            extras = json.loads(text)
            if extras.get("o") and not opted_out:
                opt_outs.append({"b_id": contact_id, "b_phone": phone})
            for tag in extras.get("t", ()):
                tags.append((contact_id, tag.lower(), tag, line_id))
            for name in extras.get("l", ()):
                members.append({"list_id": lists.id_of(name), "contact_id": contact_id, "added_at": now})
            if "n" in extras:
                notes.append({"b_id": contact_id, "b_notes": extras["n"]})
        result.opted_out += _opt_out(connection, opt_outs, line_id, actor, now)
        result.tagged += _executemany(connection, _INSERT_TAG, tags)
        result.added_to_lists += _insert_new(connection, ListMembership.__table__, members, dialect)
        if notes:
            connection.execute(
                update(contact)
                .where(contact.c.id == bindparam("b_id"))
                .values(notes=bindparam("b_notes"), notes_updated_at=now, notes_updated_by=actor, updated_at=now),
                notes,
            )
    return result


def _set_field_values(connection: Connection, staging: Table, line_id: int, dialect: str, field_ids: set[int]) -> None:
    """Every staged row's custom-field values in one statement (the rows' `fields` JSON: field id
    -> value, or [value, key]; see _value_member); row by row from Python it took longer than
    writing the contacts. Only `field_ids` are written (a field deleted since the check is gone)."""
    kept = ", ".join(f"'{int(field_id)}'" for field_id in sorted(field_ids))
    if dialect == "postgresql":
        pairs = "jsonb_each(s.fields::jsonb) AS f"
        field_id = "f.key::integer"
        value, key = "COALESCE(f.value->>0, f.value#>>'{}')", "COALESCE(f.value->>1, f.value#>>'{}')"
    else:
        pairs = "json_each(s.fields) AS f"
        field_id = "CAST(f.key AS INTEGER)"
        # json_each gives a string member as its text, a pair as JSON.
        value = "CASE f.type WHEN 'text' THEN f.value ELSE json_extract(f.value, '$[0]') END"
        key = "CASE f.type WHEN 'text' THEN f.value ELSE json_extract(f.value, '$[1]') END"
    connection.exec_driver_sql(
        f"INSERT INTO {ContactFieldValue.__tablename__} (contact_id, field_id, value, value_key) "
        f"SELECT c.id, {field_id}, {value}, {key} FROM {staging.name} AS s "
        f"JOIN {Contact.__tablename__} AS c ON c.line_id = {int(line_id)} AND c.phone = s.phone "
        f"CROSS JOIN {pairs} "
        f"WHERE s.fields IS NOT NULL AND f.key IN ({kept}) "
        # In id order, as the values' key is (the contacts are written in name order); the `+`
        # keeps SQLite from walking contact by id, one lookup in the staging table each.
        "ORDER BY +c.id "
        "ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value, value_key = excluded.value_key"
    )


# Plain SQL that SQLite and PostgreSQL both take: tens of thousands of rows skip SQLAlchemy's
# per-row parameter handling (three times the time of the database's own work).
_INSERT_TAG = (
    f"INSERT INTO {ContactTag.__tablename__} (contact_id, name_key, name, line_id) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


def _executemany(connection: Connection, sql: str, rows: list[tuple]) -> int:
    """Run `sql` (with ? placeholders) for each row; how many rows it wrote."""
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


def _batches(rows) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= EXTRAS_BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_new(connection: Connection, table: Table, rows: list[dict], dialect: str) -> int:
    if not rows:
        return 0
    insert = (postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)).on_conflict_do_nothing()
    return connection.execution_options(preserve_rowcount=True).execute(insert, rows).rowcount


def _opt_out(connection: Connection, rows: list[dict], line_id: int, actor: str | None, now) -> int:
    """Opt the contacts out as a person ticking "Opted out" would, remembered by line and phone."""
    if not rows:
        return 0
    contact = Contact.__table__
    connection.execute(
        update(contact)
        .where(contact.c.id == bindparam("b_id"))
        .values(
            opted_out=True,
            opted_out_at=now,
            opted_out_source=consent.Source.IMPORT,
            opted_out_by=actor,
            updated_at=now,
        ),
        rows,
    )
    connection.execute(
        ConsentEvent.__table__.insert(),
        [
            {
                "line_id": line_id,
                "contact_id": row["b_id"],
                "phone": row["b_phone"],
                "kind": consent.EventKind.OPTED_OUT,
                "source": consent.Source.IMPORT,
                "actor": actor,
                "detail": "Opted out in an imported file",
                "created_at": now,
            }
            for row in rows
        ],
    )
    return len(rows)


class _ListIds:
    """The line's lists by name (any case); a list a file names that does not exist yet is made."""

    def __init__(self, connection: Connection, line_id: int, result: ExtrasWritten) -> None:
        self.connection, self.line_id, self.result = connection, line_id, result
        table = ContactList.__table__
        existing = connection.execute(select(table.c.id, table.c.name_key).where(table.c.line_id == line_id))
        self.ids = {key: list_id for list_id, key in existing}

    def id_of(self, name: str) -> int:
        key = name.lower()
        if key not in self.ids:
            now = utcnow()
            self.ids[key] = self.connection.execute(
                ContactList.__table__.insert()
                .values(line_id=self.line_id, name=name, name_key=key, description="", created_at=now, updated_at=now)
                .returning(ContactList.__table__.c.id)
            ).scalar_one()
            self.result.lists_created.append(name)
        return self.ids[key]
