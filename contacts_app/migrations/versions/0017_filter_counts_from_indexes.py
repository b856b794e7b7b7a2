"""The Opted out and Consent indexes end with the contact's id, so that PostgreSQL counts a filter
combined with a list, tag or field from the index alone (an index-only scan) instead of reading
every contact's row (benchmarks/list_bench.py --postgres: list + tag + not opted out, 100 ms -> 25 ms).
SQLite keeps the id in every index already; the wider index costs it nothing.

Revision ID: 0017
Revises: 0015
"""

from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_contact_line_opted_out", table_name="contact")
    op.create_index("ix_contact_line_opted_out", "contact", ["line_id", "opted_out", "id"])
    op.drop_index("ix_contact_line_consent", table_name="contact")
    op.create_index("ix_contact_line_consent", "contact", ["line_id", "consent_status", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_line_consent", table_name="contact")
    op.create_index("ix_contact_line_consent", "contact", ["line_id", "consent_status"])
    op.drop_index("ix_contact_line_opted_out", table_name="contact")
    op.create_index("ix_contact_line_opted_out", "contact", ["line_id", "opted_out"])
