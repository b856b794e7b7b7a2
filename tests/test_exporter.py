"""CSV export: every column the app keeps, safe in a spreadsheet, and an exact round trip."""

import csv
import io

from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import consent, custom_fields, exporter
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.domain.exporter import export_csv
from contacts_app.domain.importer import ImportOptions, run_import
from contacts_app.domain.lists import add_to_list, create_list
from contacts_app.models import Account, Contact, FieldKind, Line

AWKWARD_CONTACTS = [
    ("Jane Doe", "(415) 555-2671", "jane@example.com"),
    ("Smith, John", "+1 212 555 0199", ""),
    ('=HYPERLINK("http://evil")', "305-555-0147", "=x@example.com"),
    ("+Plus Sign", "+44 20 7946 0958", "-dash@example.com"),
    ("-Minus", "617 555 0123", "+tag@example.com"),
    ("@Handle", "646 555 0188", ""),
    ("'=Quoted already", "702 555 0111", ""),
    ('Zoë "Zee" Müller', "+33 1 42 68 53 00", "zoe@example.fr"),
]


def make_contacts(engine, line_id, contacts=AWKWARD_CONTACTS) -> None:
    with session_scope(engine) as session:
        for name, phone, email in contacts:
            create_contact(session, line_id, ContactInput(name, phone, email))


def exported(engine, line_id, list_id=None) -> str:
    return "".join(export_csv(engine, line_id, ContactFilter(list_id=list_id)))


def contacts_of(engine, line_id) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Contact).where(Contact.line_id == line_id)).all()
        return sorted((c.full_name, c.phone, c.email) for c in rows)


HEADER = "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes"


def test_export_starts_with_the_import_format_with_phones_in_e164(engine, line_id):
    make_contacts(engine, line_id, AWKWARD_CONTACTS[:2])
    assert exported(engine, line_id) == (
        f"{HEADER}\r\nJane Doe,+14155552671,jane@example.com,no,,Not sent,,\r\n"
        '"Smith, John",+12125550199,,no,,Not sent,,\r\n'
    )


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(engine, line_id):
    make_contacts(engine, line_id)
    rows = list(csv.reader(io.StringIO(exported(engine, line_id))))[1:]
    for name, _phone, email, *_more in rows:
        assert not name.startswith(("=", "+", "-", "@")) and not email.startswith(("=", "+", "-", "@"))
    assert ['\'=HYPERLINK("http://evil")', "+13055550147", "'=x@example.com"] in [row[:3] for row in rows]


def test_export_of_one_line_imported_into_another_reproduces_its_contacts_exactly(engine, line_id, tmp_path):
    make_contacts(engine, line_id)
    with session_scope(engine) as session:
        account = session.exec(select(Account)).first()
        second = Line(account_id=account.id, name="Second")
        session.add(second)
        session.flush()
        second_id = second.id
    path = tmp_path / "export.csv"
    path.write_text(exported(engine, line_id), encoding="utf-8", newline="")
    report = run_import(engine, path, second_id, ImportOptions(skip_first_line=True))
    assert report.created == len(AWKWARD_CONTACTS)
    assert contacts_of(engine, second_id) == contacts_of(engine, line_id)


def test_export_of_a_list_has_only_its_members(engine, line_id):
    make_contacts(engine, line_id, AWKWARD_CONTACTS[:3])
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        jane = session.exec(select(Contact).where(Contact.full_name == "Jane Doe")).one()
        add_to_list(session, line_id, vip.id, [jane.id])
    assert exported(engine, line_id, vip.id).splitlines() == [
        f"{HEADER},List: VIP",
        "Jane Doe,+14155552671,jane@example.com,no,,Not sent,,,yes",
    ]


def test_export_streams_in_batches_and_misses_no_one_with_equal_names(engine, line_id, monkeypatch):
    monkeypatch.setattr(exporter, "EXPORT_BATCH_ROWS", 3)
    people = [("Same Name", f"212555{i:04d}", "") for i in range(100, 110)] + [("Other", "4155552671", "")]
    make_contacts(engine, line_id, people)
    lines = exported(engine, line_id).splitlines()[1:]
    assert len(lines) == len(set(lines)) == 11
    assert lines[0].startswith("Other,+14155552671,,")


def test_every_column_round_trips_opt_outs_lists_tags_notes_and_custom_fields_included(engine, line_id, tmp_path):
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        for name, kind in (
            ("Company", FieldKind.TEXT),
            ("Visits", FieldKind.NUMBER),
            ("Birthday", FieldKind.DATE),
            ("Member", FieldKind.YES_NO),
        ):
            custom_fields.create_field(session, account_id, name, kind)
        ada = create_contact(
            session,
            line_id,
            ContactInput(
                "Ada Lovelace",
                "(415) 555-2671",
                "ada@example.com",
                notes='Prefers texts after 5pm, says "hi"',
                fields={"Company": "Analytical, Ltd", "Visits": "12", "Birthday": "1815-12-10", "Member": "yes"},
                tags="vip, spring sale",
            ),
        )
        grace = create_contact(session, line_id, ContactInput("Grace Hopper", "212 555 0199", tags="navy"))
        create_contact(session, line_id, ContactInput("Alan Turing", "617 555 0123"))
        vip, news = create_list(session, line_id, "VIP"), create_list(session, line_id, "News; Weekly")
        add_to_list(session, line_id, vip.id, [ada.id, grace.id])
        add_to_list(session, line_id, news.id, [ada.id])
        consent.opt_out(session, grace, consent.Source.MANUAL, actor="boss@example.com")
        second = Line(account_id=account_id, name="Second")
        session.add(second)
        session.flush()
        second_id = second.id
    first_export = exported(engine, line_id)
    path = tmp_path / "contacts.csv"
    path.write_text(first_export, encoding="utf-8", newline="")

    report = run_import(engine, path, second_id, ImportOptions(skip_first_line=True, actor="boss@example.com"))

    assert (report.created, report.opted_out) == (3, 1)
    first, again = (list(csv.DictReader(io.StringIO(text))) for text in (first_export, exported(engine, second_id)))
    assert list(first[0]) == [
        *HEADER.split(","),
        "Company",
        "Visits",
        "Birthday",
        "Member",
        "List: News; Weekly",
        "List: VIP",
    ]
    grace_row = next(row for row in again if row["Full Name"] == "Grace Hopper")
    assert (grace_row["Opted Out"], grace_row["Opted Out Source"]) == ("yes", "Import")
    for row in (*first, *again):
        row.pop("Opted Out Source")
    assert again == first
