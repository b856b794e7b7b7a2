"""Database fixtures: every data-layer test runs on SQLite and on PostgreSQL."""

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from huey.consumer import Consumer
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine

from contacts_app.db import make_engine, migrate, session_scope
from contacts_app.domain.contacts import ensure_default_line

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CONTACTS_REQUIRE_POSTGRES") == "1"


def postgres_engine_in_fresh_schema() -> tuple[Engine, str]:
    """An engine whose tables live in a schema of their own, so runs never see each other."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "no PostgreSQL"
        admin.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (CONTACTS_REQUIRE_POSTGRES=1) but {POSTGRES_URL} failed: {exc}")
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}: {exc.__class__.__name__}")
    admin.dispose()
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    return make_engine(url), schema


def drop_postgres_schema(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_engine(request, tmp_path) -> Iterator[Engine]:
    """An empty database of each kind, with no schema yet (migration tests start older versions)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'contacts.db'}")
        yield engine
        engine.dispose()
        return
    engine, schema = postgres_engine_in_fresh_schema()
    try:
        yield engine
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


@dataclass(frozen=True)
class MigratedPostgres:
    url: str
    # Children before parents, so emptying it never trips a foreign key.
    tables: tuple[str, ...]


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    """An SQLite file migrated once per run; each test gets a copy of it (migrating costs ~1 s a test)."""
    path = tmp_path_factory.mktemp("migrated") / "contacts.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:
        # Everything into the main file: the copy takes that file alone.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def migrated_sqlite_copy(migrated_sqlite_file, tmp_path) -> Path:
    """A migrated, empty SQLite file of this test's own."""
    path = tmp_path / "contacts.db"
    shutil.copyfile(migrated_sqlite_file, path)
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[MigratedPostgres]:
    """A PostgreSQL schema migrated once per run; each test starts on it emptied."""
    engine, schema = postgres_engine_in_fresh_schema()
    try:
        migrate(engine)
        metadata = MetaData()
        metadata.reflect(engine)
        tables = tuple(t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version")
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        yield MigratedPostgres(url=url, tables=tables)
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


def _empty_postgres(engine: Engine, tables: tuple[str, ...]) -> None:
    """Back to just-migrated: no rows, every id counting from 1 again, no table a test added.

    DELETE, not TRUNCATE: on tables this small TRUNCATE's new files cost ~0.6 s, DELETE ~5 ms.
    """
    with engine.begin() as connection:
        # A connection a test left open inside a transaction would otherwise hang the run.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        # The job queue's huey_* tables (tests/test_job_workers.py) are not the migrations'.
        added = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> ALL(:known)"),
            {"known": [*tables, "alembic_version"]},
        ).scalars()
        for table in added:
            connection.execute(text(f'DROP TABLE "{table}" CASCADE'))
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))
        connection.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            )
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{request.getfixturevalue('migrated_sqlite_copy')}")
    else:
        postgres = request.getfixturevalue("migrated_postgres")
        # An address of its own, as each test's schema had: what the app caches by address
        # (engines, the job queue's storage) starts afresh.
        engine = make_engine(f"{postgres.url}&application_name=test_{uuid.uuid4().hex[:12]}")
        _empty_postgres(engine, postgres.tables)
    yield engine
    engine.dispose()


@pytest.fixture
def line_id(engine) -> int:
    with session_scope(engine) as session:
        return ensure_default_line(session).id


@pytest.fixture(autouse=True)
def jobs_in_memory(request, monkeypatch) -> None:
    """A commit that queues a webhook or a text wakes its outbox: here into a queue in memory.

    (Browser tests leave the app its own queue; tests/test_job_workers.py sets real storage.)
    """
    if "browser" not in request.keywords:
        monkeypatch.setenv("CONTACTS_JOBS_URL", "memory://")


@pytest.fixture
def job_consumer(engine, monkeypatch) -> Iterator[Consumer]:
    """The job engine's consumer running in this process, as a web process runs it, on `engine`'s database."""
    from contacts_app.jobs import get_huey
    from contacts_app.jobs.engine import make_consumer

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False).replace("+psycopg", ""))
    monkeypatch.setenv("CONTACTS_JOBS_URL", "memory://")
    get_huey().flush()  # nothing left over from another test's queue
    consumer = make_consumer(4, in_process=True)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        get_huey().flush()
