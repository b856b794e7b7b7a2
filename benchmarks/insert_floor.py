"""The floor under an import: inserting already-checked rows into `contact`, and nothing else.

    .venv/bin/python benchmarks/insert_floor.py               # SQLite, 100,000 rows
    .venv/bin/python benchmarks/insert_floor.py --postgres    # ... and PostgreSQL (fresh schemas)

For each database, loads --rows ready rows into a temporary table and times one
INSERT ... SELECT of them into a freshly migrated `contact` table (median of --repeat runs): with
every index, then without each secondary index in turn, then without any (the unique phone and the
primary key stay). What an import costs beyond these figures is reading, checking and the checks
that keep it safe (see benchmarks/import_bench.py).

    .venv/bin/python benchmarks/insert_floor.py --ceiling     # instead: the fastest import this table allows

--ceiling (SQLite) times instead, against import_bench's bare single-core pipeline in the same run, an
import with every safety check left out: the file read and checked by the production code on both
cores, each checked batch written straight into `contact` in one transaction as it comes (no
staging table, no second pass, no duplicate, e-mail or opt-out checks). No import of that shape can beat it.

    .venv/bin/python benchmarks/insert_floor.py --parallel  # ... the same for another shape

--parallel (SQLite) times the ceiling of another shape, the one a faster import would need: each of two
processes reads its half of the file's bytes, checks the rows with the production check_batch and
writes them into its own SQLite file; this process then ATTACHes both and moves them into `contact`
with one INSERT ... SELECT (no Python between the rows and the table). Also without safety checks, and
the halves are split at a line break without minding quotes (the sample file has no quoted line breaks).

    .venv/bin/python benchmarks/insert_floor.py --mapped-floor [--postgres]  # the floor under a mapped import

--mapped-floor times, in turns, the production import of the sample file, the production import of
the same rows as a mapped file with 3 custom fields (import_bench.py --mapped), and the least that
keeping those fields adds to the first: after the sample import, its ~275,000 values (ids known,
checked, sorted) written into one table shaped as the index that finds contacts by a value, nothing
else (no checks, no JSON, no per-contact copy, no foreign key), plus what reading and checking the
mapped file's further columns costs over the sample file's (dry runs of each, both cores). No mapped
import that checks its cells and keeps its values findable by the custom-field filter beats that floor.
"""

import argparse
import csv
import io
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.import_bench import (  # noqa: E402
    bare_pipeline,
    fresh_database,
    mapped_field_values,
    timed_import,
    timed_mapped_import,
    write_mapped_file,
    write_sample_file,
)
from contacts_app.db import session_scope  # noqa: E402
from contacts_app.domain.contacts import ensure_default_line  # noqa: E402
from contacts_app.domain.import_check import check_batch, check_file  # noqa: E402
from contacts_app.domain.import_sources import file_format  # noqa: E402
from contacts_app.models import ConsentStatus, utcnow  # noqa: E402

T = TypeVar("T")

# The checked rows, ready to move into `contact`; and the columns they fill there.
READY_TABLE = (
    "ready (line INTEGER PRIMARY KEY, phone TEXT, full_name TEXT, name_key TEXT, email TEXT, search_text TEXT)"
)
CONTACT_COLUMNS = (
    "line_id, full_name, name_key, phone, email, search_text, opted_out, consent_status, created_at, updated_at, notes"
)


def ready_rows(count: int) -> list[tuple]:
    rng = random.Random(1)
    phones = rng.sample(range(2_000_000_000, 9_999_999_999), count)
    rows = []
    for index, phone in enumerate(phones):
        name = f"{rng.choice(['Ann', 'Bob', 'Cy', 'Dee', 'Eve'])}{rng.randint(0, 10**6)} {rng.choice(['Smith', 'Kim'])}"
        email = f"x{index}@example.com" if index % 10 < 7 else None
        rows.append((index + 2, f"+1{phone}", name, name.lower(), email, f"{name.lower()}\n{email or ''}\n1{phone}"))
    return rows


def secondary_indexes(connection, dialect: str) -> list[str]:
    if dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact' AND sql IS NOT NULL"
    else:
        # Not the primary key nor the unique phone: those back constraints (and an import needs them).
        sql = (
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'contact' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    return sorted(row[0] for row in connection.exec_driver_sql(sql))


def timed_insert(kind: str, rows: list[tuple], workdir: Path, drop: list[str]) -> float:
    with fresh_database(kind, workdir) as engine:
        with session_scope(engine) as session:
            line_id = ensure_default_line(session).id
        with engine.connect() as connection:
            for name in drop:
                connection.exec_driver_sql(f"DROP INDEX {name}")
            connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {READY_TABLE}")
            marks = ", ".join(["?" if kind == "sqlite" else "%s"] * 6)
            connection.exec_driver_sql(f"INSERT INTO ready VALUES ({marks})", rows)
            connection.commit()
            false = "0" if kind == "sqlite" else "false"
            started = time.perf_counter()
            connection.exec_driver_sql(
                f"INSERT INTO contact ({CONTACT_COLUMNS}) "
                f"SELECT {line_id}, full_name, name_key, phone, email, search_text, {false}, 'not_sent', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '' FROM ready"
            )
            connection.commit()
            return time.perf_counter() - started


class _StraightIntoContact:
    """check_file's sink for the ceiling: every checked batch inserted into `contact` at once, in
    one transaction that `finish` commits."""

    def __init__(self, engine, line_id: int) -> None:
        self.connection = engine.raw_connection()
        self.connection.driver_connection.isolation_level = None
        self.cursor = self.connection.cursor()
        self.cursor.execute("BEGIN IMMEDIATE")
        # As SQLAlchemy stores them: plain text, so binding takes no adapter per row.
        self.line_id, self.now, self.status = line_id, utcnow().isoformat(sep=" "), str(ConsentStatus.NOT_SENT)

    def add(self, rows: list[tuple]) -> None:
        self.cursor.executemany(
            f"INSERT INTO contact ({CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, '')",
            [
                (self.line_id, name, name_key, phone, email, search, self.status, self.now, self.now)
                for _line, phone, name, name_key, email, search, _extras, _fields in rows
            ],
        )

    def reset(self) -> None:
        raise AssertionError("the ceiling needs the check pool")

    def finish(self) -> None:
        self.cursor.execute("COMMIT")
        self.connection.close()


def unchecked_import(path: Path, workdir: Path) -> float:
    with fresh_database("sqlite", workdir) as engine:
        with session_scope(engine) as session:
            line_id = ensure_default_line(session).id
        started = time.perf_counter()
        sink = _StraightIntoContact(engine, line_id)
        check_file(path, file_format(path), "US", True, False, sink, lambda _rows: None)
        sink.finish()
        return time.perf_counter() - started


def in_turns_with_bare(path: Path, workdir: Path, repeat: int, run: Callable[[], T]) -> tuple[float, list[T]]:
    """The bare pipeline's median seconds, and what `run` returned each time. Taken in turns, so that
    a busy moment of the shared machine weighs on both; `run` once first, to warm its pool."""
    run()
    bare, results = [], []
    for _ in range(repeat):
        bare.append(bare_pipeline(path, workdir))
        results.append(run())
    return statistics.median(bare), results


def ceiling(rows: int, repeat: int, workdir: Path) -> None:
    path = workdir / "ceiling.csv"
    write_sample_file(path, rows)
    # The first run starts the check pool, as a running server has it.
    bare, seconds = in_turns_with_bare(path, workdir, repeat, lambda: unchecked_import(path, workdir))
    fastest = statistics.median(seconds)
    print(
        f"sqlite: {rows:,}-row file: bare single-core pipeline {bare:.2f} s; checked on both cores and written "
        f"straight into contact with no safety checks {fastest:.2f} s = {fastest / bare:.2f}x (issue goal <= 0.70x)"
    )


def _check_part(part: tuple[str, int, int, int, str]) -> int:
    """Check one byte range of the file and write its clean rows into a SQLite file of its own."""
    path, start, end, first_line, out = part
    with open(path, "rb") as file:
        file.seek(start)
        text = file.read(end - start).decode("utf-8")
    records = [(first_line + index, cells) for index, cells in enumerate(csv.reader(io.StringIO(text, newline="")))]
    clean, _problems = check_batch(records, "US")
    connection = sqlite3.connect(out, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute(f"CREATE TABLE {READY_TABLE}")
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO ready VALUES (?, ?, ?, ?, ?, ?)", [row[:6] for row in clean])
    connection.execute("COMMIT")
    connection.close()
    return len(clean)


def parallel_import(pool, path: Path, workdir: Path, parts: int = 2) -> tuple[float, float]:
    """Seconds for the whole import, and for its checking half."""
    with fresh_database("sqlite", workdir) as engine:
        with session_scope(engine) as session:
            line_id = ensure_default_line(session).id
        started = time.perf_counter()
        data = path.read_bytes()
        bounds = [data.index(b"\n") + 1]  # after the header line
        bounds += [data.index(b"\n", bounds[0] + (len(data) - bounds[0]) * k // parts) + 1 for k in range(1, parts)]
        bounds.append(len(data))
        jobs = [
            (str(path), bounds[k], bounds[k + 1], 1 + data.count(b"\n", 0, bounds[k]), str(workdir / f"part{k}.db"))
            for k in range(parts)
        ]
        checking = time.perf_counter()
        pool.map(_check_part, jobs)
        checked = time.perf_counter() - checking
        connection = engine.raw_connection()
        connection.driver_connection.isolation_level = None  # ATTACH cannot run inside a transaction
        try:
            cursor = connection.cursor()
            for k, job in enumerate(jobs):
                cursor.execute(f"ATTACH DATABASE '{job[4]}' AS part{k}")
            cursor.execute("BEGIN IMMEDIATE")
            now = utcnow().isoformat(sep=" ")
            every_part = " UNION ALL ".join(f"SELECT * FROM part{k}.ready" for k in range(parts))
            cursor.execute(
                f"INSERT INTO contact ({CONTACT_COLUMNS}) "
                f"SELECT {line_id}, full_name, name_key, phone, email, search_text, 0, 'not_sent', ?, ?, '' "
                f"FROM ({every_part})",
                (now, now),
            )
            cursor.execute("COMMIT")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for job in jobs:
            os.unlink(job[4])
        return seconds, checked


def parallel_ceiling(rows: int, repeat: int, workdir: Path) -> None:
    path = workdir / "ceiling.csv"
    write_sample_file(path, rows)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        bare, runs = in_turns_with_bare(path, workdir, repeat, lambda: parallel_import(pool, path, workdir))
    fastest = statistics.median(seconds for seconds, _checked in runs)
    checking = [checked for _seconds, checked in runs]
    print(
        f"sqlite: {rows:,}-row file: bare single-core pipeline {bare:.2f} s; read, checked and staged by two "
        f"processes at once ({statistics.median(checking):.2f} s), then one INSERT ... SELECT into contact, no "
        f"safety checks: {fastest:.2f} s = {fastest / bare:.2f}x (issue goal <= 0.70x)"
    )


def _values_index_write(engine) -> tuple[float, int]:
    """After an import: its contacts' values of 3 fields, as the mapped file has them, written into
    one index-shaped table. Seconds, values."""
    rng = random.Random(11)
    with engine.begin() as connection:
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM contact ORDER BY id")]
        values = []
        for contact_id in ids:
            company, visits, member = mapped_field_values(rng)
            if company:
                values.append((1, company.lower(), contact_id))
            values.append((2, str(visits), contact_id))
            values.append((3, member, contact_id))
        columns = "field_id INTEGER, value_key TEXT, contact_id INTEGER"
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TABLE found ({columns}, PRIMARY KEY (field_id, value_key, contact_id)) WITHOUT ROWID"
            )
            connection.exec_driver_sql(f"CREATE TEMPORARY TABLE ready_values ({columns})")
            connection.exec_driver_sql("INSERT INTO ready_values VALUES (?, ?, ?)", values)
        else:
            connection.exec_driver_sql(f"CREATE TABLE found ({columns})")
            connection.exec_driver_sql("CREATE INDEX found_by_value ON found (field_id, value_key, contact_id)")
            connection.exec_driver_sql(f"CREATE TEMPORARY TABLE ready_values ({columns})")
            connection.exec_driver_sql("INSERT INTO ready_values VALUES (%s, %s, %s)", values)
            connection.exec_driver_sql("ANALYZE ready_values")
    with engine.begin() as connection:
        started = time.perf_counter()
        connection.exec_driver_sql("INSERT INTO found SELECT * FROM ready_values ORDER BY contact_id")
        return time.perf_counter() - started, len(values)


def mapped_floor(kind: str, rows: int, repeat: int, workdir: Path) -> None:
    sample, mapped = workdir / "floor_sample.csv", workdir / "floor_mapped.csv"
    if not sample.exists():
        write_sample_file(sample, rows)
        write_mapped_file(sample, mapped)
    imports, writes, mapped_imports, checks, mapped_checks = [], [], [], [], []
    for _ in range(repeat):
        with fresh_database(kind, workdir) as engine:
            seconds, _report, _calls = timed_import(engine, sample)
            written, count = _values_index_write(engine)
        with fresh_database(kind, workdir) as engine:
            mapped_imports.append(timed_mapped_import(engine, mapped)[0])
        # Dry runs: the file read and checked (on every core, as an import does), nothing written.
        with fresh_database(kind, workdir) as engine:
            checks.append(timed_import(engine, sample, dry_run=True)[0])
        with fresh_database(kind, workdir) as engine:
            mapped_checks.append(timed_mapped_import(engine, mapped, dry_run=True)[0])
        imports.append(seconds)
        writes.append(written)
    base, write, whole, check, mapped_check = (
        statistics.median(times) for times in (imports, writes, mapped_imports, checks, mapped_checks)
    )
    floor = base + write + max(mapped_check - check, 0)
    print(
        f"{kind}: {rows:,} rows, median of {repeat}: sample-format import {base:.2f} s; its {count:,} values "
        f"written into the value index alone {write:.2f} s ({(base + write) / base:.2f}x); the mapped file read "
        f"and checked {mapped_check:.2f} s against {check:.2f} s (dry runs); floor {floor / base:.2f}x; "
        f"the mapped import {whole:.2f} s = {whole / base:.2f}x (issue goal <= 1.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--ceiling", action="store_true", help="instead, time an import with no safety checks")
    parser.add_argument("--parallel", action="store_true", help="instead, the ceiling of a parallel-staging import")
    parser.add_argument("--mapped-floor", action="store_true", help="instead, the floor under a mapped import")
    args = parser.parse_args()
    if args.mapped_floor:
        with tempfile.TemporaryDirectory() as directory:
            for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
                mapped_floor(kind, args.rows, args.repeat, Path(directory))
        return
    if args.parallel:
        with tempfile.TemporaryDirectory() as directory:
            parallel_ceiling(args.rows, args.repeat, Path(directory))
        return
    if args.ceiling:
        with tempfile.TemporaryDirectory() as directory:
            ceiling(args.rows, args.repeat, Path(directory))
        return
    rows = ready_rows(args.rows)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
            with fresh_database(kind, workdir) as engine, engine.connect() as connection:
                indexes = secondary_indexes(connection, kind)

            def median(drop: list[str], kind: str = kind) -> float:
                return statistics.median(timed_insert(kind, rows, workdir, drop) for _ in range(args.repeat))

            every = median([])
            print(f"{kind}: {args.rows:,} ready rows into contact with every index: {every:.2f} s "
                  f"({every / args.rows * 1e6:.1f} µs a row)")  # fmt: skip
            for name in indexes:
                without = median([name])
                print(f"  without {name}: {without:.2f} s (that index: {every - without:+.2f} s)")
            bare = median(indexes)
            print(f"  with no secondary index: {bare:.2f} s")


if __name__ == "__main__":
    main()
