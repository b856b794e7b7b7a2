"""The one-pass import: checked rows go straight into the contact table while the rest is checked.

Issue 13. The two-pass writer (import_writer.py) stages every row, then merges the staging table
into the line with set-based SQL once the whole file is checked: the rows are written twice, and
the merge (1.2-1.7 s of one core for 100,000 rows, mostly the contact table's nine indexes) waits
for the last check while the check pool's cores sit idle. Here the import's one transaction is
opened before checking starts and each batch is written as it comes back from the pool, so the
database's work overlaps the checking; a problem, or an error, rolls the whole transaction back
(all or nothing, as before).

It serves what is common and simple: SQLite, a line with no contacts yet (nothing to update,
no e-mail already taken on the line) and a mapping whose extra columns are custom fields only.
Anything it cannot decide as the two-pass writer would (an e-mail address two contacts would
share, which the file may yet resolve by a later row) raises DirectWriteRefused: the caller rolls
back and imports the file again the two-pass way, which has the whole file's rules.
"""

import json
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from contacts_app.domain import consent
from contacts_app.domain.column_mapping import FIELD_PREFIX
from contacts_app.domain.import_extras import ExtrasSpec, ExtrasWritten
from contacts_app.domain.import_writer import MAX_REPORTED_MERGES, StagedRow, WriteResult
from contacts_app.domain.lists import get_list
from contacts_app.models import ConsentEvent, ConsentStatus, Contact, ContactFieldValue, ListMembership, utcnow

_CONTACT_COLUMNS = (
    "line_id, full_name, name_key, phone, email, search_text, opted_out, opted_out_at, opted_out_source, "
    "opted_out_by, consent_status, created_at, updated_at"
)
_INSERT_CONTACT = (
    f"INSERT INTO {Contact.__tablename__} ({_CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A phone the file names again: the later row wins (name and e-mail only, as the two-pass merge).
_UPDATE_CONTACT = (
    f"UPDATE {Contact.__tablename__} SET full_name = ?, name_key = ?, email = ?, search_text = ?, updated_at = ? "
    "WHERE id = ?"
)
_DELETE_FIELD_VALUES = f"DELETE FROM {ContactFieldValue.__tablename__} WHERE contact_id = ?"
_INSERT_FIELD_VALUE = (
    f"INSERT INTO {ContactFieldValue.__tablename__} (contact_id, field_id, value, value_key) VALUES (?, ?, ?, ?)"
)
_INSERT_MEMBER = (
    f"INSERT INTO {ListMembership.__tablename__} (list_id, contact_id, added_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


_NOT_SENT = ConsentStatus.NOT_SENT.value
# The write lock is held from the first check to the commit: a few seconds for 100,000 rows. A
# bigger file takes the two-pass way, which holds it only while merging, so that a person saving
# a contact meanwhile waits less than SQLite's 30-second busy timeout.
DIRECT_MAX_LINES = 250_000


class DirectWriteRefused(Exception):
    """The rows need the whole file's rules (import_writer.py); nothing was written."""


@dataclass
class _Written:
    """A phone this import wrote: its contact, the line it came from, and its e-mail now."""

    contact_id: int
    line: int
    email: str | None


@dataclass
class DirectWriter:
    """A CleanRowSink writing each batch into the line within one open transaction."""

    connection: Connection
    line_id: int
    list_id: int | None
    with_fields: bool
    # Raw stored values, as SQLite keeps them (bind-processed once).
    now: str
    suppressed: dict[str, tuple]
    written: dict[str, _Written] = field(default_factory=dict)
    # Which phone holds each e-mail address among the rows written.
    email_owner: dict[str, str] = field(default_factory=dict)
    superseded_lines: list[int] = field(default_factory=list)

    @classmethod
    def open(
        cls, engine: Engine, line_id: int, list_id: int | None, extras_spec: ExtrasSpec | None, lines: int
    ) -> "DirectWriter | None":
        """A writer holding the database's write lock, or None when the two-pass writer must do it."""
        if engine.dialect.name != "sqlite" or lines > DIRECT_MAX_LINES or not _fields_only(extras_spec):
            return None
        connection = engine.connect()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            empty = connection.exec_driver_sql(
                f"SELECT NOT EXISTS (SELECT 1 FROM {Contact.__tablename__} WHERE line_id = ?)", (line_id,)
            ).scalar_one()
            if not empty:
                connection.rollback()
                connection.close()
                return None
            if list_id is not None:
                with Session(bind=connection) as session:
                    get_list(session, line_id, list_id)
            created_at = Contact.__table__.c.created_at.type.dialect_impl(connection.dialect)
            now = created_at.bind_processor(connection.dialect)(utcnow())
            return cls(connection, line_id, list_id, extras_spec is not None, now, _suppressed(connection, line_id))
        except OperationalError:
            # The database is busy with another writer: the two-pass writer waits and retries.
            connection.rollback()
            connection.close()
            return None
        except BaseException:
            connection.rollback()
            connection.close()
            raise

    def add(self, rows: list[StagedRow]) -> None:
        latest: dict[str, StagedRow] = {}
        for row in rows:
            phone = row[1]
            earlier = latest.get(phone)
            if earlier is not None:
                self.superseded_lines.append(earlier[0])
            elif phone in self.written:
                self.superseded_lines.append(self.written[phone].line)
            latest[phone] = row
        new, again = [], []
        for phone, row in latest.items():
            self._claim_email(phone, row[4])
            (again if phone in self.written else new).append(row)
        try:
            self._insert(new)
            self._update(again)
        except IntegrityError:
            raise DirectWriteRefused from None

    def _claim_email(self, phone: str, email: str | None) -> None:
        """The two-pass writer decides a shared address with the whole file in view: refuse."""
        previous = self.written.get(phone)
        if previous is not None and previous.email and previous.email != email:
            self.email_owner.pop(previous.email, None)
        if email:
            owner = self.email_owner.setdefault(email, phone)
            if owner != phone:
                raise DirectWriteRefused

    def _insert(self, rows: list[StagedRow]) -> None:
        if not rows:
            return
        cursor = self.connection.connection.driver_connection.cursor()
        opted_in = (False, None, None, None)
        try:
            before = self._last_id(cursor)
            cursor.executemany(
                _INSERT_CONTACT,
                [
                    (
                        self.line_id,
                        full_name,
                        name_key,
                        phone,
                        email,
                        search_text,
                        *self.suppressed.get(phone, opted_in),
                        _NOT_SENT,
                        self.now,
                        self.now,
                    )
                    for _line, phone, full_name, name_key, email, search_text, _extras, _fields in rows
                ],
            )
            # SQLite gives each new row the table's largest id plus one, and this transaction
            # holds the write lock: the batch's ids follow on from `before`, in order.
            if self._last_id(cursor) != before + len(rows):
                raise DirectWriteRefused
            for contact_id, row in enumerate(rows, start=before + 1):
                self.written[row[1]] = _Written(contact_id, row[0], row[4])
            self._write_extras(cursor, rows)
        finally:
            cursor.close()

    def _update(self, rows: list[StagedRow]) -> None:
        if not rows:
            return
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            updates = []
            for line, phone, full_name, name_key, email, search_text, _extras, _fields in rows:
                written = self.written[phone]
                written.line, written.email = line, email
                updates.append((full_name, name_key, email, search_text, self.now, written.contact_id))
            cursor.executemany(_UPDATE_CONTACT, updates)
            if self.with_fields:
                # The superseded row's values go with it: the contact gets the later row's only.
                cursor.executemany(_DELETE_FIELD_VALUES, [(self.written[row[1]].contact_id,) for row in rows])
            self._write_extras(cursor, rows, members=False)
        finally:
            cursor.close()

    def _write_extras(self, cursor, rows: list[StagedRow], members: bool = True) -> None:
        if self.list_id is not None and members:
            cursor.executemany(
                _INSERT_MEMBER, [(self.list_id, self.written[row[1]].contact_id, self.now) for row in rows]
            )
        if self.with_fields:
            values = [
                (self.written[row[1]].contact_id, int(field_id), value, key)
                for row in rows
                if row[7] is not None
                for field_id, (value, key) in json.loads(row[7]).items()
            ]
            cursor.executemany(_INSERT_FIELD_VALUE, values)

    def _last_id(self, cursor) -> int:
        return cursor.execute(f"SELECT coalesce(max(id), 0) FROM {Contact.__tablename__}").fetchone()[0]

    def reset(self) -> None:
        """Forget every row added (checking starts again from the top)."""
        self.connection.rollback()
        self.connection.exec_driver_sql("BEGIN IMMEDIATE")
        self.written.clear()
        self.email_owner.clear()
        self.superseded_lines.clear()

    def commit(self) -> WriteResult:
        self.connection.commit()
        merged_lines = sorted(self.superseded_lines)[:MAX_REPORTED_MERGES]
        return WriteResult(
            created=len(self.written),
            merged=len(self.superseded_lines),
            merged_lines=merged_lines,
            added_to_list=len(self.written) if self.list_id is not None else 0,
            extras=ExtrasWritten(lists_created=[]) if self.with_fields else None,
        )

    def close(self) -> None:
        try:
            self.connection.rollback()
        finally:
            self.connection.close()


def _fields_only(spec: ExtrasSpec | None) -> bool:
    return spec is None or all(target.startswith(FIELD_PREFIX) for _index, _name, target in spec.columns)


def _suppressed(connection: Connection, line_id: int) -> dict[str, tuple]:
    """Numbers the line remembers as opted out (the last opt-out or opt-in event says), with the
    opt-out's columns as stored: they come in opted out (consent.suppression_for)."""
    events = connection.exec_driver_sql(
        f"SELECT phone, kind, created_at, source, actor FROM {ConsentEvent.__tablename__} "
        "WHERE line_id = ? AND kind IN (?, ?) ORDER BY id",
        (line_id, consent.EventKind.OPTED_OUT.value, consent.EventKind.OPTED_IN.value),
    ).all()
    last = {phone: (kind, at, source, actor) for phone, kind, at, source, actor in events}
    return {
        phone: (True, at, source, actor)
        for phone, (kind, at, source, actor) in last.items()
        if kind == consent.EventKind.OPTED_OUT
    }
