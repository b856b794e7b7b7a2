"""An account's own sending window for blasts: it may narrow the federal 8 am to 9 pm (a state's
8 pm, a business's own hours); NULL keeps 8 am to 9 pm.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_settings") as table:
        table.add_column(sa.Column("send_window_opens", sa.Time(), nullable=True))
        table.add_column(sa.Column("send_window_closes", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_settings") as table:
        table.drop_column("send_window_closes")
        table.drop_column("send_window_opens")
