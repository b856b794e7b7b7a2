"""Files people actually have: other column orders and names, Google/Outlook/Mailchimp exports,
phone vCards, Excel workbooks and non-UTF-8 text, imported with the proposed column mapping."""

import pytest
from openpyxl import Workbook
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain.column_mapping import (
    MappingError,
    Target,
    parse_mapping,
    positional_mapping,
    propose_mapping,
)
from contacts_app.domain.importer import ImportOptions, ImportRejected, file_header, run_import
from contacts_app.models import Contact

GOOGLE_HEADER = (
    "Name,Given Name,Additional Name,Family Name,Nickname,Birthday,Notes,"
    "E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value"
)
OUTLOOK_HEADER = "First Name,Middle Name,Last Name,Company,E-mail Address,Business Phone,Home Phone,Mobile Phone"
MAILCHIMP_HEADER = "Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,TAGS"


def contacts_of(engine, line_id: int) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Contact).where(Contact.line_id == line_id).order_by(Contact.phone)).all()
        return [(c.full_name, c.phone, c.email) for c in rows]


def import_with_proposal(engine, line_id, path) -> str:
    headers = file_header(path)
    assert headers is not None
    mapping = propose_mapping(headers)
    return run_import(engine, path, line_id, ImportOptions(mapping=mapping)).summary()


def test_headers_are_matched_ignoring_case_spaces_punctuation_and_synonyms():
    mapping = propose_mapping(["PHONE NUMBER", "e-mail address", "Given Name", "Surname", "Company"])
    assert mapping.targets == (Target.PHONE, Target.EMAIL, Target.FIRST_NAME, Target.LAST_NAME, Target.SKIP)
    assert propose_mapping(["Cell", "Name"]).targets == (Target.PHONE, Target.FULL_NAME)


def test_a_mobile_column_is_preferred_over_other_phones():
    mapping = propose_mapping(["Name", "Business Phone", "Mobile Phone"])
    assert mapping.apply(["Ada", "212 555 0101", "415 555 0102"]) == ["Ada", "415 555 0102", ""]
    assert mapping.apply(["Ada", "212 555 0101", ""]) == ["Ada", "212 555 0101", ""]


def test_first_and_last_name_are_joined_into_the_full_name():
    mapping = propose_mapping(["Phone", "First Name", "Last Name"])
    assert mapping.apply(["415 555 0101", "Ada", "Lovelace"]) == ["Ada Lovelace", "415 555 0101", ""]


@pytest.mark.parametrize(
    "headers",
    [
        ["Phone", "First Name", "Last Name", "Email"],
        ["Name", "Mobile", "Surname"],
        ["Mobile Phone", "Name", "Given Name", "Family Name"],
        ["Name", "Business Phone", "Mobile Phone"],
    ],
)
def test_a_batch_of_rows_is_turned_into_the_import_format_as_each_row_alone(headers):
    mapping = propose_mapping(headers)
    rows = [
        ["415 555 0101", " Ada ", "Lovelace", "ada@example.com"],
        ["", "", "", ""],
        ["415 555 0102", "", "Byron", " "],
        ["415 555 0103", "Charles", "", "c@example.com", "more"],
    ]
    assert [list(row) for row in mapping.apply_all(rows)] == [mapping.apply(row) for row in rows]
    # A short row: every row is then turned on its own.
    ragged = [*rows, ["415 555 0104"]]
    assert [list(row) for row in mapping.apply_all(ragged)] == [mapping.apply(row) for row in ragged]


def test_a_file_ordered_phone_name_email_imports(engine, line_id, tmp_path):
    path = tmp_path / "reordered.csv"
    path.write_text("Phone,Name,Email\n415 555 0101,Ada Lovelace,ada@example.com\n")
    assert import_with_proposal(engine, line_id, path).startswith("1 created")
    assert contacts_of(engine, line_id) == [("Ada Lovelace", "+14155550101", "ada@example.com")]


def test_a_google_contacts_export_imports_in_one_step(engine, line_id, tmp_path):
    path = tmp_path / "google.csv"
    path.write_text(
        GOOGLE_HEADER + "\n"
        "Ada Lovelace,Ada,,Lovelace,,,,* Home,ada@example.com,Mobile,+1 415-555-0101,,\n"
        "Alan Turing,Alan,,Turing,,,,,,Work,,Mobile,(212) 555-0102\n"
    )
    import_with_proposal(engine, line_id, path)
    assert contacts_of(engine, line_id) == [
        ("Alan Turing", "+12125550102", None),
        ("Ada Lovelace", "+14155550101", "ada@example.com"),
    ]


def test_an_outlook_export_takes_the_mobile_phone(engine, line_id, tmp_path):
    path = tmp_path / "outlook.csv"
    path.write_text(OUTLOOK_HEADER + "\nGrace,,Hopper,Navy,grace@example.com,(212) 555-0199,,(415) 555-0103\n")
    import_with_proposal(engine, line_id, path)
    assert contacts_of(engine, line_id) == [("Grace Hopper", "+14155550103", "grace@example.com")]


def test_a_mailchimp_audience_export_imports(engine, line_id, tmp_path):
    path = tmp_path / "mailchimp.csv"
    path.write_text(
        MAILCHIMP_HEADER + "\n"
        'hedy@example.com,Hedy,Lamarr,"1 Main St, Vienna",415-555-0104,2,2024-01-02 10:00:00,"VIP"\n'
    )
    import_with_proposal(engine, line_id, path)
    assert contacts_of(engine, line_id) == [("Hedy Lamarr", "+14155550104", "hedy@example.com")]


def test_a_phone_vcard_takes_each_cards_mobile_number_and_says_so(engine, line_id, tmp_path):
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
        "TEL;TYPE=WORK,VOICE:(212) 555-0101\r\nTEL;TYPE=CELL:(415) 555-0101\r\n"
        "EMAIL;TYPE=INTERNET:ada@example.com\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nN:Turing;Alan;;;\r\nTEL;VALUE=uri;TYPE=home:tel:+1-212-555-0102\r\n"
        "END:VCARD\r\n"
    )
    report = run_import(engine, path, line_id)
    assert contacts_of(engine, line_id) == [
        ("Alan Turing", "+12125550102", None),
        ("Ada Lovelace", "+14155550101", "ada@example.com"),
    ]
    assert "1 card has several phone numbers: the mobile one was imported" in report.summary()


def test_a_vcard_with_a_bad_number_names_the_line_its_card_starts_on(engine, line_id, tmp_path):
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nTEL:415 555 0101\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Bad\nTEL:12\nEND:VCARD\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    assert (rejected.value.problems[0].line, rejected.value.problems[0].column) == (6, "Phone")


def test_an_excel_workbook_imports_with_the_same_rules(engine, line_id, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Mobile", "First Name", "Last Name", "Email"])
    sheet.append([4155550105, "Katherine", "Johnson", "kj@example.com"])
    sheet.append(["(212) 555-0106", "Dorothy", "Vaughan", None])
    path = tmp_path / "people.xlsx"
    book.save(path)
    import_with_proposal(engine, line_id, path)
    assert contacts_of(engine, line_id) == [
        ("Dorothy Vaughan", "+12125550106", None),
        ("Katherine Johnson", "+14155550105", "kj@example.com"),
    ]


def test_an_excel_row_with_a_bad_phone_is_reported_by_its_row_number(engine, line_id, tmp_path):
    book = Workbook()
    book.active.append(["Name", "Phone"])
    book.active.append(["Ada", "415 555 0101"])
    book.active.append(["Bad", "12"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id, ImportOptions(mapping=propose_mapping(["Name", "Phone"])))
    assert str(rejected.value.problems[0]).startswith("Line 3, Phone")


def test_a_windows_1252_file_is_detected_and_the_report_names_it(engine, line_id, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("José Müller,4155550107,jose@example.com\nRenée Ørsted,2125550108\n".encode("cp1252"))
    report = run_import(engine, path, line_id)
    assert "Read as Windows-1252." in report.summary()
    assert ("José Müller", "+14155550107", "jose@example.com") in contacts_of(engine, line_id)


def test_map_option_overrides_the_proposal_and_names_unknown_columns():
    headers = ["Mobile", "Given Name", "Family Name", "Company"]
    mapping = parse_mapping("Mobile=phone, Company=full_name, Given Name=skip", headers)
    assert mapping.targets == (Target.PHONE, Target.SKIP, Target.LAST_NAME, Target.FULL_NAME)
    with pytest.raises(MappingError, match="no column “Fax”"):
        parse_mapping("Fax=phone", headers)
    with pytest.raises(MappingError, match="not something a column can hold"):
        parse_mapping("Mobile=pager", headers)


def test_a_cyrillic_windows_file_is_read_as_what_it_is(engine, line_id, tmp_path):
    path = tmp_path / "russian.csv"
    rows = ["Иван Петров,4155550109", "Мария Сидорова,2125550110", "Алексей Смирнов,2125550111"] * 5
    path.write_bytes(("\n".join(rows) + "\n").encode("cp1251"))
    run_import(engine, path, line_id, ImportOptions())
    assert ("Иван Петров", "+14155550109", None) in contacts_of(engine, line_id)


def test_the_sample_format_is_read_by_position_without_a_mapping():
    assert positional_mapping().apply(["Ada", "415 555 0101", "a@example.com"]) == [
        "Ada",
        "415 555 0101",
        "a@example.com",
    ]
    assert propose_mapping(["Full Name", "Phone", "Email"]).targets == (Target.FULL_NAME, Target.PHONE, Target.EMAIL)


def test_a_dry_run_checks_the_mapped_file_and_writes_nothing(engine, line_id, tmp_path):
    path = tmp_path / "reordered.csv"
    path.write_text("Phone,Name\n415 555 0101,Ada\n12,Bad\n")
    options = ImportOptions(mapping=propose_mapping(["Phone", "Name"]), dry_run=True, skip_invalid=True)
    report = run_import(engine, path, line_id, options)
    assert report.summary().startswith("1 rows ready to import, nothing written; 1 invalid rows would be skipped")
    assert contacts_of(engine, line_id) == []
