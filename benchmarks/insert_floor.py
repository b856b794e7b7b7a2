"""The floor under an import: inserting already-checked rows into `contact`, and nothing else.

    .venv/bin/python benchmarks/insert_floor.py               # SQLite, 100,000 rows
    .venv/bin/python benchmarks/insert_floor.py --postgres    # ... and PostgreSQL (fresh schemas)

For each database, loads --rows ready rows into a temporary table and times one
INSERT ... SELECT of them into a freshly migrated `contact` table (median of --repeat runs): with
every index, then without each secondary index in turn, then without any (the unique phone and the
primary key stay). What an import costs beyond these figures is reading, checking and the checks
that keep it safe (see benchmarks/import_bench.py).
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.import_bench import fresh_database  # noqa: E402
from contacts_app.db import session_scope  # noqa: E402
from contacts_app.domain.contacts import ensure_default_line  # noqa: E402


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
            connection.exec_driver_sql(
                "CREATE TEMPORARY TABLE ready (line INTEGER PRIMARY KEY, phone TEXT, full_name TEXT, "
                "name_key TEXT, email TEXT, search_text TEXT)"
            )
            marks = ", ".join(["?" if kind == "sqlite" else "%s"] * 6)
            connection.exec_driver_sql(f"INSERT INTO ready VALUES ({marks})", rows)
            connection.commit()
            false = "0" if kind == "sqlite" else "false"
            started = time.perf_counter()
            connection.exec_driver_sql(
                "INSERT INTO contact (line_id, full_name, name_key, phone, email, search_text, opted_out, "
                "consent_status, created_at, updated_at, notes) "
                f"SELECT {line_id}, full_name, name_key, phone, email, search_text, {false}, 'not_sent', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '' FROM ready"
            )
            connection.commit()
            return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
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
