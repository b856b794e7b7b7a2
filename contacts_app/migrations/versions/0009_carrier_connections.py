"""Carrier connections (Twilio), the lines that send through them, delivery statuses of messages.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MESSAGE_COLUMNS = (
    sa.Column("error_code", sa.String(), nullable=True),
    sa.Column("error_reason", sa.Text(), nullable=True),
    sa.Column("idempotency_key", sa.String(), nullable=True),
    sa.Column("send_attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("send_after", sa.DateTime(timezone=True), nullable=True),
    sa.Column("submitting_since", sa.DateTime(timezone=True), nullable=True),
    sa.Column("send_uncertain", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    op.create_table(
        "carrier_connection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("carrier", sa.String(), nullable=False),
        sa.Column("account_sid", sa.String(), nullable=False),
        sa.Column("auth_token_encrypted", sa.Text(), nullable=True),
        sa.Column("auth_token_last4", sa.String(), nullable=True),
        sa.Column("api_key_sid", sa.String(), nullable=True),
        sa.Column("api_key_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("api_key_secret_last4", sa.String(), nullable=True),
        sa.Column("public_base_url", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "carrier", name="uq_carrier_connection_account_carrier"),
    )
    op.create_index("ix_carrier_connection_account_id", "carrier_connection", ["account_id"])
    op.create_table(
        "line_carrier",
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "connection_id",
            sa.Integer(),
            sa.ForeignKey("carrier_connection.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("messages_per_second", sa.Float(), nullable=False),
        sa.Column("next_send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_line_carrier_connection_id", "line_carrier", ["connection_id"])
    op.create_table(
        "processed_carrier_event",
        sa.Column("carrier", sa.String(), primary_key=True),
        sa.Column("event_id", sa.String(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in MESSAGE_COLUMNS:
        op.add_column("message", column)
    op.create_index("uq_message_idempotency_key", "message", ["idempotency_key"], unique=True)
    op.create_index("ix_message_provider_message_id", "message", ["provider_message_id"])


def downgrade() -> None:
    op.drop_index("ix_message_provider_message_id", table_name="message")
    op.drop_index("uq_message_idempotency_key", table_name="message")
    with op.batch_alter_table("message") as batch:
        for column in MESSAGE_COLUMNS:
            batch.drop_column(column.name)
    op.drop_table("processed_carrier_event")
    op.drop_table("line_carrier")
    op.drop_table("carrier_connection")
