"""SQLite: the line's name order is read from ix_contact_line_search alone. Its first columns are
ix_contact_line_name's (line_id, name_key, id), so that index only cost a b-tree insert, update and
delete per contact written (a 100,000-row import, Delete All). PostgreSQL keeps it: it has no
ix_contact_line_search.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_contact_line_name", table_name="contact")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_contact_line_name", "contact", ["line_id", "name_key", "id"])
