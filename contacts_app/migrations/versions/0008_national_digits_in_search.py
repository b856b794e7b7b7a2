"""Search finds numbers outside North America as people write them at home ("020 7946 0958").

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from contacts_app.phones import phone_search_key

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    connection = op.get_bind()
    contact = sa.table("contact", sa.column("id"), sa.column("phone"), sa.column("search_text"))
    rows = connection.execute(
        sa.select(contact.c.id, contact.c.phone, contact.c.search_text).where(~contact.c.phone.startswith("+1"))
    ).all()
    changes = []
    for contact_id, phone, search_text in rows:
        head, _, _old_digits = search_text.rpartition("\n")
        changes.append({"key": contact_id, "text": f"{head}\n{phone_search_key(phone)}"})
    update = contact.update().where(contact.c.id == sa.bindparam("key")).values(search_text=sa.bindparam("text"))
    for start in range(0, len(changes), BATCH):
        connection.execute(update, changes[start : start + BATCH])


def downgrade() -> None:
    pass
