"""An index on blast_skip's contact: deleting a contact looks up its skips (ON DELETE CASCADE), and
without it SQLite scanned every skip of every blast once per deleted contact (Delete All of 100,000
contacts on a line whose blasts skipped thousands would scan hundreds of millions of entries).

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_blast_skip_contact", "blast_skip", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_blast_skip_contact", table_name="blast_skip")
