"""Database fixtures: every data-layer test runs on SQLite and on PostgreSQL."""

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
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


@pytest.fixture
def engine(blank_engine) -> Engine:
    """A migrated, empty database of each kind."""
    migrate(blank_engine)
    return blank_engine


@pytest.fixture
def line_id(engine) -> int:
    with session_scope(engine) as session:
        return ensure_default_line(session).id
