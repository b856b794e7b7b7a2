"""The bad-rows file: the rows an import could not take, as they were read, plus an Error column."""

import csv
import io
from typing import IO

from contacts_app.domain.csv_reader import COLUMNS, Problem, display, neutralize_cell


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
