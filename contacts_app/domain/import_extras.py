"""What a mapped row carries beyond name, phone and e-mail: opted out, tags, lists, notes, custom fields.

Pass 1 checks each batch's extra cells with `check_extras_batch` (in the check pool's processes, so it
works from a plain `ExtrasSpec`), giving problems that name the line, the column and the value,
and two compact JSON values that travel with the row to the staging table: its custom-field
values, and the rest (opted out, tags, lists, notes). Pass 2 (`write_extras`), inside the
import's one transaction, applies them to the contacts the rows became: the custom-field values
went onto the new contacts as they were written (import_writer) and their lookup rows are read
from them in one statement, the contacts the file updates get its values merged into theirs, tags
and lists are added (never removed), notes are set where the file has one, and "opted out" only
ever opts out.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, bindparam, select, text, update
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
    dump_values,
    line_fields,
    locked_field_ids,
    member_parts,
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

if TYPE_CHECKING:
    from contacts_app.domain.import_writer import StagingTable, WriteResult

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
    # Worked out once, not per row: the custom-field columns as (column index, column name, the
    # field), and the other extra columns as (column index, column name, target).
    field_plan: tuple[tuple[int, str, FieldShape], ...] = field(init=False, repr=False, compare=False)
    other_plan: tuple[tuple[int, str, str], ...] = field(init=False, repr=False, compare=False)
    # No field is filled by two columns.
    fields_unique: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shapes = {
            name.lower(): FieldShape(name, kind, field_id, f'"{field_id}":')
            for name, kind, field_id in self.field_kinds
        }
        field_plan = tuple(
            (index, column, shapes[target.removeprefix(FIELD_PREFIX).lower()])
            for index, column, target in self.columns
            if target.startswith(FIELD_PREFIX)
        )
        other_plan = tuple(column for column in self.columns if not column[2].startswith(FIELD_PREFIX))
        object.__setattr__(self, "field_plan", field_plan)
        object.__setattr__(self, "other_plan", other_plan)
        object.__setattr__(self, "fields_unique", len({shape.id for _i, _c, shape in field_plan}) == len(field_plan))

    @property
    def field_ids(self) -> frozenset[int]:
        """The custom fields the rows were checked against."""
        return frozenset(field_id for _name, _kind, field_id in self.field_kinds)

    @classmethod
    def of(cls, mapping: ColumnMapping, fields: list[CustomField]) -> "ExtrasSpec | None":
        def header(index: int) -> str:
            return mapping.headers[index] if index < len(mapping.headers) else f"Column {index + 1}"

        columns = tuple((index, header(index), mapping.targets[index]) for index in mapping.extra_columns)
        if not columns:
            return None
        return cls(columns, tuple((custom.name, custom.kind, custom.id) for custom in fields))


def check_extras_batch(
    records: list[tuple[int, list[str]]], rows: Sequence[Sequence[str]], spec: ExtrasSpec
) -> tuple[list[str | None], list[str | None], dict[int, list[Problem]]]:
    """Each row's extras and its custom-field values as the JSON the staging table keeps (None
    when there are none, and for a row with problems), and the problems by the row's line.
    `records` are the rows as read (line, cells), `rows` the same rows as imported (for problems).

    Custom-field cells are checked a column at a time, each distinct cell once (_FieldCells): a
    mapped file of 100,000 rows brings ~300,000 of them, mostly a few values repeated."""
    raws = [cells for _line, cells in records]
    shortest = min(map(len, raws), default=0)
    cells_of = [_FieldCells(shape) for _index, _column, shape in spec.field_plan]
    columns = [
        list(map(memo.__getitem__, _column_cells(raws, index, shortest)))
        for (index, _column, _shape), memo in zip(spec.field_plan, cells_of, strict=True)
    ]
    extras: list[str | None] = [None] * len(raws)
    problems: dict[int, list[Problem]] = {}
    by_row = not spec.fields_unique or any(memo.invalid for memo in cells_of)
    if columns and not by_row:
        # Every cell valid, no field twice: each row's members joined as they stand (most rows
        # repeat a few combinations).
        values = list(map(_FirstSight(_values_json).__getitem__, zip(*columns, strict=True)))
    else:
        values = [None] * len(raws)
    if not (columns and by_row) and not spec.other_plan:
        return extras, values, problems
    for position, ((line, cells), row) in enumerate(zip(records, rows, strict=True)):
        found: list[Problem] = []
        if columns and by_row:
            values[position] = _row_values(line, cells, row, spec, [column[position] for column in columns], found)
        if spec.other_plan:
            extras[position] = _other_extras(line, cells, row, spec, found)
        if found:
            problems[line] = found
            extras[position] = values[position] = None
    return extras, values, problems


# Distinct keys remembered per memo and batch (a column of unique values gains nothing).
_MEMO_LIMIT = 1_000


class _FirstSight(dict):
    """`work_out(key)` worked out on a key's first sight and kept, for at most _MEMO_LIMIT keys."""

    def __init__(self, work_out: Callable) -> None:
        super().__init__()
        self.work_out = work_out

    def __missing__(self, key):
        value = self.work_out(key)
        if len(self) < _MEMO_LIMIT:
            self[key] = value
        return value


class _FieldCells(_FirstSight):
    """A field column's cells -> each one's JSON member ("" for an empty cell) or the FieldInvalid
    it raised; `invalid` tells whether any cell was."""

    def __init__(self, shape: FieldShape) -> None:
        super().__init__(self._member)
        self.shape = shape
        self.invalid = False

    def _member(self, cell: str) -> "str | FieldInvalid":
        member = _member_of(self.shape, cell)
        if type(member) is not str:
            self.invalid = True
        return member


def _values_json(members: Iterable[str]) -> str | None:
    """The values JSON of these members ('"12":"x"'; empty ones left out), None when all are empty."""
    joined = ",".join(filter(None, members))
    return "{" + joined + "}" if joined else None


def _member_of(shape: FieldShape, cell: str) -> "str | FieldInvalid":
    value = cell.strip()
    if not value:
        return ""
    try:
        clean = clean_cell(shape, value)
    except FieldInvalid as invalid:
        return invalid
    return "" if clean is None else _value_member(shape, clean)


def _column_cells(raws: list[list[str]], index: int, shortest: int) -> Iterable[str]:
    if index < shortest:
        return map(itemgetter(index), raws)
    return [cells[index] if index < len(cells) else "" for cells in raws]


def _row_values(
    line: int, cells: list[str], row: Sequence[str], spec: ExtrasSpec, members: list, problems: list[Problem]
) -> str | None:
    """A row's values JSON where a cell is invalid or a field has two columns (the last filled wins)."""
    values: dict[str, str] = {}
    for (index, column, shape), member in zip(spec.field_plan, members, strict=True):
        if isinstance(member, FieldInvalid):
            problems.append(_problem(line, column, cells[index].strip(), str(member), row))
        elif member:
            values[shape.json_key] = member
    return _values_json(values.values())


def _other_extras(
    line: int, cells: list[str], row: Sequence[str], spec: ExtrasSpec, problems: list[Problem]
) -> str | None:
    """The row's opted out, tags, lists and notes as JSON (None when it has none)."""
    extras: dict = {}
    count = len(cells)
    for index, column, target in spec.other_plan:
        if index >= count or not (value := cells[index].strip()):
            continue
        if target == _OPTED_OUT:
            if value.lower() in YES_WORDS or value.lower() in ("opted out", "unsubscribed"):
                extras["o"] = 1
            elif value.lower() not in NO_WORDS:
                problems.append(_problem(line, column, value, f"{column} must be yes or no (not “{value}”).", row))
        elif target == _TAGS:
            try:
                extras.setdefault("t", []).extend(parse_tags(value))
            except TagInvalid as invalid:
                problems.append(_problem(line, column, value, str(invalid), row))
        elif target == _LISTS:
            for name in (" ".join(part.split()) for part in value.split(LIST_SEPARATOR)):
                if len(name) > MAX_LIST_NAME_LENGTH:
                    problems.append(_problem(line, column, value, f"The list name “{name[:20]}…” is too long.", row))
                elif name:
                    extras.setdefault("l", []).append(name)
        elif target == _NOTES:
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
    return _EXTRAS_JSON(extras) if extras else None


def _problem(line: int, column: str, value: str, reason: str, row: Sequence[str]) -> Problem:
    return Problem(line, column, display(value)[:200], reason, tuple(row), code=PROBLEM_CODE)


# Plain strings: comparing with an enum member looks it up on its class each time (~50 ns).
_OPTED_OUT, _TAGS, _LISTS, _NOTES = str(Target.OPTED_OUT), str(Target.TAGS), str(Target.LISTS), str(Target.NOTES)

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
    staged: "StagingTable",
    written: "WriteResult",
    line_id: int,
    actor: str | None,
    checked_field_ids: frozenset[int],
    field_ids: set[int],
) -> ExtrasWritten:
    """Apply the staged rows' extras to the contacts they became (same transaction as the rows).
    `written`: what writing the staged rows did; `checked_field_ids`: the custom fields the rows
    were checked against; `field_ids`: the line's fields now, held (hold_line_fields)."""
    staging, dialect = staged.table, connection.dialect.name
    result = ExtrasWritten(lists_created=[])
    _set_field_values(connection, staging, written, line_id, field_ids, checked_field_ids - field_ids)
    if not staged.has_extras:
        return result
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
        for contact_id, phone, opted_out, staged in batch:
            extras = json.loads(staged)
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


def hold_line_fields(connection: Connection, line_id: int) -> set[int]:
    """The ids of the line's custom fields, held until the import commits (custom_fields.locked_field_ids)."""
    with Session(bind=connection) as session:
        return locked_field_ids(session, (custom.id for custom in line_fields(session, line_id)))


def _set_field_values(
    connection: Connection, staging: Table, written: "WriteResult", line_id: int, field_ids: set[int], gone: set[int]
) -> None:
    """The staged rows' custom-field values (their `fields` JSON, in the shape of
    `Contact.field_values`), for the fields that still exist (`field_ids`; `gone` were deleted
    since the check).

    The contacts the import created got their values as they were written (import_writer): their
    lookup rows are read from those rows in one pass, in id order, with no join and no sort (a join
    to the file's rows and a sort by contact took twice as long). The contacts it updates get the
    file's values merged into theirs, a batch at a time."""
    postgresql = connection.dialect.name == "postgresql"
    contact, lookup = Contact.__tablename__, ContactFieldValue.__tablename__
    # The import's own new contacts (not one made by hand meanwhile: PostgreSQL lets others write).
    # SQLite walks them by id (`+`: not by an index of the line's contacts).
    plus = "" if postgresql else "+"
    new_ones = f"c.id >= :first AND {plus}c.line_id = :line AND {plus}c.created_at = :at AND c.field_values IS NOT NULL"
    where = {"first": written.first_new_id, "line": line_id, "at": written.written_at}
    # The time as the column stores it (SQLite keeps text).
    at = bindparam("at", type_=Contact.__table__.c.created_at.type)
    if gone:
        if postgresql:
            names = ", ".join(f"'{int(field_id)}'" for field_id in gone)
            remaining = f"(c.field_values::jsonb - ARRAY[{names}])::text"
        else:
            paths = ", ".join(f"'$.\"{int(field_id)}\"'" for field_id in gone)
            remaining = f"json_remove(c.field_values, {paths})"
        strip = text(f"UPDATE {contact} AS c SET field_values = NULLIF({remaining}, '{{}}') WHERE {new_ones}")
        connection.execute(strip.bindparams(at), where)
    if field_ids:
        # Every member left names one of `field_ids`: the rows were checked against the fields then,
        # and those deleted since were stripped above.
        if postgresql:
            pairs, field_id, key = "jsonb_each(c.field_values::jsonb) AS f", "f.key::integer", _POSTGRES_KEY
        else:
            pairs, field_id, key = "json_each(c.field_values) AS f", "CAST(f.key AS INTEGER)", _SQLITE_KEY
        # No ON CONFLICT: nobody else has written lookup rows for these contacts (on PostgreSQL it
        # made the statement 40% slower).
        connection.execute(
            text(
                f"INSERT INTO {lookup} (field_id, value_key, contact_id) "
                f"SELECT {field_id}, {key}, c.id FROM {contact} AS c CROSS JOIN {pairs} "
                f"WHERE {new_ones}"
            ).bindparams(at),
            where,
        )
    if written.updated or written.unchanged:  # the file names contacts the line had
        _merge_known_values(connection, staging, field_ids)


# The lookup key of a member of `field_values`: the value itself, or the second of a pair.
# (SQLite: `atom` is a plain member's value, NULL for a pair; cheaper to read than `type`.)
_SQLITE_KEY = "COALESCE(f.atom, json_extract(f.value, '$[1]'))"
_POSTGRES_KEY = "COALESCE(f.value->>1, f.value#>>'{}')"


def _merge_known_values(connection: Connection, staging: Table, field_ids: set[int]) -> None:
    """The file's values onto the contacts it updates (the rest of their values stay), with their
    lookup rows; the contacts are held until the import commits."""
    lock = " FOR UPDATE OF c" if connection.dialect.name == "postgresql" else ""
    rows = connection.exec_driver_sql(
        f"SELECT c.id, c.field_values, s.fields FROM {staging.name} AS s "
        f"JOIN {Contact.__tablename__} AS c ON c.id = s.contact_id "
        f"WHERE s.contact_id IS NOT NULL AND s.fields IS NOT NULL ORDER BY c.id{lock}"
    )
    kept = {str(field_id) for field_id in field_ids}
    for batch in _batches(rows):
        removed, added, stored = [], [], []
        for contact_id, current, fields in batch:
            members = json.loads(current) if current else {}
            changed = False
            for name, member in json.loads(fields).items():
                old = members.get(name)
                if name not in kept or old == member:
                    continue
                if old is not None:
                    removed.append((int(name), member_parts(old)[1], contact_id))
                added.append((int(name), member_parts(member)[1], contact_id))
                members[name] = member
                changed = True
            if changed:
                stored.append((dump_values(members), contact_id))
        _executemany(connection, _DELETE_LOOKUP, removed)
        _executemany(connection, _INSERT_LOOKUP, added)
        _executemany(connection, _STORE_VALUES, stored)


# Plain SQL that SQLite and PostgreSQL both take: tens of thousands of rows skip SQLAlchemy's
# per-row parameter handling (three times the time of the database's own work).
_INSERT_TAG = (
    f"INSERT INTO {ContactTag.__tablename__} (contact_id, name_key, name, line_id) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_DELETE_LOOKUP = (
    f"DELETE FROM {ContactFieldValue.__tablename__} WHERE field_id = ? AND value_key = ? AND contact_id = ?"
)
_INSERT_LOOKUP = f"INSERT INTO {ContactFieldValue.__tablename__} (field_id, value_key, contact_id) VALUES (?, ?, ?)"
_STORE_VALUES = f"UPDATE {Contact.__tablename__} SET field_values = ? WHERE id = ?"


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
