"""Engine, sessions and start-up migrations."""

import fcntl
import os
import select
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'contacts.db'}"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def redis_url() -> str | None:
    """The Redis of the scaled set-up, if there is one (jobs and live updates go through it)."""
    return os.environ.get("CONTACTS_REDIS_URL") or os.environ.get("REFLEX_REDIS_URL") or None


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        # The psycopg 3 driver is what the project installs.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # prepare_threshold=None: psycopg would otherwise turn a query run five times into a server-side
    # prepared statement, whose generic plan cannot see the search pattern and scans 100,000 rows
    # in name order for a rare word instead of using the trigram index.
    engine = create_engine(url, connect_args={"prepare_threshold": None})
    event.listen(engine, "checkout", _drop_if_closed_by_server)
    return engine


def _drop_if_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection the server has closed (a restart, a terminated backend) is replaced before use.

    Instead of pool_pre_ping's SELECT 1, a round trip at every checkout (every event of every page):
    an idle connection has nothing to read unless the server wrote to it, and a server that ends a
    connection says so (an error message, then the socket's end) or its kernel closes the socket.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError()
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError()


SQLITE_CACHE_KIB = 64 * 1024


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while an import writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # SQLite's default page cache is 2 MB; a line of 100,000 contacts and its nine indexes is about
    # 50 MB, and Delete All or an import touch every index at random places (measured: Delete All
    # of 100,000 contacts 5.2 s with the default, see the commit). Memory is taken as pages are used.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


@cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Any fixed number: the advisory lock that makes processes starting together migrate one at a time.
MIGRATION_LOCK_ID = 7_140_411


def migrate(engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the schema up to `revision` (Alembic), keeping existing data.

    Safe when many processes start at once on one database: they take turns under a lock, the first
    migrates and the others find the schema already at `revision` and change nothing.
    """
    from alembic import command
    from alembic.config import Config

    engine = engine or get_engine()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, so the winner's schema is committed before the next
            # process reads alembic_version. Keyed by schema too: tests migrate schemas side by side.
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID}, hashtext(current_schema()))"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock file beside an SQLite database (PostgreSQL locks inside the transaction)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def schema_revision(engine: Engine | None = None) -> str | None:
    """The Alembic revision the database is at; None before the first migration."""
    from alembic.migration import MigrationContext

    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def head_revision() -> str:
    """The revision the code's migrations end at (what `migrate` brings a database to)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()
