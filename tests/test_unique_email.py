"""One e-mail address, one contact of a line (the integrations' secondary identifier), whatever its
case: refused like a duplicate phone by the domain, the API and the import."""

import logging

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import migrate, session_scope
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.contacts import ContactInput, ContactInvalid, create_contact, update_contact
from contacts_app.domain.importer import ImportOptions, ImportRejected, run_import
from contacts_app.models import Line


def add(engine, line_id: int, name: str, phone: str, email: str = "") -> int:
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput(name, phone, email)).id


def test_an_address_another_contact_has_in_another_case_is_refused_naming_them(engine, line_id):
    ada = add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    with pytest.raises(ContactInvalid) as refused, session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Ada Byron", "415 555 0102", "ADA@Example.com"))
    assert refused.value.errors == {"email": "This e-mail address already belongs to Ada Lovelace on this line."}
    assert (refused.value.duplicate_id, refused.value.duplicate_field) == (ada, "email")


def test_editing_to_another_contacts_address_is_refused_but_keeping_ones_own_is_fine(engine, line_id):
    add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    grace = add(engine, line_id, "Grace Hopper", "415 555 0102", "grace@example.com")
    with session_scope(engine) as session:
        update_contact(session, line_id, grace, ContactInput("Grace B. Hopper", "415 555 0102", "GRACE@example.com"))
    with pytest.raises(ContactInvalid) as refused, session_scope(engine) as session:
        update_contact(session, line_id, grace, ContactInput("Grace Hopper", "415 555 0102", "ada@example.com"))
    assert "Ada Lovelace" in refused.value.errors["email"]


def test_the_same_address_on_another_line_is_allowed(engine, line_id):
    add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    with session_scope(engine) as session:
        other = Line(account_id=session.get(Line, line_id).account_id, name="Support")
        session.add(other)
        session.flush()
        other_id = other.id
    add(engine, other_id, "Ada Lovelace", "415 555 0101", "ada@example.com")


def test_the_api_answers_409_linking_the_contact_that_has_the_address(engine, line_id):
    ada = add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    with session_scope(engine) as session:
        key = create_api_key(session, session.get(Line, line_id).account_id, "Zapier")
    with TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"}) as client:
        response = client.post(
            "/api/v1/contacts", json={"full_name": "Ada B", "phone": "4155550102", "email": "Ada@example.com"}
        )
    assert response.status_code == 409
    assert response.json()["error"]["fields"]["email"] == (
        f"This e-mail address already belongs to Ada Lovelace on this line. It is /api/v1/contacts/{ada}."
    )


def test_an_import_reports_each_row_whose_address_is_taken_and_writes_nothing(engine, line_id, tmp_path):
    add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Grace Hopper,415 555 0102,grace@example.com\n"
        "Ada Twin,415 555 0103,ADA@example.com\n"
        "Grace Twin,415 555 0104,Grace@Example.com\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    assert [(p.line, p.column, p.value, p.reason) for p in rejected.value.problems] == [
        (2, "Email", "ada@example.com", "This e-mail address already belongs to Ada Lovelace on this line."),
        (3, "Email", "grace@example.com", "This e-mail address is also on line 1 of the file."),
    ]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contact")).scalar() == 1


def test_skipping_invalid_rows_leaves_out_the_rows_whose_address_is_taken(engine, line_id, tmp_path):
    add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    path = tmp_path / "contacts.csv"
    path.write_text("Grace Hopper,415 555 0102,grace@example.com\nAda Twin,415 555 0103,ada@example.com\n")
    report = run_import(engine, path, line_id, ImportOptions(skip_invalid=True))
    assert (report.created, report.skipped) == (1, 1)
    assert [p.line for p in report.problems] == [2]


def test_a_file_may_move_an_address_from_one_contact_to_another(engine, line_id, tmp_path):
    add(engine, line_id, "Ada Lovelace", "415 555 0101", "ada@example.com")
    path = tmp_path / "contacts.csv"
    path.write_text("Ada Lovelace,415 555 0101,lovelace@example.com\nAda Twin,415 555 0103,ada@example.com\n")
    report = run_import(engine, path, line_id)
    assert (report.created, report.updated) == (1, 1)


def test_the_migration_keeps_each_address_on_the_first_contact_and_logs_the_others(blank_engine, caplog):
    migrate(blank_engine, "0008")
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO account (id, name, default_region, created_at) VALUES (1, 'S', 'US', '2024-01-01')")
        )
        connection.execute(
            text("INSERT INTO line (id, account_id, name, created_at) VALUES (1, 1, 'Main', '2024-01-01')")
        )
        for cid, name, phone, email in (
            (1, "Ada Lovelace", "+14155550101", "ada@example.com"),
            (2, "Ada Twin", "+14155550102", "ADA@example.com"),
            (3, "Grace Hopper", "+14155550103", "grace@example.com"),
        ):
            connection.execute(
                text(
                    "INSERT INTO contact (id, line_id, full_name, name_key, phone, email, search_text, opted_out, "
                    "consent_status, created_at, updated_at) VALUES (:id, 1, :name, :key, :phone, :email, :search, "
                    "false, 'not_sent', '2024-01-01', '2024-01-01')"
                ),
                {
                    "id": cid,
                    "name": name,
                    "key": name.lower(),
                    "phone": phone,
                    "email": email,
                    "search": f"{name.lower()}\n{email.lower()}\n{phone[2:]}",
                },
            )
    with caplog.at_level(logging.WARNING):
        migrate(blank_engine)
    with blank_engine.connect() as connection:
        rows = connection.execute(text("SELECT id, email, search_text FROM contact ORDER BY id")).all()
    assert [(r.id, r.email) for r in rows] == [(1, "ada@example.com"), (2, None), (3, "grace@example.com")]
    assert "ada@example.com" not in rows[1].search_text
    assert "Contact 2 (Ada Twin) no longer has the e-mail ada@example.com" in caplog.text
    with pytest.raises(Exception), blank_engine.begin() as connection:  # noqa: B017 - either driver's IntegrityError
        connection.execute(text("UPDATE contact SET email = 'ada@example.com' WHERE id = 3"))
