"""Index the contacts' update time per line: open pages poll the line's last change cheaply.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contact_line_updated", "contact", ["line_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_contact_line_updated", table_name="contact")
