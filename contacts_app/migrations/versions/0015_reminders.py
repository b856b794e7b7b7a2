"""Reminders: texts scheduled for one contact, once or repeating.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="SET NULL"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_time", sa.DateTime(), nullable=False),
        sa.Column("repeat", sa.String(), nullable=False),
        sa.Column("repeat_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reminder_due", "reminder", ["status", "send_at"])
    op.create_index("ix_reminder_line_time", "reminder", ["line_id", "local_time"])
    op.create_index("ix_reminder_contact_id", "reminder", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_reminder_contact_id", table_name="reminder")
    op.drop_index("ix_reminder_line_time", table_name="reminder")
    op.drop_index("ix_reminder_due", table_name="reminder")
    op.drop_table("reminder")
