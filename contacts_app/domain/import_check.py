"""Pass 1 of an import: every row of the file checked, the clean ones handed on, problems kept.

`check_batch` is the work one process does on a batch of rows; big files spread their batches
over the check pool's worker processes and take the results back in file order.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Protocol

from contacts_app.domain.check_pool import checking_pool, discard_pool, map_in_order
from contacts_app.domain.column_mapping import ColumnMapping
from contacts_app.domain.contacts import search_text_for
from contacts_app.domain.csv_reader import (
    CleanRow,
    CsvFormat,
    Problem,
    ProblemCode,
    UnreadableCsv,
    check_row,
    display,
    looks_like_header,
)
from contacts_app.domain.import_extras import ExtrasSpec, check_extras_batch
from contacts_app.domain.import_sources import read_rows
from contacts_app.domain.import_writer import StagedRow

# Problems kept for the report and the bad-rows file; all are counted.
MAX_KEPT_PROBLEMS = 10_000
CHECK_BATCH_ROWS = 5_000
# Below this many lines the process pool costs more than it saves.
PARALLEL_MIN_LINES = 30_000


@dataclass
class CheckResult:
    """What pass 1 found: counts, the first MAX_KEPT_PROBLEMS problems, the span of clean lines."""

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
    # What reading decided on the user's behalf (which of a card's numbers was taken).
    notes: list[str] = field(default_factory=list)

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


# A row as read: its line and its cells.
Record = tuple[int, list[str]]


def check_batch(
    records: list[Record],
    region: str,
    mapping: ColumnMapping | None = None,
    extras_spec: ExtrasSpec | None = None,
) -> tuple[list[StagedRow], list[list[Problem]]]:
    """Check rows as read (each turned into [name, phone, email] and extra cells by the mapping,
    when there is one); runs in worker processes for big files, so it takes and returns plain data."""
    clean: list[StagedRow] = []
    problems: list[list[Problem]] = []
    rows: Iterable[Sequence[str]] = map(itemgetter(1), records)
    extras_of = values_of = repeat(None)
    extra_problems: dict[int, list[Problem]] = {}
    if mapping is not None:
        rows = mapping.apply_all([raw for _line, raw in records])
        if extras_spec is not None:  # the mapping's further columns
            extras_of, values_of, extra_problems = check_extras_batch(records, rows, extras_spec)
    for (line, _raw), cells, extras, values in zip(records, rows, extras_of, values_of):  # noqa: B905 - repeat()
        result = check_row(line, cells, region)
        if extra_problems and line in extra_problems:
            result = (result if isinstance(result, list) else []) + extra_problems[line]
        if isinstance(result, CleanRow):
            clean.append(
                (
                    line,
                    result.phone,
                    result.full_name,
                    result.full_name.lower(),
                    result.email,
                    search_text_for(result.full_name, result.phone, result.email),
                    extras,
                    values,
                )
            )
        else:
            problems.append(result)
    return clean, problems


def _batches(
    path: str | Path,
    fmt: CsvFormat,
    skip_first_line: bool,
    mapping: ColumnMapping | None,
    result: CheckResult,
) -> Iterator[list[Record]]:
    batch: list[Record] = []
    first = True
    for line, cells in read_rows(path, fmt, result.notes):
        if first:
            first = False
            # A mapping was made from the header line, which is not a contact.
            if skip_first_line or mapping is not None:
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


class CleanRowSink(Protocol):
    """Where checked rows go as they come (the import's staging table; nowhere on a dry run)."""

    def add(self, rows: list[StagedRow]) -> None: ...

    def reset(self) -> None:
        """Forget every row added: checking starts again from the top."""


def check_file(
    path: str | Path,
    fmt: CsvFormat,
    region: str,
    skip_first_line: bool,
    skip_invalid: bool,
    sink: CleanRowSink,
    on_checked: Callable[[int], None],
    mapping: ColumnMapping | None = None,
    extras_spec: ExtrasSpec | None = None,
) -> CheckResult:
    """Check every row of the file, handing clean rows to `sink` in file order while they may
    still be imported (all of them with `skip_invalid`, else until the first problem).
    `on_checked(rows_read)` follows the progress."""
    if fmt.line_count >= PARALLEL_MIN_LINES and (pool := checking_pool()) is not None:
        try:
            return _check_file_with(
                pool, path, fmt, region, skip_first_line, skip_invalid, sink, on_checked, mapping, extras_spec
            )
        except BrokenProcessPool:
            # A worker died (killed for memory, say): start afresh in this process.
            discard_pool()
            sink.reset()
    return _check_file_with(
        None, path, fmt, region, skip_first_line, skip_invalid, sink, on_checked, mapping, extras_spec
    )


def _check_file_with(
    pool: ProcessPoolExecutor | None,
    path: str | Path,
    fmt: CsvFormat,
    region: str,
    skip_first_line: bool,
    skip_invalid: bool,
    sink: CleanRowSink,
    on_checked: Callable[[int], None],
    mapping: ColumnMapping | None,
    extras_spec: ExtrasSpec | None,
) -> CheckResult:
    result = CheckResult()
    batches = _batches(path, fmt, skip_first_line, mapping, result)
    try:
        # The mapping is applied where the rows are checked: in the pool's processes, not here.
        if pool is not None:
            outcomes = map_in_order(pool, check_batch, batches, region, mapping, extras_spec)
        else:
            outcomes = (check_batch(batch, region, mapping, extras_spec) for batch in batches)
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
                if skip_invalid or not result.problem_count:
                    sink.add(clean)
            on_checked(result.rows_read)
    except UnreadableCsv as exc:
        result.add_problems([exc.problem()])
        result.fatal = True
    return result
