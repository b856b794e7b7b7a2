"""Indexes that keep contact search fast at 100,000 contacts.

Search is `search_text LIKE '%word%'` (see contacts.search_contacts); each database gets the
index that serves that best:
- PostgreSQL: a pg_trgm GIN index, so rare words and digit fragments are looked up, not scanned.
- SQLite: the name-order index with search_text in it, so a search walks one index in list order
  and tests each entry without reading the table row.

Revision ID: 0004
Revises: 0003
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _create_trigram_index(bind)
    elif bind.dialect.name == "sqlite":
        op.create_index("ix_contact_line_search", "contact", ["line_id", "name_key", "id", "search_text"])


def _create_trigram_index(bind: sa.engine.Connection) -> None:
    try:
        with bind.begin_nested():
            # In `public`, not the current schema: the extension is one per database, and a
            # schema dropped later must not take it away from the others.
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
    except sa.exc.DBAPIError as exc:
        # Search still works without it, only by scanning; say so rather than refuse to start.
        log.warning("pg_trgm is not available (%s); contact search will scan instead of using an index", exc)
        return
    schema = bind.execute(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    ).scalar_one()
    # Qualified: the app may run with a search_path that does not include the extension's schema.
    op.execute(f"CREATE INDEX ix_contact_search_trgm ON contact USING gin (search_text {schema}.gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contact_search_trgm")
    elif bind.dialect.name == "sqlite":
        op.drop_index("ix_contact_line_search", table_name="contact")
