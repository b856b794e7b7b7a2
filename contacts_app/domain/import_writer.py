"""Pass 2 of an import: the checked rows into the database in one transaction, set-based.

The rows go into a temporary staging table as pass 1 checks them (`StagingTable`: COPY on
PostgreSQL, executemany on SQLite, each batch committed on its own: only the importing
connection sees that table, and nothing else is locked meanwhile). Then, in one transaction, a
few statements per range of file lines merge them: a phone seen again later in the file is
dropped in favour of the later row, known phones get the new name and e-mail, new phones are
inserted (upserted, so a contact added by hand meanwhile is never duplicated), and all of them
join the selected list. Opt-out fields are only ever set for new numbers the line suppressed.
"""

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from contacts_app.domain import consent
from contacts_app.domain.import_extras import ExtrasWritten, hold_line_fields, write_extras
from contacts_app.domain.lists import get_list
from contacts_app.models import (
    ConsentEvent,
    ConsentStatus,
    Contact,
    ContactFieldValue,
    ContactTag,
    ListMembership,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_REPORTED_MERGES = 100
WRITE_CHUNK_LINES = 25_000
WRITE_ATTEMPTS = 3
# pg_advisory_xact_lock(class, line_id): imports into one line take turns.
IMPORT_LOCK_CLASS = 7301
# PostgreSQL: memory for each sort and hash of the import's statements.
IMPORT_WORK_MEM = "64MB"
# PostgreSQL: an import that wrote this many contacts refreshes the planner's statistics at once.
ANALYZE_AFTER_ROWS = 10_000

_CONTACT = Contact.__table__
_MEMBERSHIP = ListMembership.__table__
_CONSENT_EVENT = ConsentEvent.__table__

# One checked row: (line, phone, full_name, name_key, email, search_text, and as JSON or None: its
# extras and its custom-field values (import_extras.py)).
StagedRow = tuple[int, str, str, str, str | None, str, str | None, str | None]


@dataclass(frozen=True)
class EmailTaken:
    """A row whose e-mail another contact of the line would have too (one address, one contact)."""

    line: int
    full_name: str
    phone: str
    email: str
    reason: str


class EmailsTaken(Exception):
    """Rows of the file would give two contacts of the line one e-mail address; nothing was written."""

    def __init__(self, rows: list[EmailTaken]) -> None:
        super().__init__(f"{len(rows)} rows have an e-mail address another contact has")
        self.rows = rows


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    merged_lines: list[int] = field(default_factory=list)
    added_to_list: int = 0
    # Rows left out because their e-mail was taken (only when skipping invalid rows).
    emails_taken: list[EmailTaken] = field(default_factory=list)
    # What the rows' extras did (import_extras.py): None when no row had any.
    extras: ExtrasWritten | None = None
    # Every contact the import created has this id or a higher one (ids only grow), and was
    # created at this time.
    first_new_id: int = 0
    written_at: datetime | None = None


class StagingTable:
    """The checked rows of one import, kept in a temporary table of the connection that writes
    them (a CleanRowSink for import_check.check_file). Close it when the import ends."""

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect()
        self.dialect = self.connection.dialect.name
        self.table = _staging_table()
        # Whether a staged row has extras beyond custom-field values (tags, lists, notes, opted out).
        self.has_extras = False
        try:
            self.table.create(self.connection)
            self.connection.commit()
        except BaseException:
            self.connection.close()
            raise

    def add(self, rows: list[StagedRow]) -> None:
        self.has_extras = self.has_extras or any(map(_EXTRAS_OF, rows))
        # Committed batch by batch: the write's transaction, if it meets a lock and starts over,
        # finds every row still staged.
        with self.connection.begin():
            if self.dialect == "postgresql":
                columns = ", ".join(_STAGED_COLUMNS)
                with self.connection.connection.driver_connection.cursor() as cursor:
                    with cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                placeholders = ", ".join("?" for _ in _STAGED_COLUMNS)
                self.connection.exec_driver_sql(
                    f"INSERT INTO {self.table.name} ({', '.join(_STAGED_COLUMNS)}) VALUES ({placeholders})", rows
                )

    def reset(self) -> None:
        self.has_extras = False
        self.connection.execute(self.table.delete())
        self.connection.commit()

    def close(self) -> None:
        try:
            self.connection.rollback()
            self.table.drop(self.connection)
            self.connection.commit()
        except Exception:  # noqa: BLE001 - the import's own outcome is what the caller must hear
            # A broken connection: the pool discards it, and the temporary table with it.
            self.connection.invalidate()
        finally:
            self.connection.close()


def write_import(
    staging: StagingTable,
    line_id: int,
    list_id: int | None,
    lines: tuple[int, int],
    on_progress: Callable[[float], None],
    skip_taken_emails: bool = False,
    actor: str | None = None,
    extras_fields: frozenset[int] | None = None,
) -> WriteResult:
    """Write the staged rows in one transaction (done again, whole, when it meets a lock or a race).

    `lines` is the first and last line number among the rows; `on_progress` gets the fraction done.
    Rows whose e-mail another contact would have raise EmailsTaken, or with `skip_taken_emails`
    are left out and listed in the result.
    `extras_fields`: the rows carry a mapping's extras (opted out, tags, lists, notes, fields),
    applied in the same transaction, checked against these custom fields (ids); `actor` is who
    imported (recorded with opt-outs and notes).
    """
    connection = staging.connection
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            try:
                held = None
                if extras_fields is not None and connection.dialect.name == "postgresql":
                    # The fields before any contact, as every writer of values holds them
                    # (custom_fields.set_values, delete_field): a field's deletion meanwhile waits
                    # for the import instead of meeting it in a circle. SQLite writers take turns
                    # (and the write's transaction must begin first there).
                    held = hold_line_fields(connection, line_id)
                report = _write(connection, staging.table, line_id, list_id, lines, on_progress, skip_taken_emails)
                if extras_fields is not None:
                    if held is None:
                        held = hold_line_fields(connection, line_id)
                    report.extras = write_extras(connection, staging, report, line_id, actor, extras_fields, held)
                connection.commit()
                if connection.dialect.name == "postgresql" and report.created + report.updated >= ANALYZE_AFTER_ROWS:
                    _refresh_statistics(connection, list_id is not None, extras_fields is not None)
                return report
            except BaseException:
                connection.rollback()
                raise
        # A writer that held SQLite past its timeout, or a concurrent edit racing a row: the
        # transaction rolled back whole (the staged rows are as they were loaded), so doing it
        # again is safe.
        except (OperationalError, IntegrityError):
            if attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _refresh_statistics(connection: Connection, lists: bool, extras: bool) -> None:
    """ANALYZE the tables a big import grew. Until autovacuum gets to it (a minute or more, never
    where it is off), the planner reads the line as it was: a search of the imported line just
    after a 200,000-row import took 70-660 ms, and 20-100 ms once analyzed (0.4 s)."""
    tables = [Contact.__tablename__]
    if lists:
        tables.append(ListMembership.__tablename__)
    if extras:
        tables += [ContactFieldValue.__tablename__, ContactTag.__tablename__, ListMembership.__tablename__]
    try:
        connection.exec_driver_sql("ANALYZE " + ", ".join(dict.fromkeys(tables)))
        connection.commit()
    except SQLAlchemyError:
        # The import is committed; statistics are only a help (autovacuum refreshes them too).
        connection.rollback()
        log.warning("Could not refresh statistics after an import", exc_info=True)


# The columns of a StagedRow, in its order.
_STAGED_COLUMNS = ("line", "phone", "full_name", "name_key", "email", "search_text", "extras", "fields")
_EXTRAS_OF = itemgetter(_STAGED_COLUMNS.index("extras"))


def _staging_table() -> Table:
    return Table(
        f"import_staging_{uuid.uuid4().hex[:12]}",
        MetaData(),
        Column("line", Integer, primary_key=True, autoincrement=False),
        Column("phone", String, nullable=False),
        Column("full_name", String, nullable=False),
        Column("name_key", String, nullable=False),
        Column("email", String),
        Column("search_text", String, nullable=False),
        Column("extras", Text),
        Column("fields", Text),
        # The line's contact with this phone before the import wrote anything (None: a new number).
        Column("contact_id", Integer),
        prefixes=["TEMPORARY"],
    )


def _write(
    connection: Connection,
    staging: Table,
    line_id: int,
    list_id: int | None,
    lines: tuple[int, int],
    on_progress: Callable[[float], None],
    skip_taken_emails: bool,
) -> WriteResult:
    dialect = connection.dialect.name
    # Counts come from rowcount, which SQLAlchemy otherwise drops for INSERT ... SELECT.
    connection.execution_options(preserve_rowcount=True)
    if dialect == "sqlite":
        # Take the write lock now: a deferred transaction that upgrades later can fail outright.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_CLASS, line_id)))
        # The sorts by name and by contact id fit in memory (the default 4 MB sent 275,000 field
        # values to a file on disk); for this transaction only.
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
        # No JIT: big writes pass its cost threshold, and compiling them costs more than it saves
        # (the custom-field lookup rows of 100,000 contacts: median 1.53 -> 1.37 s; a mapped
        # import of 100,000 rows, four rounds in turns: each faster, median 12.2 -> 11.4 s).
        connection.exec_driver_sql("SET LOCAL jit = off")
    if list_id is not None:
        with Session(bind=connection) as session:
            get_list(session, line_id, list_id)
    report = WriteResult()
    # Taken under the lock: SQLite gives a new row the highest id + 1, PostgreSQL's sequence never
    # goes back; either way no contact of this import has a lower id.
    report.first_new_id = connection.execute(select(func.coalesce(func.max(_CONTACT.c.id), 0) + 1)).scalar_one()
    connection.exec_driver_sql(f"CREATE INDEX ix_{staging.name}_phone ON {staging.name} (phone, line)")
    on_progress(0.05)
    for lo, hi, fraction in _line_chunks(lines):
        _drop_superseded_rows(connection, staging, staging.c.line.between(lo, hi), report)
        on_progress(0.05 + 0.1 * fraction)
    taken = _emails_taken(connection, staging, line_id)
    if taken and not skip_taken_emails:
        raise EmailsTaken(taken)
    if taken:
        connection.execute(staging.delete().where(staging.c.line.in_([row.line for row in taken])))
        report.emails_taken = taken
    # Without the phone index SQLite's planner walks staging in line order and looks each phone
    # up in the contact table; with it, it walks all the line's contacts once per chunk.
    connection.exec_driver_sql(f"DROP INDEX ix_{staging.name}_phone")
    _find_known_contacts(connection, staging, line_id)
    if dialect == "postgresql":
        # Temporary tables get no automatic statistics.
        connection.exec_driver_sql(f"ANALYZE {staging.name}")

    now = report.written_at = utcnow()
    for lo, hi, fraction in _line_chunks(lines):
        _merge_chunk(connection, staging, staging.c.line.between(lo, hi), line_id, list_id, now, dialect, report)
        on_progress(0.15 + 0.85 * fraction)
    return report


def _find_known_contacts(connection: Connection, staging: Table, line_id: int) -> None:
    """Note each row's contact, once, before any range of lines is written. Per range, a join on
    the phone read the contacts the ranges before had just written too: PostgreSQL hashed the
    growing table for each of them (1,000,000 new rows: 0.01 -> 0.5 s of CPU per statement and range,
    three statements a range)."""
    contact = _CONTACT
    connection.execute(
        update(staging)
        .where(contact.c.line_id == line_id, contact.c.phone == staging.c.phone)
        .values(contact_id=contact.c.id)
    )


def _emails_taken(connection: Connection, staging: Table, line_id: int) -> list[EmailTaken]:
    """Rows (one per phone by now) whose e-mail an earlier row, or a contact the file leaves alone, has."""
    connection.exec_driver_sql(f"CREATE INDEX ix_{staging.name}_email ON {staging.name} (email, line)")
    earlier = staging.alias("earlier")
    first_line = func.min(earlier.c.line)
    in_file = connection.execute(
        select(staging.c.line, staging.c.full_name, staging.c.phone, staging.c.email, first_line)
        .join(earlier, and_(earlier.c.email == staging.c.email, earlier.c.line < staging.c.line))
        .group_by(staging.c.line, staging.c.full_name, staging.c.phone, staging.c.email)
    ).all()
    taken = [
        EmailTaken(line, name, phone, email, f"This e-mail address is also on line {first} of the file.")
        for line, name, phone, email, first in in_file
    ]
    # A contact the file updates gets the file's e-mail, so only contacts it leaves alone count.
    contact = _CONTACT
    left_alone = ~exists().where(staging.alias("updating").c.phone == contact.c.phone)
    on_line = connection.execute(
        select(staging.c.line, staging.c.full_name, staging.c.phone, staging.c.email, contact.c.full_name)
        .join(
            contact,
            and_(contact.c.line_id == line_id, contact.c.email == staging.c.email, contact.c.phone != staging.c.phone),
        )
        .where(left_alone)
    ).all()
    seen = {row.line for row in taken}
    taken += [
        EmailTaken(line, name, phone, email, f"This e-mail address already belongs to {other} on this line.")
        for line, name, phone, email, other in on_line
        if line not in seen
    ]
    connection.exec_driver_sql(f"DROP INDEX ix_{staging.name}_email")
    return sorted(taken, key=lambda row: row.line)


def _line_chunks(lines: tuple[int, int]) -> Iterator[tuple[int, int, float]]:
    """Ranges of file lines to write a statement at a time (progress moves between them)."""
    first, last = lines
    lo = first
    while lo <= last:
        hi = lo + WRITE_CHUNK_LINES - 1
        yield lo, hi, min(1.0, (hi - first + 1) / (last - first + 1))
        lo = hi + 1


def _drop_superseded_rows(connection: Connection, staging: Table, in_chunk, report: WriteResult) -> None:
    """A phone seen again later in the file: the later row wins, this one is merged into it."""
    later = staging.alias("later")
    superseded = exists().where(later.c.phone == staging.c.phone, later.c.line > staging.c.line)
    for line in connection.scalars(staging.delete().where(in_chunk, superseded).returning(staging.c.line)):
        report.merged += 1
        if len(report.merged_lines) < MAX_REPORTED_MERGES:
            report.merged_lines.append(line)
    report.merged_lines.sort()


def _upsert(dialect: str):
    return postgresql_insert(_CONTACT) if dialect == "postgresql" else sqlite_insert(_CONTACT)


def _merge_chunk(connection, staging, in_chunk, line_id, list_id, now, dialect, report: WriteResult) -> None:
    contact = _CONTACT
    same_phone = and_(contact.c.line_id == line_id, contact.c.phone == staging.c.phone)
    known = staging.c.contact_id.is_not(None)
    matched = connection.execute(select(func.count()).select_from(staging).where(in_chunk, known)).scalar_one()
    changed = 0
    # Not even planned for a range of new numbers: PostgreSQL still hashed the line's contacts for it.
    if matched:
        changed = connection.execute(
            update(contact)
            .where(contact.c.id == staging.c.contact_id, contact.c.line_id == line_id, in_chunk)
            .where(
                contact.c.full_name.is_distinct_from(staging.c.full_name)
                | contact.c.email.is_distinct_from(staging.c.email)
            )
            # Only name and e-mail: an import never touches opt-out or consent.
            .values(
                full_name=staging.c.full_name,
                name_key=staging.c.name_key,
                email=staging.c.email,
                search_text=staging.c.search_text,
                updated_at=now,
            )
        ).rowcount
    report.updated += changed
    report.unchanged += matched - changed

    # A contact deleted since its row was looked up is written anew, as before the lookup.
    is_new = staging.c.contact_id.is_(None) | ~exists().where(contact.c.id == staging.c.contact_id)
    suppressed = _suppressed_new_phones(connection, staging, in_chunk, is_new, line_id)
    columns = [
        "line_id",
        "full_name",
        "name_key",
        "phone",
        "email",
        "search_text",
        "field_values",
        "opted_out",
        "consent_status",
        "created_at",
        "updated_at",
    ]
    rows = select(
        literal(line_id),
        staging.c.full_name,
        staging.c.name_key,
        staging.c.phone,
        staging.c.email,
        staging.c.search_text,
        # The row's custom-field values, in the contact's own shape (import_extras.write_extras
        # makes their lookup rows, and leaves out a field deleted since the check).
        staging.c.fields,
        literal(False),
        literal(ConsentStatus.NOT_SENT),
        literal(now, contact.c.created_at.type),
        literal(now, contact.c.updated_at.type),
    ).where(in_chunk, is_new)
    # In name order, the rows land where the line's name index and its searches read them: a search
    # in the line walks the import's rows in the order they sit on disk, not at random.
    rows = rows.order_by(staging.c.name_key)
    insert = _upsert(dialect).from_select(columns, rows)
    # A contact added by hand since the NOT EXISTS check becomes an update, never a duplicate (its
    # custom-field values stay as they were made: PostgreSQL only, where writers do not take turns).
    insert = insert.on_conflict_do_update(
        index_elements=["line_id", "phone"],
        set_={
            "full_name": insert.excluded.full_name,
            "name_key": insert.excluded.name_key,
            "email": insert.excluded.email,
            "search_text": insert.excluded.search_text,
            "updated_at": insert.excluded.updated_at,
        },
    )
    report.created += connection.execute(insert).rowcount
    if suppressed:
        connection.execute(
            update(contact)
            .where(contact.c.line_id == line_id, contact.c.phone == bindparam("b_phone"))
            .values(
                opted_out=True,
                opted_out_at=bindparam("b_at"),
                opted_out_source=bindparam("b_source"),
                opted_out_by=bindparam("b_actor"),
            ),
            suppressed,
        )
    if list_id is not None:
        members = (
            select(literal(list_id), contact.c.id, literal(now, _MEMBERSHIP.c.added_at.type))
            .select_from(staging.join(contact, same_phone))
            .where(
                in_chunk,
                ~exists().where(_MEMBERSHIP.c.list_id == list_id, _MEMBERSHIP.c.contact_id == contact.c.id),
            )
            # In id order, as the list's index is; `+` keeps SQLite from planning the walk by id.
            .order_by(text("+contact.id"))
        )
        membership_insert = (
            (postgresql_insert(_MEMBERSHIP) if dialect == "postgresql" else sqlite_insert(_MEMBERSHIP))
            .from_select(["list_id", "contact_id", "added_at"], members)
            .on_conflict_do_nothing()
        )
        report.added_to_list += connection.execute(membership_insert).rowcount


def _suppressed_new_phones(connection, staging, in_chunk, is_new, line_id) -> list[dict]:
    """New numbers the line remembers as opted out come in opted out (consent.suppression_for)."""
    event = _CONSENT_EVENT
    events = connection.execute(
        select(event.c.phone, event.c.kind, event.c.created_at, event.c.source, event.c.actor)
        .select_from(staging.join(event, and_(event.c.line_id == line_id, event.c.phone == staging.c.phone)))
        .where(in_chunk, is_new, event.c.kind.in_([consent.EventKind.OPTED_OUT, consent.EventKind.OPTED_IN]))
        .order_by(event.c.id)
    ).all()
    last = {row.phone: row for row in events}
    return [
        {"b_phone": row.phone, "b_at": row.created_at, "b_source": row.source, "b_actor": row.actor}
        for row in last.values()
        if row.kind == consent.EventKind.OPTED_OUT
    ]
