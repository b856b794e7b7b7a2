"""Two contacts of one line cannot share an e-mail address (the integrations' secondary identifier).

Addresses are lower-cased first (the app always stored them so; older data may not be). Where two
contacts of a line already share one, the contact added first keeps it and the others lose it; each
such change is logged by Alembic so the administrator can see which contacts to look at. Then the
plain (line_id, email) index becomes a unique one.

Revision ID: 0012
Revises: 0011
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    connection = op.get_bind()
    contact = sa.table(
        "contact",
        sa.column("id"),
        sa.column("line_id"),
        sa.column("full_name"),
        sa.column("email"),
        sa.column("search_text"),
    )
    lowered = sa.func.lower(contact.c.email)
    connection.execute(contact.update().where(contact.c.email != lowered).values(email=lowered))
    rows = connection.execute(
        sa.select(contact.c.id, contact.c.line_id, contact.c.full_name, contact.c.email, contact.c.search_text)
        .where(contact.c.email.is_not(None))
        .order_by(contact.c.line_id, contact.c.email, contact.c.id)
    ).all()
    keeper: dict[tuple[int, str], tuple[int, str]] = {}
    for contact_id, line_id, full_name, email, search_text in rows:
        first = keeper.setdefault((line_id, email), (contact_id, full_name))
        if first[0] == contact_id:
            continue
        # search_text is "name\nemail\ndigits": the address leaves the search too.
        name_part, _, rest = search_text.partition("\n")
        _, _, digits = rest.partition("\n")
        without_email = f"{name_part}\n\n{digits}"
        clear = contact.update().where(contact.c.id == contact_id).values(email=None, search_text=without_email)
        connection.execute(clear)
        log.warning(
            "Contact %s (%s) no longer has the e-mail %s: contact %s (%s) of the same line has it.",
            contact_id,
            full_name,
            email,
            first[0],
            first[1],
        )
    op.drop_index("ix_contact_line_email", table_name="contact")
    op.create_index("uq_contact_line_email", "contact", ["line_id", "email"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_contact_line_email", table_name="contact")
    op.create_index("ix_contact_line_email", "contact", ["line_id", "email"])
