"""How long a blast to 100,000 contacts of one list takes to count and to queue (targets: 1 s and 10 s).

    .venv/bin/python benchmarks/blast_bench.py              # a temporary SQLite file
    .venv/bin/python benchmarks/blast_bench.py --postgres   # PostgreSQL at 127.0.0.1:5432, fresh schema

Seeds one line (outbox provider) with COUNT contacts across US area codes of four time zones and a
few London numbers, 2% opted out, all in one list, then times counting the recipients with their
exclusions, and `queue_blast` writing one queued text per recipient (merge fields, the opt-out
instruction, quiet hours per recipient), and checks that every recipient got exactly one text.
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
from contacts_app.domain.blast_queue import queue_blast  # noqa: E402
from contacts_app.domain.blasts import BlastDraft, count_recipients, create_blast  # noqa: E402
from contacts_app.domain.contacts import ensure_default_line  # noqa: E402
from contacts_app.models import Contact, ContactList, Message, utcnow  # noqa: E402

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
COUNT_TARGET_SECONDS = 1.0
QUEUE_TARGET_SECONDS = 10.0
INSERT_BATCH = 5_000
# New York, Chicago, Denver, Los Angeles: quiet hours differ by recipient.
AREA_CODES = ("212", "312", "303", "213")
BODY = "Hi {first_name}, our spring sale starts today: 20% off everything in store."


def phone_for(i: int) -> str:
    if i % 97 == 0:
        return f"+4420{7000000 + i:08d}"
    return f"+1{AREA_CODES[i % len(AREA_CODES)]}{2000000 + i:07d}"


def seed(engine: Engine, count: int) -> tuple[int, int]:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        spring = ContactList(line_id=line_id, name="Spring", name_key="spring")
        session.add(spring)
        session.flush()
        list_id = spring.id
    now = utcnow()
    for start in range(0, count, INSERT_BATCH):
        rows = []
        for i in range(start, min(start + INSERT_BATCH, count)):
            name = f"Person{i:06d} Example"
            phone = phone_for(i)
            rows.append(seed_row(line_id, name, phone, None, now, opted_out=i % 50 == 0))
        with engine.begin() as connection:
            connection.execute(insert(Contact), rows)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO list_membership (list_id, contact_id, added_at) "
                "SELECT :list, id, :now FROM contact WHERE line_id = :line"
            ),
            {"list": list_id, "line": line_id, "now": now},
        )
        connection.execute(text("ANALYZE"))
    return line_id, list_id


def run(engine: Engine, how_many: int) -> None:
    migrate(engine)
    line_id, list_id = seed(engine, how_many)
    print(f"{engine.dialect.name}: seeded {how_many:,} contacts in one list (2% opted out)")

    start = time.perf_counter()
    with session_scope(engine) as session:
        counted = count_recipients(session, line_id, (list_id,), False, needs_consent=False)
    count_seconds = time.perf_counter() - start

    with session_scope(engine) as session:
        blast_id = create_blast(session, line_id, BlastDraft(BODY, (list_id,)), counted.recipients).id
    start = time.perf_counter()
    result = queue_blast(engine, blast_id)
    queue_seconds = time.perf_counter() - start

    with engine.connect() as connection:
        texts, numbers, held = connection.execute(
            select(func.count(), func.count(func.distinct(Message.phone)), func.count(Message.held_until)).where(
                Message.blast_id == blast_id
            )
        ).one()
    assert result.done and texts == numbers == counted.recipients, (result, texts, numbers, counted)
    verdict = "OK" if count_seconds < COUNT_TARGET_SECONDS else f"SLOWER than {COUNT_TARGET_SECONDS} s"
    print(
        f"{engine.dialect.name}: counted {counted.recipients:,} recipients ({counted.opted_out:,} opted out) "
        f"in {count_seconds:.3f} s — {verdict}"
    )
    verdict = "OK" if queue_seconds < QUEUE_TARGET_SECONDS else f"SLOWER than {QUEUE_TARGET_SECONDS} s"
    print(
        f"{engine.dialect.name}: queued {texts:,} texts ({held:,} held for quiet hours) "
        f"in {queue_seconds:.2f} s — {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL in a fresh schema")
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            run(engine, args.count)
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        run(engine, args.count)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
