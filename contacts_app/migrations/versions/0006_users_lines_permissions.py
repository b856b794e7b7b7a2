"""Users, sign-in sessions and attempts, line owners and shares, account plans.

Existing data stays as it is: the account and its lines keep their ids, no user exists yet (so
the app opens "Create administrator"), and an account without a plan row has every feature.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("email", sa.String(), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False, server_default="user"),
        sa.Column("can_delete", sa.Boolean(), nullable=True),
        sa.Column("can_delete_all", sa.Boolean(), nullable=True),
        sa.Column("can_use_lists", sa.Boolean(), nullable=True),
        sa.Column("can_import", sa.Boolean(), nullable=True),
        sa.Column("can_export", sa.Boolean(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_app_user_account_id", "app_user", ["account_id"])

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_ip", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("client_ip", sa.String(), nullable=False, server_default=""),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_attempt_email_time", "login_attempt", ["email", "created_at"])

    op.create_table(
        "line_access",
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("line.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_line_access_user_id", "line_access", ["user_id"])

    op.create_table(
        "account_plan",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("allows_delete", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("allows_delete_all", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("allows_lists", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )

    # Delete All walks a line's contacts in id order, batch by batch.
    op.create_index("ix_contact_line_id", "contact", ["line_id", "id"])
    # Deleting a contact nulls review_flag.contact_id; unindexed, every deleted row would scan the table.
    op.create_index("ix_review_flag_contact_id", "review_flag", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_review_flag_contact_id", table_name="review_flag")
    op.drop_index("ix_contact_line_id", table_name="contact")
    op.drop_table("account_plan")
    op.drop_table("line_access")
    op.drop_table("login_attempt")
    op.drop_table("user_session")
    op.drop_table("app_user")
