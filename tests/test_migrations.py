"""A database from an older version upgrades with its data intact; models match the migrations."""

from pprint import pformat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Index, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from contacts_app.db import migrate, session_scope
from contacts_app.domain import consent, custom_fields
from contacts_app.domain.consent import EventKind
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import (
    ContactInput,
    create_contact,
    delete_contact,
    get_contact,
    search_contacts,
)

CONTACT_COLUMNS = (
    "id, line_id, full_name, name_key, phone, email, search_text, opted_out, opted_out_at, "
    "opted_out_source, opted_out_by, consent_status, created_at, updated_at"
)
# search_text is derived (name, e-mail, phone digits) and may be rebuilt by a migration; the
# rest is the customer's data and must come through unchanged.
CUSTOMER_DATA_COLUMNS = CONTACT_COLUMNS.replace(" search_text,", "")


def fill_first_version(engine: Engine) -> None:
    """Rows as the first released version (revision 0001) wrote them, including opt-outs."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (id, name, default_region, created_at) "
                "VALUES (1, 'Corner Shop', 'US', '2024-01-02 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO line (id, account_id, name, phone, created_at) "
                "VALUES (1, 1, 'Main line', '+14155550100', '2024-01-02 09:00:00')"
            )
        )
        contacts = [
            (1, "Jane Doe", "+14155552671", "jane@example.com", False, None, None, None, "confirmed"),
            (2, "John Smith", "+12125550188", None, True, "2024-02-03 10:30:00", "keyword", None, "declined"),
            (
                3,
                "Ada Lovelace",
                "+442079460958",
                None,
                True,
                "2024-02-04 11:45:00",
                "manual",
                "me@shop.com",
                "not_sent",
            ),
            (4, "Alan Turing", "+16175550142", "alan@bletchley.uk", False, None, None, None, "pending"),
        ]
        for cid, name, phone, email, opted_out, at, source, by, status in contacts:
            connection.execute(
                text(
                    f"INSERT INTO contact ({CONTACT_COLUMNS}) VALUES (:id, 1, :name, :key, :phone, :email, "
                    ":search, :opted_out, :at, :source, :by, :status, '2024-01-05 08:00:00', '2024-01-06 08:00:00')"
                ),
                {
                    "id": cid,
                    "name": name,
                    "key": name.lower(),
                    "phone": phone,
                    "email": email,
                    "search": "\n".join([name.lower(), email or "", phone.lstrip("+")]),
                    "opted_out": opted_out,
                    "at": at,
                    "source": source,
                    "by": by,
                    "status": status,
                },
            )
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; the old version inserted without them.
            connection.execute(text("SELECT setval(pg_get_serial_sequence('contact', 'id'), 4)"))


def contact_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        query = text(f"SELECT {CUSTOMER_DATA_COLUMNS} FROM contact ORDER BY id")
        return [tuple(row) for row in connection.execute(query)]


def test_database_of_the_first_version_upgrades_with_every_row_intact(blank_engine):
    migrate(blank_engine, "0001")
    fill_first_version(blank_engine)
    before = contact_rows(blank_engine)

    migrate(blank_engine)

    assert contact_rows(blank_engine) == before
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT name, default_region FROM account")).all() == [("Corner Shop", "US")]
        assert connection.execute(text("SELECT name, phone FROM line")).all() == [("Main line", "+14155550100")]


def test_upgrade_backfills_consent_history_of_contacts_already_opted_out(blank_engine):
    migrate(blank_engine, "0001")
    fill_first_version(blank_engine)

    migrate(blank_engine)

    with session_scope(blank_engine) as session:
        john = get_contact(session, 1, 2)
        ada = get_contact(session, 1, 3)
        [john_event] = consent.history(session, john)
        [ada_event] = consent.history(session, ada)
        assert consent.history(session, get_contact(session, 1, 1)) == []
    assert (john_event.kind, john_event.source, john_event.actor, john_event.contact_id) == (
        EventKind.OPTED_OUT,
        "keyword",
        None,
        2,
    )
    assert (ada_event.kind, ada_event.source, ada_event.actor, ada_event.phone) == (
        EventKind.OPTED_OUT,
        "manual",
        "me@shop.com",
        "+442079460958",
    )
    assert ada_event.created_at.replace(tzinfo=None) == ada.opted_out_at.replace(tzinfo=None)


def test_upgraded_database_searches_and_suppresses_like_a_new_one(blank_engine):
    migrate(blank_engine, "0001")
    fill_first_version(blank_engine)

    migrate(blank_engine)

    with session_scope(blank_engine) as session:
        assert names_found(session, "0188") == ["John Smith"]
        assert names_found(session, "bletchley") == ["Alan Turing"]
        assert search_contacts(session, 1).total == 4
        delete_contact(session, 1, 2)
    with session_scope(blank_engine) as session:
        # The opt-out from before history existed still follows the number.
        again = create_contact(session, 1, ContactInput("Johnny Smith", "(212) 555-0188"))
        assert again.opted_out is True
        assert again.id == 5


def names_found(session, query: str) -> list[str]:
    return [c.full_name for c in search_contacts(session, 1, ContactFilter(query=query)).rows]


def test_upgrade_lets_search_find_numbers_abroad_as_written_at_home(blank_engine):
    migrate(blank_engine, "0001")
    fill_first_version(blank_engine)
    migrate(blank_engine)
    with session_scope(blank_engine) as session:
        assert names_found(session, "020 7946") == ["Ada Lovelace"]
        assert names_found(session, "+44 20 7946") == ["Ada Lovelace"]


def test_database_at_each_older_revision_reaches_head(blank_engine):
    for revision in ("0001", "0002", "0003"):
        migrate(blank_engine, revision)
        if revision == "0001":
            fill_first_version(blank_engine)
    before = contact_rows(blank_engine)
    migrate(blank_engine)
    assert contact_rows(blank_engine) == before
    migrate(blank_engine)  # a second start-up finds nothing to do


def _declared_for_other_database(obj, dialect: str) -> bool:
    # Indexes declared with .ddl_if(dialect=...) exist only on that database (see migration 0004).
    ddl_if = getattr(obj, "_ddl_if", None)
    return ddl_if is not None and ddl_if.dialect is not None and ddl_if.dialect != dialect


def test_models_match_the_migrated_schema(engine):
    dialect = engine.dialect.name

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        return not (isinstance(obj, Index) and _declared_for_other_database(obj, dialect))

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object, "compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "models.py and the migrations disagree:\n" + pformat(differences)


# The contact's id first in each.
LINK_ROWS = {
    "list_membership": "SELECT contact_id, list_id, added_at FROM list_membership ORDER BY 1, 2",
    "contact_tag": "SELECT contact_id, name_key, name, line_id FROM contact_tag ORDER BY 1, 2",
    "contact_field_value": "SELECT contact_id, field_id, value, value_key FROM contact_field_value ORDER BY 1, 2",
}


def link_rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(text(sql))] for table, sql in LINK_ROWS.items()}


def test_lists_tags_and_field_values_come_through_the_move_to_key_ordered_tables(blank_engine):
    migrate(blank_engine, "0020")
    fill_first_version(blank_engine)
    with blank_engine.begin() as connection:
        for sql in (
            "INSERT INTO contact_list (id, line_id, name, name_key, description, created_at, updated_at) "
            "VALUES (1, 1, 'VIP', 'vip', '', '2024-03-01 09:00:00', '2024-03-01 09:00:00')",
            "INSERT INTO list_membership VALUES (1, 1, '2024-03-01 09:00:00'), (1, 3, '2024-03-02 09:00:00')",
            "INSERT INTO contact_tag VALUES (1, 'regular', 'Regular', 1), (2, 'late payer', 'Late payer', 1)",
            "INSERT INTO custom_field (id, account_id, name, name_key, kind, position, created_at) "
            "VALUES (1, 1, 'Company', 'company', 'text', 0, '2024-03-01 09:00:00')",
            "INSERT INTO contact_field_value VALUES (1, 1, 'Acme', 'acme'), (3, 1, 'Babbage & Co', 'babbage & co')",
        ):
            connection.execute(text(sql))
    before = link_rows(blank_engine)
    assert all(before.values())
    migrate(blank_engine, "0022")
    assert link_rows(blank_engine) == before

    # 0023: the values move onto their contacts; the table keeps what the filter looks up.
    migrate(blank_engine)
    with session_scope(blank_engine) as session:
        assert [custom_fields.values_of(session, contact_id) for contact_id in (1, 2, 3)] == [
            {"Company": "Acme"},
            {},
            {"Company": "Babbage & Co"},
        ]
        matching = ContactFilter(field_id=1, field_value="BABBAGE & CO")
        assert [contact.id for contact in search_contacts(session, 1, matching).rows] == [3]
    lookup = "SELECT contact_id, field_id, value_key FROM contact_field_value ORDER BY 1, 2"
    with blank_engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(text(lookup))] == [(1, 1, "acme"), (3, 1, "babbage & co")]

    # Deleting a contact still takes its memberships, tags and values with it.
    with session_scope(blank_engine) as session:
        delete_contact(session, 1, 1)
    links = {table: sql for table, sql in LINK_ROWS.items() if table != "contact_field_value"}
    with blank_engine.connect() as connection:
        for table, sql in links.items():
            assert [tuple(row) for row in connection.execute(text(sql))] == [
                row for row in before[table] if row[0] != 1
            ]
        assert [tuple(row) for row in connection.execute(text(lookup))] == [(3, 1, "babbage & co")]
