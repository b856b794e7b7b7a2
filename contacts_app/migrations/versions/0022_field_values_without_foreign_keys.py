"""A custom-field value has no foreign keys: it goes with its contact by a trigger, with its field
by custom_fields.delete_field.

A foreign key is checked value by value as values are written: on PostgreSQL by a trigger call per
row, 1.3 s each for the two keys of the 275,000 values an import of 100,000 contacts with 3 custom
fields writes (4.9 s in all). Now a contact's deletion deletes its values (on PostgreSQL once per
statement, from the deleted rows), a field's deletion deletes its values itself, and whoever writes
values first locks the contacts and fields it writes them for (custom_fields.set_values, the
importer), so no value outlives either.

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
POSTGRES_KEYS = {"contact_id": "contact_field_value_contact_id_fkey", "field_id": "contact_field_value_field_id_fkey"}
TRIGGER = "contact_field_values_go_with_contact"

# Once per DELETE statement, from the rows it deleted (Delete All: one join, not 100,000 lookups).
# The search path is the one the function was made in, whatever the deleting connection's is.
POSTGRES_FUNCTION = f"""
CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM {TABLE} AS value USING gone WHERE value.contact_id = gone.id;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER DELETE ON contact REFERENCING OLD TABLE AS gone
FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()
"""
SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER DELETE ON contact FOR EACH ROW
BEGIN
    DELETE FROM {TABLE} WHERE contact_id = OLD.id;
END
"""


def _table(with_keys: bool) -> sa.Table:
    """The table as SQLite rebuilds it (SQLite cannot drop or add a foreign key in place)."""

    def key(target: str) -> list[sa.ForeignKey]:
        return [sa.ForeignKey(target, ondelete="CASCADE")] if with_keys else []

    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("contact_id", sa.Integer(), *key("contact.id"), primary_key=True, autoincrement=False),
        sa.Column("field_id", sa.Integer(), *key("custom_field.id"), primary_key=True, autoincrement=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.Text(), nullable=False),
        sa.Index("ix_contact_field_value_lookup", "field_id", "value_key", "contact_id"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_KEYS.values():
            op.drop_constraint(name, TABLE, type_="foreignkey")
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
        return
    with op.batch_alter_table(TABLE, recreate="always", copy_from=_table(with_keys=False)):
        pass
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE field_id NOT IN (SELECT id FROM custom_field)")
    op.execute(f"DELETE FROM {TABLE} WHERE contact_id NOT IN (SELECT id FROM contact)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON contact")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
        op.create_foreign_key(POSTGRES_KEYS["contact_id"], TABLE, "contact", ["contact_id"], ["id"], ondelete="CASCADE")
        op.create_foreign_key(
            POSTGRES_KEYS["field_id"], TABLE, "custom_field", ["field_id"], ["id"], ondelete="CASCADE"
        )
        return
    op.execute(f"DROP TRIGGER {TRIGGER}")
    with op.batch_alter_table(TABLE, recreate="always", copy_from=_table(with_keys=True)):
        pass
