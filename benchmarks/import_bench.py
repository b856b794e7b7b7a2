"""How fast `run_import` takes a big CSV from file to committed rows, and what it costs.

    .venv/bin/python benchmarks/import_bench.py                      # 100,000 rows, SQLite, 3 runs
    .venv/bin/python benchmarks/import_bench.py --postgres           # ... and PostgreSQL (fresh schema)
    .venv/bin/python benchmarks/import_bench.py --rows 1000000 --repeat 1   # the 1,000,000-row run
    .venv/bin/python benchmarks/import_bench.py --mapped             # ... and the same rows in another
                                                                     # CRM's shape, 3 custom fields (each
                                                                     # run right after a sample-format one)
    .venv/bin/python benchmarks/import_bench.py --postgres --no-sqlite --rows 1000000 --repeat 1 --probe
                                        # ... searching from another process every 0.5 s meanwhile

Prints seconds and rows/s per run (and the median), the share of checking time spent parsing
phones, the progress callback's cadence, and peak memory (this process and the pool workers).
With --probe, another process searches through the domain's search function every
PROBE_INTERVAL_SECONDS while each import runs (as a web worker would for a user), in a line seeded
with PROBE_SEED_ROWS contacts and in the line being imported, and prints p50/p95/max of those
searches during the import and just after it.
"""

import argparse
import contextlib
import csv
import itertools
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.seeding import seed_row  # noqa: E402
from contacts_app.db import make_engine, migrate, session_scope  # noqa: E402
from contacts_app.domain import check_pool, custom_fields, import_check, importer  # noqa: E402
from contacts_app.domain.column_mapping import propose_mapping  # noqa: E402
from contacts_app.domain.contact_filter import ContactFilter  # noqa: E402
from contacts_app.domain.contacts import ensure_default_line, search_contacts  # noqa: E402
from contacts_app.domain.csv_reader import read_records, sniff_format  # noqa: E402
from contacts_app.models import Contact, Line, utcnow  # noqa: E402
from contacts_app.phones import normalize_phone  # noqa: E402

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AREA_CODES = [201, 202, 206, 212, 213, 214, 303, 305, 310, 312, 404, 415, 503, 512, 602, 617, 646, 702, 713, 718,
              801, 808, 817, 818, 904, 917, 919, 949, 971, 972]  # fmt: skip
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "José", "María", "Wei", "Aisha", "Olga", "Liam", "Noah", "Emma", "Zoë", "Mateo"]  # fmt: skip
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodríguez", "Martinez",
        "Nguyen", "O'Brien", "Kim", "Patel", "Müller", "Okafor", "Cohen", "Rossi", "Silva", "Andersson"]  # fmt: skip
SHAPES = ["({a}) {e}-{n}", "{a}-{e}-{n}", "+1 {a} {e} {n}", "{a}{e}{n}", "{a}.{e}.{n}", "1 {a} {e} {n}"]


def write_sample_file(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` valid rows with unique, realistic US numbers in mixed shapes; written as a stream."""
    rng = random.Random(seed)
    seen: set[int] = set()
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("Full Name,Phone,Email\r\n")
        written = 0
        while written < rows:
            area, exchange, number = rng.choice(AREA_CODES), rng.randint(200, 999), rng.randint(0, 9999)
            key = (area * 1000 + exchange) * 10000 + number
            if key in seen or exchange % 100 == 11 or exchange == 555:
                continue
            phone = rng.choice(SHAPES).format(a=area, e=exchange, n=f"{number:04d}")
            try:
                normalize_phone(phone)
            except ValueError:
                continue
            seen.add(key)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f'"{last}, {first}"' if rng.random() < 0.1 else f"{first} {last}"
            local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
            email = f"{local.replace(chr(39), '')}{written}@example.com".lower() if rng.random() < 0.7 else ""
            out.write(f"{name},{phone},{email}\r\n")
            written += 1


MAPPED_FIELDS = (("Company", "text"), ("Visits", "number"), ("Member", "yes_no"))


def mapped_field_values(rng: random.Random) -> tuple[str, int, str]:
    """One row's values of MAPPED_FIELDS: a company for 3 rows in 4, a number and yes/no for all."""
    return rng.choice(["Acme", "Globex", "Initech", ""]), rng.randint(0, 40), rng.choice(["yes", "no"])


def write_mapped_file(sample: Path, path: Path) -> None:
    """The sample's rows as another system exports them: its own column names and order, the name
    split in two, and three custom fields (text, number, yes/no) that the mapping step fills."""
    rng = random.Random(11)
    with open(sample, encoding="utf-8", newline="") as source, open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Mobile Phone", "Given Name", "Family Name", "E-mail Address", *(n for n, _ in MAPPED_FIELDS)])
        for name, phone, email in itertools.islice(csv.reader(source), 1, None):
            last, _, first = name.partition(", ") if ", " in name else tuple(reversed(name.partition(" ")))
            writer.writerow([phone, first, last, email, *mapped_field_values(rng)])


def timed_mapped_import(engine, path: Path, dry_run: bool = False) -> tuple[float, importer.ImportReport]:
    with session_scope(engine) as session:
        line = ensure_default_line(session)
        line_id = line.id
        for name, kind in MAPPED_FIELDS:
            custom_fields.create_field(session, line.account_id, name, kind)
    with open(path, encoding="utf-8", newline="") as file:
        headers = next(csv.reader(file))
    mapping = propose_mapping(headers, [name for name, _kind in MAPPED_FIELDS])
    started = time.perf_counter()
    report = importer.run_import(engine, path, line_id, importer.ImportOptions(mapping=mapping, dry_run=dry_run))
    return time.perf_counter() - started, report


def fresh_sqlite(directory: Path):
    engine = make_engine(f"sqlite:///{directory / f'bench_{uuid.uuid4().hex[:8]}.db'}")
    migrate(engine)
    return engine, None


def fresh_postgres():
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    migrate(engine)
    return engine, schema


def drop_postgres(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path):
    """An empty migrated database of the kind, removed afterwards."""
    engine, schema = fresh_sqlite(workdir) if kind == "sqlite" else fresh_postgres()
    try:
        yield engine
    finally:
        engine.dispose()
        if schema:
            drop_postgres(schema)
        for leftover in workdir.glob("bench_*.db*"):
            leftover.unlink()


def peak_memory_mb() -> tuple[float, float]:
    """Peak resident memory (VmHWM) of this process, and the largest of the pool's workers."""

    def hwm(pid: int | str) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    workers = [hwm(pid) for pid in check_pool.worker_pids()]
    return hwm("self"), max(workers, default=0.0)


PROBE_INTERVAL_SECONDS = 0.5
PROBE_SEED_ROWS = 20_000
# Seconds of searching after each import commits (a pending search-index backlog shows there).
PROBE_AFTER_SECONDS = 5.0
# What people type: a common name, a rare one, part of a number, part of an address.
PROBE_QUERIES = ("smith", "zoë rossi", "415 2", "okafor", "maria.garcia", "718", "andersson j")


def seed_probe_line(engine) -> tuple[int, int]:
    """A second line of the account with PROBE_SEED_ROWS contacts to search while the import runs;
    returns (that line, the line the import fills)."""
    rng = random.Random(3)
    with session_scope(engine) as session:
        imported = ensure_default_line(session)
        probe = Line(account_id=imported.account_id, name="Searched during the import")
        session.add(probe)
        session.flush()
        ids = (probe.id, imported.id)
    now = utcnow()
    rows = []
    for index in range(PROBE_SEED_ROWS):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        phone = f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{index:04d}"
        rows.append(seed_row(ids[0], name, phone, f"seed{index}@example.com", now))
    with engine.begin() as connection:
        connection.execute(insert(Contact), rows)
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE contact")
    return ids


def search_probe(url: str, line_ids: tuple[int, ...], imported, stop, results) -> None:
    """In its own process (a web worker's stand-in): search every PROBE_INTERVAL_SECONDS, each time
    in the next line and with the next query, through the domain's search; sends back
    (after the import?, line, seconds) per search."""
    engine = make_engine(url)
    timings = []
    queries = itertools.cycle(PROBE_QUERIES)
    lines = itertools.cycle(line_ids)
    while not stop.is_set():
        after = imported.is_set()
        line_id = next(lines)
        started = time.perf_counter()
        with Session(engine) as session:
            search_contacts(session, line_id, ContactFilter(query=next(queries)))
        timings.append((after, line_id, time.perf_counter() - started))
        stop.wait(max(0.0, PROBE_INTERVAL_SECONDS - (time.perf_counter() - started)))
    engine.dispose()
    results.put(timings)


@contextlib.contextmanager
def searching_meanwhile(engine, line_ids: tuple[int, ...]):
    """Runs search_probe in another process for the block; yields a callable that marks the import
    done and returns the searches' seconds by when and where, once PROBE_AFTER_SECONDS more have passed."""
    context = multiprocessing.get_context("spawn")
    imported, stop, results = context.Event(), context.Event(), context.Queue()
    url = engine.url.render_as_string(hide_password=False)
    process = context.Process(target=search_probe, args=(url, line_ids, imported, stop, results), daemon=True)
    process.start()
    # The probe's first search (imports, connection) is not a figure.
    time.sleep(2.0)

    def finish() -> dict[str, list[float]]:
        imported.set()
        time.sleep(PROBE_AFTER_SECONDS)
        stop.set()
        timings = results.get(timeout=60)
        process.join(timeout=10)
        during = timings[1:]
        return {
            "during the import": [s for after, _line, s in during if not after],
            # Apart: the imported line's index entries include every row the import has written so
            # far, which each search there reads and skips until the import commits.
            "during it, in the seeded line": [s for after, line, s in during if not after and line == line_ids[0]],
            "during it, in the imported line": [s for after, line, s in during if not after and line == line_ids[1]],
            "after it, in the seeded line": [s for after, line, s in timings if after and line == line_ids[0]],
            "after it, in the imported line": [s for after, line, s in timings if after and line == line_ids[1]],
        }

    try:
        yield finish
    finally:
        stop.set()
        if process.is_alive():
            process.join(timeout=10)


def latency_summary(seconds: list[float]) -> str:
    if not seconds:
        return "no searches"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{len(ordered)} searches, p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms (goal: under 200 ms)"
    )


def timed_import(engine, path: Path, dry_run: bool = False) -> tuple[float, importer.ImportReport, list[float]]:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
    calls: list[float] = []
    started = time.perf_counter()
    report = importer.run_import(
        engine,
        path,
        line_id,
        importer.ImportOptions(skip_first_line=True, dry_run=dry_run),
        progress=lambda done, total: calls.append(time.perf_counter()),
    )
    seconds = time.perf_counter() - started
    return seconds, report, [started, *calls]


def bare_pipeline(path: Path, directory: Path) -> float:
    """The reference: one core, csv -> phonenumbers -> SQLite executemany, no checks beyond parsing."""
    import csv
    import sqlite3

    import phonenumbers

    database = directory / f"bare_{uuid.uuid4().hex[:8]}.db"
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, full_name TEXT, phone TEXT UNIQUE, email TEXT)")
    rows = []
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        for name, phone, email in reader:
            number = phonenumbers.parse(phone, "US")
            rows.append((name, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), email or None))
    connection.executemany("INSERT INTO contact (full_name, phone, email) VALUES (?, ?, ?)", rows)
    connection.commit()
    connection.close()
    seconds = time.perf_counter() - started
    database.unlink()
    return seconds


def phone_parse_share(path: Path, sample_rows: int = 50_000) -> tuple[float, float]:
    """Single-core µs per row for checking a row, and for parsing its phone alone."""
    fmt = sniff_format(path)
    records = []
    for index, (line, cells) in enumerate(read_records(path, fmt)):
        if index == 0:
            continue
        records.append((line, cells))
        if len(records) >= sample_rows:
            break

    def fastest_of_three(work) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return min(times)

    def parse_phones() -> None:
        for _line, cells in records:
            normalize_phone(cells[1].strip(), "US")

    # Fastest of three runs: the machine is shared, and noise only ever adds time.
    check = fastest_of_three(lambda: import_check.check_batch(records, "US"))
    phones = fastest_of_three(parse_phones)
    return check / len(records) * 1e6, phones / len(records) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL, in a fresh schema")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--mapped", action="store_true", help="also import the rows in another shape, mapped")
    parser.add_argument("--probe", action="store_true", help="search from another process during each import")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        path = workdir / f"contacts_{args.rows}.csv"
        started = time.perf_counter()
        write_sample_file(path, args.rows)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"file: {args.rows:,} rows, {size_mb:.1f} MB, generated in {time.perf_counter() - started:.1f} s")
        check_us, phone_us = phone_parse_share(path)
        print(
            f"checking one row on one core: {check_us:.1f} µs, of which phone parsing {phone_us:.1f} µs "
            f"({phone_us / check_us:.0%}); pool workers: {min(os.cpu_count() or 1, 4)}"
        )
        bare = [] if args.no_sqlite else [bare_pipeline(path, workdir) for _ in range(args.repeat)]
        if bare:
            print(
                "bare single-core pipeline (csv -> phonenumbers -> SQLite executemany): "
                f"median of {len(bare)}: {statistics.median(bare):.2f} s"
            )
        kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
        mapped_path = workdir / f"mapped_{args.rows}.csv"
        if args.mapped:
            write_mapped_file(path, mapped_path)
        for kind in kinds:
            times, mapped = [], []
            for run in range(1, args.repeat + 1):
                with fresh_database(kind, workdir) as engine:
                    if args.probe:
                        line_ids = seed_probe_line(engine)
                        with searching_meanwhile(engine, line_ids) as finish:
                            seconds, report, calls = timed_import(engine, path)
                            searches = finish()
                    else:
                        seconds, report, calls = timed_import(engine, path)
                gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
                times.append(seconds)
                print(
                    f"{kind} run {run}: {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s; "
                    f"created {report.created:,}; "
                    f"progress calls {len(calls) - 1}, longest gap {max(gaps, default=0):.2f} s"
                )
                if args.probe:
                    for when, timings in searches.items():
                        print(f"  searches {when}: {latency_summary(timings)}")
                if args.mapped:
                    # In turns with the sample format: a slower minute of a shared machine slows both.
                    with fresh_database(kind, workdir) as engine:
                        mapped_seconds, mapped_report = timed_mapped_import(engine, mapped_path)
                    mapped.append(mapped_seconds)
                    print(
                        f"{kind} run {run}, mapped: {mapped_seconds:.2f} s, created {mapped_report.created:,}; "
                        f"{mapped_seconds / seconds:.2f}x the run before"
                    )
            median = statistics.median(times)
            print(f"{kind} median of {len(times)}: {median:.2f} s, {args.rows / median:,.0f} rows/s")
            if args.mapped:
                mapped_median = statistics.median(mapped)
                pairs = statistics.median(m / t for m, t in zip(mapped, times, strict=True))
                print(
                    f"{kind} mapped (7 columns, 3 custom fields) median of {len(mapped)}: {mapped_median:.2f} s; "
                    f"{mapped_median / median:.2f}x the sample format's median, {pairs:.2f}x the median pair "
                    "(goal <= 1.2x)"
                )
            if kind == "sqlite" and bare:
                ratio = median / statistics.median(bare)
                print(f"ratio to the bare pipeline: {ratio:.2f}x (goal <= 0.70x)")
        main_mb, worker_mb = peak_memory_mb()
        print(f"peak memory: main process {main_mb:.0f} MB, largest pool worker {worker_mb:.0f} MB")


if __name__ == "__main__":
    main()
