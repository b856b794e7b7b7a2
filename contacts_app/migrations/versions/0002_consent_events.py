"""Consent history, which doubles as the line's suppression record.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consentevent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id"), nullable=False),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contact.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_consentevent_contact_id", "consentevent", ["contact_id"])
    op.create_index("ix_consent_event_line_phone", "consentevent", ["line_id", "phone", "id"])
    # Contacts opted out before history existed keep their opt-out as its first event.
    op.execute(
        "INSERT INTO consentevent (line_id, contact_id, phone, kind, source, actor, created_at) "
        "SELECT line_id, id, phone, 'opted_out', COALESCE(opted_out_source, 'manual'), "
        "opted_out_by, COALESCE(opted_out_at, updated_at) FROM contact WHERE opted_out"
    )


def downgrade() -> None:
    op.drop_table("consentevent")
