"""Text blasts: the blast and its skipped members, texts tied to their blast, plan feature and permission.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blast",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("merge_fallback", sa.String(), nullable=False),
        sa.Column("list_ids", sa.String(), nullable=False),
        sa.Column("all_contacts", sa.Boolean(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("confirmed_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_through_contact_id", sa.Integer(), nullable=False),
        sa.Column("queueing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("skipped_opted_out", sa.Integer(), nullable=False),
        sa.Column("skipped_no_consent", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("removed_since_written", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(), nullable=True),
    )
    op.create_index("ix_blast_due", "blast", ["status", "send_at"])
    op.create_index("ix_blast_line", "blast", ["line_id", "id"])
    op.create_table(
        "blast_skip",
        sa.Column("blast_id", sa.Integer(), sa.ForeignKey("blast.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    )
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("blast_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_message_blast_id", "blast", ["blast_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_message_blast_id", ["blast_id"])
    with op.batch_alter_table("account_settings") as batch:
        batch.add_column(sa.Column("blasts_need_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("opt_out_instruction", sa.String(), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("can_blast", sa.Boolean(), nullable=True))
    with op.batch_alter_table("account_plan") as batch:
        batch.add_column(sa.Column("allows_blasts", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Text Blasting is an upgrade: accounts already on the basic plan do not get it.
    op.execute(sa.text("UPDATE account_plan SET allows_blasts = :no WHERE name = 'basic'").bindparams(no=False))


def downgrade() -> None:
    with op.batch_alter_table("account_plan") as batch:
        batch.drop_column("allows_blasts")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("can_blast")
    with op.batch_alter_table("account_settings") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("opt_out_instruction")
        batch.drop_column("blasts_need_consent")
    with op.batch_alter_table("message") as batch:
        batch.drop_index("ix_message_blast_id")
        batch.drop_constraint("fk_message_blast_id", type_="foreignkey")
        batch.drop_column("held_until")
        batch.drop_column("blast_id")
    op.drop_table("blast_skip")
    op.drop_index("ix_blast_line", table_name="blast")
    op.drop_index("ix_blast_due", table_name="blast")
    op.drop_table("blast")
