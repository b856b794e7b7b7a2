"""How long Delete All takes for 100,000 contacts (the target is under 5 seconds).

    .venv/bin/python benchmarks/delete_all_bench.py              # a temporary SQLite file
    .venv/bin/python benchmarks/delete_all_bench.py --postgres   # PostgreSQL at 127.0.0.1:5432, fresh schema

Seeds one line with COUNT contacts (2% opted out with their consent history, a fifth of them
in two lists, some with messages) and a second line that must be left alone, then times
`delete_all_contacts` on the first line and checks what it kept.
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.seeding import seed_row  # noqa: E402
from contacts_app.db import make_engine, migrate, session_scope  # noqa: E402
from contacts_app.domain.bulk_delete import DELETE_BATCH_SIZE, delete_all_contacts  # noqa: E402
from contacts_app.domain.contacts import ensure_default_line  # noqa: E402
from contacts_app.models import (  # noqa: E402
    ConsentEvent,
    Contact,
    ContactList,
    Line,
    ListMembership,
    Message,
    utcnow,
)

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_SECONDS = 5.0
INSERT_BATCH = 5_000
OTHER_LINE_CONTACTS = 1_000


def seed(engine: Engine, count: int) -> tuple[int, int]:
    """Returns (line to empty, line to keep)."""
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        account_id = session.get(Line, line_id).account_id
        other = Line(account_id=account_id, name="Second line", phone="+14155550199")
        session.add(other)
        session.flush()
        other_id = other.id
        lists = [ContactList(line_id=line_id, name=name, name_key=name.lower()) for name in ("VIP", "Newsletter")]
        session.add_all(lists)
        session.flush()
        list_ids = [each.id for each in lists]
    now = utcnow()
    for target, how_many in ((line_id, count), (other_id, OTHER_LINE_CONTACTS)):
        for start in range(0, how_many, INSERT_BATCH):
            rows = []
            for i in range(start, min(start + INSERT_BATCH, how_many)):
                name = f"Person {i:06d} of {target}"
                phone = f"+1415{2000000 + i:07d}"
                email = f"person{i}@example.com" if i % 3 else None
                rows.append(seed_row(target, name, phone, email, now, opted_out=i % 50 == 0))
            with engine.begin() as connection:
                connection.execute(insert(Contact), rows)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO consentevent (line_id, contact_id, phone, kind, source, created_at) "
                "SELECT line_id, id, phone, 'opted_out', 'keyword', :now FROM contact WHERE opted_out"
            ),
            {"now": now},
        )
        for list_id, modulo in zip(list_ids, (5, 7), strict=True):
            connection.execute(
                text(
                    "INSERT INTO list_membership (list_id, contact_id, added_at) "
                    f"SELECT :list, id, :now FROM contact WHERE line_id = :line AND id % {modulo} = 0"
                ),
                {"list": list_id, "line": line_id, "now": now},
            )
        connection.execute(
            text(
                "INSERT INTO message (line_id, contact_id, direction, phone, body, status, created_at) "
                "SELECT line_id, id, 'inbound', phone, 'Hi', 'received', :now FROM contact "
                "WHERE line_id = :line AND id % 100 = 0"
            ),
            {"line": line_id, "now": now},
        )
        # Planner statistics, as autovacuum / `PRAGMA optimize` keep them in a running system.
        connection.execute(text("ANALYZE"))
    return line_id, other_id


def count(engine: Engine, statement) -> int:
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one()


def run(engine: Engine, how_many: int, batch_size: int) -> float:
    migrate(engine)
    line_id, other_id = seed(engine, how_many)
    events_before = count(engine, select(func.count()).select_from(ConsentEvent))
    print(f"{engine.dialect.name}: seeded {how_many:,} contacts (+{OTHER_LINE_CONTACTS:,} on another line)")

    start = time.perf_counter()
    deleted = delete_all_contacts(engine, line_id, batch_size=batch_size)
    seconds = time.perf_counter() - start

    left = count(engine, select(func.count()).select_from(Contact).where(Contact.line_id == line_id))
    others = count(engine, select(func.count()).select_from(Contact).where(Contact.line_id == other_id))
    members = count(engine, select(func.count()).select_from(ListMembership))
    events_after = count(engine, select(func.count()).select_from(ConsentEvent))
    messages = count(engine, select(func.count()).select_from(Message))
    assert (deleted, left, others, members) == (how_many, 0, OTHER_LINE_CONTACTS, 0), (deleted, left, others, members)
    assert events_after == events_before, "consent history must survive Delete All"
    verdict = "OK" if seconds < TARGET_SECONDS else f"SLOWER than {TARGET_SECONDS} s"
    print(
        f"{engine.dialect.name}: deleted {deleted:,} contacts in {seconds:.2f} s "
        f"(batches of {batch_size:,}) — {verdict}; kept {events_after:,} consent events, {messages:,} messages"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL in a fresh schema")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=DELETE_BATCH_SIZE)
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            run(engine, args.count, args.batch_size)
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        run(engine, args.count, args.batch_size)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
