"""CSV import: check the whole file, then write it in one transaction.

`run_import` is the one entry point; the UI and the CLI both call it.

Pass 1 reads the file as a stream, checks every row (phone parsing is most of the work, spread
over the machine's cores for big files) and spools the clean rows to a temporary file. A file
with problems stops there, having written nothing. Pass 2 opens one transaction, bulk-loads the
clean rows into a temporary staging table and merges them with set-based SQL: duplicates in the
file collapse to the last row, known phones update name and e-mail, new phones are inserted,
and everything joins the selected list. Nobody's opt-out status is touched.
"""

import csv
import io
import os
import pickle
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from contacts_app.domain import consent
from contacts_app.domain.contacts import region_of_line, search_text_for
from contacts_app.domain.csv_reader import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    CleanRow,
    CsvFormat,
    Problem,
    ProblemCode,
    UnreadableCsv,
    check_row,
    display,
    file_too_large_problem,
    looks_like_header,
    neutralize_cell,
    read_records,
    sniff_format,
)
from contacts_app.domain.lists import ListNotFound, get_list
from contacts_app.models import ConsentEvent, ConsentStatus, Contact, ListMembership, utcnow

__all__ = [
    "MAX_IMPORT_BYTES",
    "ImportOptions",
    "ImportRejected",
    "ImportReport",
    "Problem",
    "ProblemCode",
    "ProgressCallback",
    "bad_rows_csv",
    "import_text",
    "run_import",
    "suggests_skip_first_line",
    "write_bad_rows_csv",
]

ProgressCallback = Callable[[int, int], None]

# Problems kept for the report and the bad-rows file; all are counted.
MAX_KEPT_PROBLEMS = 10_000
MAX_REPORTED_MERGES = 100
CHECK_BATCH_ROWS = 5_000
# Below this many lines the process pool costs more than it saves.
PARALLEL_MIN_LINES = 30_000
WRITE_CHUNK_LINES = 50_000
PROGRESS_INTERVAL_SECONDS = 0.25
WRITE_ATTEMPTS = 3
# pg_advisory_xact_lock(class, line_id): imports into one line take turns.
IMPORT_LOCK_CLASS = 7301

_CONTACT = Contact.__table__
_MEMBERSHIP = ListMembership.__table__
_CONSENT_EVENT = ConsentEvent.__table__


@dataclass(frozen=True)
class ImportOptions:
    skip_first_line: bool = False
    list_id: int | None = None
    skip_invalid: bool = False


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows whose phone appears again later in the file (the later row won).
    merged: int = 0
    added_to_list: int = 0
    # Invalid rows left out because of ImportOptions.skip_invalid.
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    merged_lines: list[int] = field(default_factory=list)
    rows_read: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{self.created} created", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.merged:
            parts.append(f"{self.merged} merged (same phone twice in the file)")
        parts.append(f"{self.added_to_list} added to list")
        if self.skipped:
            parts.append(f"{self.skipped} invalid rows skipped")
        return ", ".join(parts) + "."


@dataclass
class ImportRejected(Exception):
    """The file was not imported at all; `problems` says where and why."""

    problems: list[Problem]
    problem_count: int
    rows_read: int = 0

    def __str__(self) -> str:
        if self.problem_count == 1:
            return f"The file was not imported: {self.problems[0]}"
        return f"The file was not imported: {self.problem_count} problems were found. Nothing was written."


def suggests_skip_first_line(path: str | Path) -> bool:
    """True when the file's first row looks like a header (to suggest ticking "Skip First Line")."""
    if os.path.getsize(path) > MAX_IMPORT_BYTES:
        return False
    fmt = sniff_format(path)
    try:
        for _line, cells in read_records(path, fmt):
            return looks_like_header(cells)
    except UnreadableCsv:
        return False
    return False


def import_text(
    engine: Engine,
    text: str,
    line_id: int,
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import pasted CSV text (the same rules as a file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", newline="", delete=False) as file:
        file.write(text)
    try:
        return run_import(engine, file.name, line_id, options, progress)
    finally:
        os.unlink(file.name)


def run_import(
    engine: Engine,
    path: str | Path,
    line_id: int,
    options: ImportOptions = ImportOptions(),
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the CSV file at `path` into the line; all of it or, on ImportRejected, none of it.

    `progress(done, total)` is called at least every quarter second while work goes on, and
    once at the end with done == total; both count rows (checking and saving each make up half).
    Raises ImportRejected, or ListNotFound when options.list_id is not a list of the line.
    """
    started = time.monotonic()
    size = os.path.getsize(path)
    if size > MAX_IMPORT_BYTES:
        problem = file_too_large_problem(size)
        raise ImportRejected([problem], 1)
    with Session(engine) as session:
        region = region_of_line(session, line_id)
        if options.list_id is not None:
            get_list(session, line_id, options.list_id)
    fmt = sniff_format(path)
    tracker = _ProgressTracker(progress, max(fmt.line_count, 1))
    with tempfile.TemporaryFile() as spool:
        checked = _check_file(path, fmt, region, options, spool, tracker)
        if checked.fatal or (checked.problem_count and not options.skip_invalid) or not checked.clean_rows:
            if not checked.problem_count:
                reason = "The file has no contacts" + (" after its first line." if options.skip_first_line else ".")
                checked.problems.append(Problem(None, None, "", reason, fatal=True, code=ProblemCode.NO_ROWS))
                checked.problem_count = 1
            raise ImportRejected(checked.problems, checked.problem_count, checked.rows_read)
        tracker.start_saving(checked.rows_read)
        report = _write_with_retries(engine, spool, line_id, options.list_id, checked, tracker)
    report.skipped = checked.problem_rows
    report.problems = checked.problems
    report.problem_count = checked.problem_count
    report.rows_read = checked.rows_read
    report.seconds = time.monotonic() - started
    tracker.finish()
    return report


def write_bad_rows_csv(problems: list[Problem], out: IO[str]) -> None:
    """The rows that have problems, as read, plus an Error column (one row per line of the file)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "Error"])
    by_line: dict[int | None, list[Problem]] = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append(problem)
    for line, line_problems in by_line.items():
        cells = [display(cell) for cell in line_problems[0].row]
        cells += [""] * (len(COLUMNS) - len(cells))
        prefix = f"Line {line}: " if line is not None else ""
        error = prefix + " ".join(problem.reason for problem in line_problems)
        writer.writerow([neutralize_cell(cell) for cell in [*cells, error]])


def bad_rows_csv(problems: list[Problem]) -> str:
    out = io.StringIO()
    write_bad_rows_csv(problems, out)
    return out.getvalue()


# --- pass 1: check -------------------------------------------------------------------------


@dataclass
class _CheckResult:
    rows_read: int = 0
    clean_rows: int = 0
    problem_rows: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    first_line: int = 0
    last_line: int = 0
    # The first row, when it looks like column names and Skip First Line is off.
    header_line: int | None = None

    def add_problems(self, problems: list[Problem]) -> None:
        self.problem_rows += 1
        self.problem_count += len(problems)
        room = MAX_KEPT_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])


def _header_problem(problem: Problem) -> Problem:
    return Problem(
        problem.line,
        None,
        display(",".join(problem.row))[:200],
        "This looks like a header row (column names), not a contact. Tick “Skip First Line” to leave it out.",
        problem.row,
        code=ProblemCode.HEADER,
    )


# One clean row as staged: (line, phone, full_name, name_key, email, search_text).
_StagedRow = tuple[int, str, str, str, str | None, str]


def check_batch(records: list[tuple[int, list[str]]], region: str) -> tuple[list[_StagedRow], list[list[Problem]]]:
    """Check rows; runs in worker processes for big files, so it takes and returns plain data."""
    clean: list[_StagedRow] = []
    problems: list[list[Problem]] = []
    for line, cells in records:
        result = check_row(line, cells, region)
        if isinstance(result, CleanRow):
            clean.append(
                (
                    line,
                    result.phone,
                    result.full_name,
                    result.full_name.lower(),
                    result.email,
                    search_text_for(result.full_name, result.phone, result.email),
                )
            )
        else:
            problems.append(result)
    return clean, problems


def _batches(path: str | Path, fmt: CsvFormat, skip_first_line: bool, result: _CheckResult):
    batch: list[tuple[int, list[str]]] = []
    first = True
    for line, cells in read_records(path, fmt):
        if first:
            first = False
            if skip_first_line:
                continue
            if looks_like_header(cells):
                result.header_line = line
        batch.append((line, cells))
        if len(batch) >= CHECK_BATCH_ROWS:
            result.rows_read += len(batch)
            yield batch
            batch = []
    if batch:
        result.rows_read += len(batch)
        yield batch


def _check_file(
    path: str | Path,
    fmt: CsvFormat,
    region: str,
    options: ImportOptions,
    spool: IO[bytes],
    tracker: "_ProgressTracker",
) -> _CheckResult:
    result = _CheckResult()
    batches = _batches(path, fmt, options.skip_first_line, result)
    try:
        if fmt.line_count >= PARALLEL_MIN_LINES and (pool := _checking_pool()) is not None:
            outcomes = _checked_in_pool(pool, batches, region)
        else:
            outcomes = (check_batch(batch, region) for batch in batches)
        for clean, problems in outcomes:
            for row_problems in problems:
                if row_problems[0].line == result.header_line:
                    row_problems = [_header_problem(row_problems[0])]
                result.add_problems(row_problems)
            if clean:
                if not result.first_line:
                    result.first_line = clean[0][0]
                result.last_line = clean[-1][0]
                result.clean_rows += len(clean)
                # Once the file is sure to be rejected, the clean rows are not needed.
                if options.skip_invalid or not result.problem_count:
                    pickle.dump(clean, spool, protocol=pickle.HIGHEST_PROTOCOL)
            tracker.checked(result.rows_read)
    except UnreadableCsv as exc:
        result.add_problems([exc.problem()])
        result.fatal = True
    spool.seek(0)
    return result


def _checked_in_pool(pool: Executor, batches: Iterator, region: str):
    """Results in file order, with a bounded number of batches in flight (memory stays flat)."""
    pending = []
    in_flight = 2 * (os.cpu_count() or 1) + 1
    for batch in batches:
        pending.append(pool.submit(check_batch, batch, region))
        if len(pending) >= in_flight:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()


_pool: ProcessPoolExecutor | None = None


def _checking_pool() -> ProcessPoolExecutor | None:
    """A process pool kept for the life of the process (starting one costs ~0.2 s)."""
    global _pool
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2:
        return None
    if _pool is None:
        import multiprocessing

        # forkserver: forking a server that runs threads (Reflex does) can deadlock the child.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["contacts_app.domain.importer"])
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return _pool


def _spooled_chunks(spool: IO[bytes]) -> Iterator[list[_StagedRow]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


# --- pass 2: write -------------------------------------------------------------------------


def _write_with_retries(
    engine: Engine,
    spool: IO[bytes],
    line_id: int,
    list_id: int | None,
    checked: _CheckResult,
    tracker: "_ProgressTracker",
) -> ImportReport:
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with engine.connect() as connection:
                try:
                    report = _write(connection, spool, line_id, list_id, checked, tracker)
                    connection.commit()
                    return report
                except BaseException:
                    connection.rollback()
                    raise
        # A writer that held SQLite past its timeout, or a concurrent edit racing a row: the
        # transaction rolled back whole, so doing it again is safe.
        except (OperationalError, IntegrityError):
            if attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def _staging_table(dialect: str) -> Table:
    kwargs = {"postgresql_on_commit": "DROP"} if dialect == "postgresql" else {}
    return Table(
        f"import_staging_{uuid.uuid4().hex[:12]}",
        MetaData(),
        Column("line", Integer, primary_key=True, autoincrement=False),
        Column("phone", String, nullable=False),
        Column("full_name", String, nullable=False),
        Column("name_key", String, nullable=False),
        Column("email", String),
        Column("search_text", String, nullable=False),
        prefixes=["TEMPORARY"],
        **kwargs,
    )


def _write(
    connection: Connection,
    spool: IO[bytes],
    line_id: int,
    list_id: int | None,
    checked: _CheckResult,
    tracker: "_ProgressTracker",
) -> ImportReport:
    dialect = connection.dialect.name
    # Counts come from rowcount, which SQLAlchemy otherwise drops for INSERT ... SELECT.
    connection.execution_options(preserve_rowcount=True)
    if dialect == "sqlite":
        # Take the write lock now: a deferred transaction that upgrades later can fail outright.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_CLASS, line_id)))
        connection.exec_driver_sql("SET LOCAL gin_pending_list_limit = 262144")
    if list_id is not None:
        with Session(bind=connection) as session:
            get_list(session, line_id, list_id)
    staging = _staging_table(dialect)
    staging.create(connection)
    _load_staging(connection, staging, spool, dialect, tracker)
    tracker.saving(0.3)

    report = ImportReport()
    later = staging.alias("later")
    superseded = exists().where(later.c.phone == staging.c.phone, later.c.line > staging.c.line)
    connection.exec_driver_sql(f"CREATE INDEX ix_{staging.name}_phone ON {staging.name} (phone, line)")
    report.merged_lines = list(
        connection.scalars(select(staging.c.line).where(superseded).order_by(staging.c.line).limit(MAX_REPORTED_MERGES))
    )
    report.merged = connection.execute(staging.delete().where(superseded)).rowcount
    tracker.saving(0.4)

    now = utcnow()
    lo = checked.first_line
    while lo <= checked.last_line:
        hi = lo + WRITE_CHUNK_LINES - 1
        _merge_chunk(connection, staging, staging.c.line.between(lo, hi), line_id, list_id, now, dialect, report)
        span = checked.last_line - checked.first_line + 1
        tracker.saving(0.4 + 0.6 * min(1.0, (hi - checked.first_line + 1) / span))
        lo = hi + 1
    if dialect != "postgresql":
        staging.drop(connection)
    return report


def _load_staging(connection: Connection, staging: Table, spool: IO[bytes], dialect: str, tracker) -> None:
    loaded = 0
    if dialect == "postgresql":
        columns = ", ".join(column.name for column in staging.columns)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {staging.name} ({columns}) FROM STDIN") as copy:
                for chunk in _spooled_chunks(spool):
                    for row in chunk:
                        copy.write_row(row)
                    loaded += len(chunk)
                    tracker.saving(0.3 * loaded / max(tracker.rows, 1))
        return
    placeholders = ", ".join("?" for _ in staging.columns)
    sql = f"INSERT INTO {staging.name} VALUES ({placeholders})"
    for chunk in _spooled_chunks(spool):
        connection.exec_driver_sql(sql, chunk)
        loaded += len(chunk)
        tracker.saving(0.3 * loaded / max(tracker.rows, 1))


def _upsert(dialect: str):
    return postgresql_insert(_CONTACT) if dialect == "postgresql" else sqlite_insert(_CONTACT)


def _merge_chunk(connection, staging, in_chunk, line_id, list_id, now, dialect, report: ImportReport) -> None:
    contact = _CONTACT
    same_phone = and_(contact.c.line_id == line_id, contact.c.phone == staging.c.phone)
    known = select(func.count()).select_from(staging.join(contact, same_phone)).where(in_chunk)
    matched = connection.execute(known).scalar_one()
    changed = connection.execute(
        update(contact)
        .where(same_phone, in_chunk)
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

    is_new = ~exists().where(same_phone)
    suppressed = _suppressed_new_phones(connection, staging, in_chunk, is_new, line_id)
    columns = [
        "line_id",
        "full_name",
        "name_key",
        "phone",
        "email",
        "search_text",
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
        literal(False),
        literal(ConsentStatus.NOT_SENT),
        literal(now, contact.c.created_at.type),
        literal(now, contact.c.updated_at.type),
    ).where(in_chunk, is_new)
    insert = _upsert(dialect).from_select(columns, rows)
    # A contact added by hand since the NOT EXISTS check becomes an update, never a duplicate.
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


class _ProgressTracker:
    """Throttled progress: checking is the first half of `rows`, saving the second."""

    def __init__(self, callback: ProgressCallback | None, rows: int) -> None:
        self.callback = callback
        self.rows = rows
        self.last_call = 0.0
        self.done = 0

    def _report(self, done: int, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last_call >= PROGRESS_INTERVAL_SECONDS:
            self.last_call = now
            self.done = max(self.done, min(done, self.rows))
            self.callback(self.done, self.rows)

    def checked(self, rows_read: int) -> None:
        self._report(rows_read // 2)

    def start_saving(self, rows: int) -> None:
        self.rows = max(rows, 1)
        self.done = 0
        self._report(self.rows // 2, force=True)

    def saving(self, fraction: float) -> None:
        self._report(self.rows // 2 + int(self.rows / 2 * fraction))

    def finish(self) -> None:
        self.done = self.rows
        if self.callback is not None:
            self.callback(self.rows, self.rows)


__all__ += ["ListNotFound", "check_batch"]
