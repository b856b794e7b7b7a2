"""CSV import: check the whole file, then write it in one transaction.

`run_import` is the one entry point; the UI and the CLI both call it.

Pass 1 reads the file as a stream, checks every row (spread over the machine's cores for big
files) and loads the clean rows into a temporary staging table meanwhile, which only the
importing connection sees. A file with problems stops there, having written nothing. Pass 2
opens one transaction and merges the staged rows with set-based SQL: duplicates in the
file collapse to the last row, known phones update name and e-mail, new phones are inserted,
and everything joins the selected list. Nobody's opt-out status is touched.
"""

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from contacts_app.domain.bad_rows import bad_rows_csv, write_bad_rows_csv
from contacts_app.domain.column_mapping import ColumnMapping, propose_mapping
from contacts_app.domain.contacts import region_of_line
from contacts_app.domain.csv_reader import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    Problem,
    ProblemCode,
    UnreadableCsv,
    display,
    file_too_large_problem,
    looks_like_header,
)
from contacts_app.domain.custom_fields import line_fields
from contacts_app.domain.import_check import MAX_KEPT_PROBLEMS, check_file
from contacts_app.domain.import_extras import ExtrasSpec
from contacts_app.domain.import_progress import ProgressCallback, ProgressTracker
from contacts_app.domain.import_sources import file_format, read_rows
from contacts_app.domain.import_writer import EmailsTaken, EmailTaken, StagedRow, StagingTable, write_import
from contacts_app.domain.lists import ListNotFound, get_list

__all__ = [
    "MAX_IMPORT_BYTES",
    "ImportOptions",
    "ImportRejected",
    "ImportReport",
    "ListNotFound",
    "Problem",
    "ProblemCode",
    "ProgressCallback",
    "bad_rows_csv",
    "import_text",
    "run_import",
    "suggests_skip_first_line",
    "write_bad_rows_csv",
]


@dataclass(frozen=True)
class ImportOptions:
    skip_first_line: bool = False
    list_id: int | None = None
    skip_invalid: bool = False
    # What each column holds, made from the header line (which is then not imported); None
    # reads columns by position: Full Name, Phone, Email.
    mapping: ColumnMapping | None = None
    # Check the whole file and report, writing nothing.
    dry_run: bool = False
    # Who imports (recorded with the opt-outs and notes a mapped file brings).
    actor: str | None = None


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
    # The file's encoding as a person knows it ("UTF-8", "Windows-1252"); "" for a workbook.
    encoding: str = ""
    # What reading decided on the user's behalf (of a card's several numbers, which was taken).
    notes: list[str] = field(default_factory=list)
    # Rows a dry run found ready to import.
    ready: int = 0
    dry_run: bool = False
    # What a mapping's further columns did.
    opted_out: int = 0
    tagged: int = 0
    added_to_lists: int = 0
    lists_created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.dry_run:
            text = f"{self.ready:,} rows ready to import, nothing written"
            if self.skipped:
                text += f"; {self.skipped:,} invalid rows would be skipped"
            return text + "." + self._read_as()
        parts = [f"{self.created:,} created", f"{self.updated:,} updated", f"{self.unchanged:,} unchanged"]
        if self.merged:
            parts.append(f"{self.merged:,} merged (same phone twice in the file)")
        parts.append(f"{self.added_to_list:,} added to list")
        if self.opted_out:
            parts.append(f"{self.opted_out:,} opted out")
        if self.tagged:
            parts.append(f"{self.tagged:,} tags added")
        if self.added_to_lists:
            parts.append(f"{self.added_to_lists:,} added to lists named in the file")
        if self.lists_created:
            parts.append("lists created: " + ", ".join(self.lists_created))
        if self.skipped:
            parts.append(f"{self.skipped:,} invalid rows skipped")
        return ", ".join(parts) + "." + self._read_as() + "".join(" " + note for note in self.notes)

    def _read_as(self) -> str:
        return f" Read as {self.encoding}." if self.encoding and self.encoding != "UTF-8" else ""


def _email_taken_problem(row: EmailTaken) -> Problem:
    return Problem(
        row.line, "Email", row.email, row.reason, (row.full_name, row.phone, row.email), code=ProblemCode.EMAIL_TAKEN
    )


@dataclass
class ImportRejected(Exception):
    """The file was not imported at all; `problems` says where and why."""

    problems: list[Problem]
    problem_count: int
    rows_read: int = 0

    def __str__(self) -> str:
        if self.problem_count == 1:
            return f"The file was not imported: {self.problems[0]}"
        return f"The file was not imported: {self.problem_count:,} problems were found. Nothing was written."


def suggests_skip_first_line(path: str | Path) -> bool:
    """True when the file's first row looks like a header (to suggest ticking "Skip First Line")."""
    return file_header(path) is not None


def file_header(path: str | Path) -> list[str] | None:
    """The file's first row when it looks like column names (a mapping is then proposed from it)."""
    if os.path.getsize(path) > MAX_IMPORT_BYTES:
        return None
    try:
        fmt = file_format(path)
        for _line, cells in read_rows(path, fmt):
            return cells if looks_like_header(cells) else None
    except UnreadableCsv:
        return None
    return None


def first_rows(path: str | Path, count: int = 4) -> list[list[str]]:
    """The file's first rows as read (the header and a few values, for the mapping step)."""
    rows: list[list[str]] = []
    try:
        fmt = file_format(path)
        for _line, cells in read_rows(path, fmt):
            rows.append([display(cell) for cell in cells])
            if len(rows) >= count:
                break
    except UnreadableCsv:
        pass
    return rows


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

    `progress(done, total)` counts rows (checking and saving each make up half of `total`). It is
    called at most every PROGRESS_INTERVAL_SECONDS as work advances, at least every
    PROGRESS_HEARTBEAT_SECONDS (repeating the last figures, from a helper thread, while one long
    statement runs), and once at the end with done == total. Keep it quick and thread-safe.
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
        mapping = options.mapping or (_header_mapping(session, path, line_id) if options.skip_first_line else None)
        extras_spec = _extras_spec(session, line_id, mapping)
    try:
        fmt = file_format(path)
    except UnreadableCsv as unreadable:
        raise ImportRejected([unreadable.problem()], 1) from None
    tracker = ProgressTracker(progress, max(fmt.line_count, 1))
    finished = False
    staging = _DryRun() if options.dry_run else StagingTable(engine)
    try:
        checked = check_file(
            path,
            fmt,
            region,
            options.skip_first_line,
            options.skip_invalid,
            staging,
            tracker.checked,
            mapping,
            extras_spec,
        )
        if checked.fatal or (checked.problem_count and not options.skip_invalid) or not checked.clean_rows:
            if not checked.problem_count:
                reason = "The file has no contacts" + (" after its first line." if options.skip_first_line else ".")
                checked.problems.append(Problem(None, None, "", reason, fatal=True, code=ProblemCode.NO_ROWS))
                checked.problem_count = 1
            raise ImportRejected(checked.problems, checked.problem_count, checked.rows_read)
        if options.dry_run:
            finished = True
            return ImportReport(
                skipped=checked.problem_rows,
                problems=checked.problems,
                problem_count=checked.problem_count,
                rows_read=checked.rows_read,
                seconds=time.monotonic() - started,
                encoding=fmt.encoding_label,
                notes=checked.notes,
                ready=checked.clean_rows,
                dry_run=True,
            )
        tracker.start_saving(checked.rows_read)
        try:
            written = write_import(
                staging,
                line_id,
                options.list_id,
                (checked.first_line, checked.last_line),
                tracker.saving,
                skip_taken_emails=options.skip_invalid,
                actor=options.actor,
                extras_fields=None if extras_spec is None else extras_spec.field_ids,
            )
        except EmailsTaken as taken:
            problems = [_email_taken_problem(row) for row in taken.rows]
            raise ImportRejected(problems[:MAX_KEPT_PROBLEMS], len(problems), checked.rows_read) from None
        for row in written.emails_taken:
            checked.add_problems([_email_taken_problem(row)])
        finished = True
    finally:
        tracker.stop(finished)
        staging.close()
    extras = written.extras
    return ImportReport(
        opted_out=extras.opted_out if extras else 0,
        tagged=extras.tagged if extras else 0,
        added_to_lists=extras.added_to_lists if extras else 0,
        lists_created=(extras.lists_created or []) if extras else [],
        created=written.created,
        updated=written.updated,
        unchanged=written.unchanged,
        merged=written.merged,
        added_to_list=written.added_to_list,
        skipped=checked.problem_rows,
        problems=checked.problems,
        problem_count=checked.problem_count,
        merged_lines=written.merged_lines,
        rows_read=checked.rows_read,
        seconds=time.monotonic() - started,
        encoding=fmt.encoding_label,
        notes=checked.notes,
    )


def _header_mapping(session: Session, path: str | Path, line_id: int) -> ColumnMapping | None:
    """A first line naming more columns than Full Name, Phone, Email (this app's own export, a
    CRM's) is read by its names, as the mapping step would propose, rather than refused."""
    header = file_header(path)
    if header is None or len(header) <= len(COLUMNS):
        return None
    proposal = propose_mapping(header, [field.name for field in line_fields(session, line_id)])
    return None if proposal.problems() else proposal


def _extras_spec(session: Session, line_id: int, mapping: ColumnMapping | None) -> ExtrasSpec | None:
    """The mapping's further columns, checked against the account's custom fields."""
    if mapping is None:
        return None
    fields = line_fields(session, line_id)
    known = {field.name.lower() for field in fields}
    missing = [name for name in mapping.field_names() if name.lower() not in known]
    if missing:
        reason = (
            f"The mapping fills a custom field “{missing[0]}” that this account does not have. "
            "Add it on the Custom fields page, or choose “Don't import” for that column."
        )
        raise ImportRejected([Problem(None, None, missing[0], reason, fatal=True, code=ProblemCode.COLUMNS)], 1)
    return ExtrasSpec.of(mapping, fields)


class _DryRun:
    """Where a dry run's checked rows go: nowhere (it writes nothing)."""

    def add(self, rows: list[StagedRow]) -> None:
        pass

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
