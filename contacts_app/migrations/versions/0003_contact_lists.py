"""Contact lists and their members.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_list",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("line_id", "name_key", name="uq_contact_list_line_name"),
    )
    op.create_index("ix_contact_list_line_id", "contact_list", ["line_id"])
    op.create_table(
        "list_membership",
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("contact_list.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_list_membership_contact", "list_membership", ["contact_id"])


def downgrade() -> None:
    op.drop_table("list_membership")
    op.drop_table("contact_list")
