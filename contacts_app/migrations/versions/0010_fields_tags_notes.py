"""Custom fields, tags and notes on contacts; indexes for the list's sorts.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "name_key", name="uq_custom_field_account_name"),
    )
    op.create_table(
        "contact_field_value",
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field_id", sa.Integer(), sa.ForeignKey("custom_field.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.Text(), nullable=False),
    )
    op.create_index("ix_contact_field_value_lookup", "contact_field_value", ["field_id", "value_key", "contact_id"])
    op.create_table(
        "contact_tag",
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name_key", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id"), nullable=False),
    )
    op.create_index("ix_contact_tag_line_name", "contact_tag", ["line_id", "name_key", "contact_id"])
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("notes_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notes_updated_by", sa.String(), nullable=True))
    # The "Recently added" and "Recently updated" sorts walk these newest first, ties broken by id.
    op.create_index("ix_contact_line_created", "contact", ["line_id", "created_at", "id"])
    # The Opted out and Consent filters count their matches from these, not from the table.
    op.create_index("ix_contact_line_opted_out", "contact", ["line_id", "opted_out"])
    op.create_index("ix_contact_line_consent", "contact", ["line_id", "consent_status"])
    op.drop_index("ix_contact_line_updated", table_name="contact")
    op.create_index("ix_contact_line_updated", "contact", ["line_id", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_contact_line_updated", table_name="contact")
    op.create_index("ix_contact_line_updated", "contact", ["line_id", "updated_at"])
    op.drop_index("ix_contact_line_created", table_name="contact")
    op.drop_index("ix_contact_line_consent", table_name="contact")
    op.drop_index("ix_contact_line_opted_out", table_name="contact")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("notes_updated_by")
        batch.drop_column("notes_updated_at")
        batch.drop_column("notes")
    op.drop_table("contact_tag")
    op.drop_table("contact_field_value")
    op.drop_table("custom_field")
