"""The last column mapping each account imported with, proposed again for files with those columns.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_settings") as batch:
        batch.add_column(sa.Column("import_mapping", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_settings") as batch:
        batch.drop_column("import_mapping")
