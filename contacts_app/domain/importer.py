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
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.engine import Engine
from sqlmodel import Session

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
from contacts_app.domain.import_writer import StagedRow, write_import
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
    "check_batch",
    "import_text",
    "run_import",
    "suggests_skip_first_line",
    "write_bad_rows_csv",
]

ProgressCallback = Callable[[int, int], None]

# Problems kept for the report and the bad-rows file; all are counted.
MAX_KEPT_PROBLEMS = 10_000
CHECK_BATCH_ROWS = 5_000
# Below this many lines the process pool costs more than it saves.
PARALLEL_MIN_LINES = 30_000
PROGRESS_INTERVAL_SECONDS = 0.25
# The longest the callback goes unheard while an import runs.
PROGRESS_HEARTBEAT_SECONDS = 0.7


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
    fmt = sniff_format(path)
    tracker = _ProgressTracker(progress, max(fmt.line_count, 1))
    finished = False
    try:
        with tempfile.TemporaryFile() as spool:
            checked = _check_file(path, fmt, region, options, spool, tracker)
            if checked.fatal or (checked.problem_count and not options.skip_invalid) or not checked.clean_rows:
                if not checked.problem_count:
                    reason = "The file has no contacts" + (" after its first line." if options.skip_first_line else ".")
                    checked.problems.append(Problem(None, None, "", reason, fatal=True, code=ProblemCode.NO_ROWS))
                    checked.problem_count = 1
                raise ImportRejected(checked.problems, checked.problem_count, checked.rows_read)
            tracker.start_saving(checked.rows_read)
            written = write_import(
                engine,
                lambda: _spooled_chunks(spool),
                line_id,
                options.list_id,
                (checked.first_line, checked.last_line),
                tracker.saving,
            )
        finished = True
    finally:
        tracker.stop(finished)
    return ImportReport(
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
    )


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


def check_batch(records: list[tuple[int, list[str]]], region: str) -> tuple[list[StagedRow], list[list[Problem]]]:
    """Check rows; runs in worker processes for big files, so it takes and returns plain data."""
    clean: list[StagedRow] = []
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
    if fmt.line_count >= PARALLEL_MIN_LINES and (pool := _checking_pool()) is not None:
        try:
            return _check_file_with(pool, path, fmt, region, options, spool, tracker)
        except BrokenProcessPool:
            # A worker died (killed for memory, say): start afresh in this process.
            _discard_pool()
            spool.seek(0)
            spool.truncate()
    return _check_file_with(None, path, fmt, region, options, spool, tracker)


def _check_file_with(
    pool: Executor | None,
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
        if pool is not None:
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


def _discard_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None


def _spooled_chunks(spool: IO[bytes]) -> Iterator[list[StagedRow]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


class _ProgressTracker:
    """Throttled progress: checking is the first half of `rows`, saving the second.

    A single statement (a commit that checkpoints SQLite's log, an index build) can run for
    seconds; a heartbeat thread repeats the last figures meanwhile so the page never looks stuck.
    """

    def __init__(self, callback: ProgressCallback | None, rows: int) -> None:
        self.callback = callback
        self.rows = rows
        self.last_call = 0.0
        self.done = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        if callback is not None:
            threading.Thread(target=self._heartbeat, name="import-progress", daemon=True).start()

    def _heartbeat(self) -> None:
        while not self._stopped.wait(0.2):
            if time.monotonic() - self.last_call >= PROGRESS_HEARTBEAT_SECONDS:
                self._report(self.done, force=True)

    def _report(self, done: int, force: bool = False) -> None:
        if self.callback is None or self._stopped.is_set():
            return
        now = time.monotonic()
        if force or now - self.last_call >= PROGRESS_INTERVAL_SECONDS:
            with self._lock:
                self.last_call = now
                self.done = max(self.done, min(done, self.rows))
                self.callback(self.done, self.rows)

    def checked(self, rows_read: int) -> None:
        self._report(rows_read // 2)

    def start_saving(self, rows: int) -> None:
        with self._lock:
            self.rows = max(rows, 1)
            self.done = 0
        self._report(self.rows // 2, force=True)

    def saving(self, fraction: float) -> None:
        self._report(self.rows // 2 + int(self.rows / 2 * fraction))

    def stop(self, finished: bool) -> None:
        """End the heartbeat; a finished import reports done == total once more."""
        if finished:
            self._report(self.rows, force=True)
        self._stopped.set()
