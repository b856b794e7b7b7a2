"""A custom-field value no longer has a foreign key to its field.

custom_fields.delete_field deletes a field's values itself, and whoever writes values locks the
fields first (custom_fields.locked_field_ids), so the key only checked, value by value, what was
already sure. On PostgreSQL that check is a trigger call per row: 1.3 s of the 4.9 s an import of
100,000 contacts with 3 custom fields spent writing their 275,000 values.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLE = "contact_field_value"
POSTGRES_KEY = "contact_field_value_field_id_fkey"


def _table(with_field_key: bool) -> sa.Table:
    """The table as SQLite rebuilds it (SQLite cannot drop or add a foreign key in place)."""
    field_key = [sa.ForeignKey("custom_field.id", ondelete="CASCADE")] if with_field_key else []
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field_id", sa.Integer(), *field_key, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.Text(), nullable=False),
        sa.Index("ix_contact_field_value_lookup", "field_id", "value_key", "contact_id"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(POSTGRES_KEY, TABLE, type_="foreignkey")
        return
    with op.batch_alter_table(TABLE, recreate="always", copy_from=_table(with_field_key=False)):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DELETE FROM {TABLE} WHERE field_id NOT IN (SELECT id FROM custom_field)")
        op.create_foreign_key(POSTGRES_KEY, TABLE, "custom_field", ["field_id"], ["id"], ondelete="CASCADE")
        return
    op.execute(f"DELETE FROM {TABLE} WHERE field_id NOT IN (SELECT id FROM custom_field)")
    with op.batch_alter_table(TABLE, recreate="always", copy_from=_table(with_field_key=True)):
        pass
