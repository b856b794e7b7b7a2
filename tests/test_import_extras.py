"""What a mapped file brings beyond name, phone and e-mail: custom-field values, tags, lists, notes
and opt-outs, checked per cell and written with the rows, all or nothing."""

import json
import pickle

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import custom_fields, importer, tags
from contacts_app.domain.column_mapping import propose_mapping
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, search_contacts
from contacts_app.domain.import_extras import ExtrasSpec, check_extras_batch
from contacts_app.domain.importer import ImportOptions, ImportRejected, run_import
from contacts_app.models import Account, Contact, ContactFieldValue, CustomField, FieldKind

FIELDS = (
    ("Company", FieldKind.TEXT),
    ("Visits", FieldKind.NUMBER),
    ("Birthday", FieldKind.DATE),
    ("Member", FieldKind.YES_NO),
)
HEADER = "Mobile,Given Name,Family Name,Company,Visits,Birthday,Member"


@pytest.fixture
def fields(engine, line_id) -> dict[str, int]:
    with session_scope(engine) as session:
        account_id = session.exec(select(Account.id)).one()
        made = [custom_fields.create_field(session, account_id, name, kind) for name, kind in FIELDS]
        return {field.name: field.id for field in made}


def import_mapped(engine, line_id, tmp_path, text: str, **options):
    path = tmp_path / "mapped.csv"
    path.write_text(text, encoding="utf-8")
    headers = text.splitlines()[0].split(",")
    mapping = propose_mapping(headers, [name for name, _kind in FIELDS])
    return run_import(engine, path, line_id, ImportOptions(mapping=mapping, actor="boss@example.com", **options))


def stored_values(engine, line_id) -> dict[str, dict[str, tuple[str, str]]]:
    """Each contact's (by name) values as (value, value_key) by field name, read from the contacts;
    the filter's lookup rows of the line's contacts must say the same."""
    with session_scope(engine) as session:
        names = {custom.id: custom.name for custom in session.exec(select(CustomField))}
        contacts = session.exec(
            select(Contact.id, Contact.full_name, Contact.field_values).where(Contact.line_id == line_id)
        ).all()
        lookup = session.exec(
            select(ContactFieldValue.contact_id, ContactFieldValue.field_id, ContactFieldValue.value_key)
        ).all()
    found: dict[str, dict[str, tuple[str, str]]] = {}
    expected_lookup = set()
    for contact_id, name, field_values in contacts:
        for field_id, member in json.loads(field_values or "{}").items():
            value, key = (member, member) if isinstance(member, str) else member
            found.setdefault(name, {})[names[int(field_id)]] = (value, key)
            expected_lookup.add((contact_id, int(field_id), key))
    ids = {contact_id for contact_id, _name, _values in contacts}
    assert {row for row in lookup if row[0] in ids} == expected_lookup
    return found


def test_a_mapped_file_fills_custom_fields_in_their_canonical_form(engine, line_id, fields, tmp_path):
    report = import_mapped(
        engine,
        line_id,
        tmp_path,
        f"{HEADER}\n"
        '2125550101,Ada,Lovelace, Analytical  Engines ,"1,200.50",1815-12-10,Y\n'
        "2125550102,Zoë,Brontë,ZOË & CO,007,,no\n"
        "2125550103,Cat,Stevens,,,,\n"
        '2125550104,Dan,Brown,"Ünïcode ""Ltd"" \\ 1",-3,2026-02-28,TRUE\n',
    )

    assert report.created == 4
    assert stored_values(engine, line_id) == {
        "Ada Lovelace": {
            "Company": ("Analytical Engines", "analytical engines"),
            "Visits": ("1200.5", "1200.5"),
            "Birthday": ("1815-12-10", "1815-12-10"),
            "Member": ("yes", "yes"),
        },
        "Zoë Brontë": {"Company": ("ZOË & CO", "zoë & co"), "Visits": ("7", "7"), "Member": ("no", "no")},
        "Dan Brown": {
            "Company": ('Ünïcode "Ltd" \\ 1', 'ünïcode "ltd" \\ 1'),
            "Visits": ("-3", "-3"),
            "Birthday": ("2026-02-28", "2026-02-28"),
            "Member": ("yes", "yes"),
        },
    }
    with session_scope(engine) as session:
        by_value = ContactFilter(field_id=fields["Company"], field_value="zoë & co")
        assert [c.full_name for c in search_contacts(session, line_id, by_value).rows] == ["Zoë Brontë"]


def test_a_mapped_file_replaces_the_values_it_has_and_keeps_the_others(engine, line_id, fields, tmp_path):
    with session_scope(engine) as session:
        create_contact(
            session,
            line_id,
            ContactInput(
                "Ada Lovelace", "2125550101", fields={"Company": "Old Co", "Visits": "3", "Birthday": "1815-12-10"}
            ),
        )

    import_mapped(engine, line_id, tmp_path, f"{HEADER}\n2125550101,Ada,Lovelace,New Co,4,,yes\n")

    assert stored_values(engine, line_id) == {
        "Ada Lovelace": {
            "Company": ("New Co", "new co"),
            "Visits": ("4", "4"),
            "Birthday": ("1815-12-10", "1815-12-10"),
            "Member": ("yes", "yes"),
        }
    }


def test_a_field_deleted_after_the_file_was_checked_gets_no_values(engine, line_id, fields, tmp_path, monkeypatch):
    """A value has no foreign key to its field: the import writes only fields that still exist."""
    write_import = importer.write_import

    def company_deleted_meanwhile(*args, **kwargs):
        with session_scope(engine) as session:
            account_id = session.exec(select(Account.id)).one()
            custom_fields.delete_field(session, account_id, fields["Company"])
        return write_import(*args, **kwargs)

    monkeypatch.setattr(importer, "write_import", company_deleted_meanwhile)
    report = import_mapped(engine, line_id, tmp_path, f"{HEADER}\n2125550101,Ada,Lovelace,Acme,4,,yes\n")

    assert report.created == 1
    assert stored_values(engine, line_id) == {"Ada Lovelace": {"Visits": ("4", "4"), "Member": ("yes", "yes")}}
    with session_scope(engine) as session:
        assert (
            session.exec(select(ContactFieldValue).where(ContactFieldValue.field_id == fields["Company"])).all() == []
        )


def test_a_phone_twice_in_the_file_gets_the_later_rows_values(engine, line_id, fields, tmp_path):
    report = import_mapped(
        engine, line_id, tmp_path, f"{HEADER}\n2125550101,Ada,Lovelace,First Co,1,,\n2125550101,Ada,L,Second Co,,,no\n"
    )

    assert report.merged == 1
    assert stored_values(engine, line_id) == {"Ada L": {"Company": ("Second Co", "second co"), "Member": ("no", "no")}}


def test_every_bad_cell_is_reported_by_line_and_column_and_nothing_is_written(engine, line_id, fields, tmp_path):
    with pytest.raises(ImportRejected) as caught:
        import_mapped(
            engine,
            line_id,
            tmp_path,
            f"{HEADER}\n2125550101,Ada,Lovelace,AE,many,10/12/1815,maybe\n2125550102,Bob,Smith,{'x' * 501},1,,yes\n",
        )

    assert [(p.line, p.column, p.value, p.reason) for p in caught.value.problems] == [
        (2, "Visits", "many", "Visits must be a number, like 42 or 3.5 (not “many”)."),
        (2, "Birthday", "10/12/1815", "Birthday must be a date written like 2026-03-31 (not “10/12/1815”)."),
        (2, "Member", "maybe", "Member must be yes or no (not “maybe”)."),
        (3, "Company", "x" * 200, "Company is too long (501 characters; the limit is 500)."),
    ]
    assert caught.value.problems[0].row == ("Ada Lovelace", "2125550101", "")
    assert stored_values(engine, line_id) == {}
    with session_scope(engine) as session:
        assert session.exec(select(Contact)).all() == []


def test_skipping_invalid_rows_leaves_out_a_row_with_a_bad_cell(engine, line_id, fields, tmp_path):
    report = import_mapped(
        engine,
        line_id,
        tmp_path,
        f"{HEADER}\n2125550101,Ada,Lovelace,AE,lots,,\n2125550102,Bob,Smith,BS,2,,\n",
        skip_invalid=True,
    )

    assert (report.created, report.skipped) == (1, 1)
    assert stored_values(engine, line_id) == {"Bob Smith": {"Company": ("BS", "bs"), "Visits": ("2", "2")}}


def test_tags_lists_notes_and_opt_outs_come_in_with_the_rows(engine, line_id, fields, tmp_path):
    report = import_mapped(
        engine,
        line_id,
        tmp_path,
        "Mobile,Name,Tags,Lists,Notes,Opted Out,List: VIP,Company\n"
        '2125550101,Ada,"vip, Spring",Newsletter; Local,Likes tea,yes,yes,AE\n'
        "2125550102,Bob,,,,no,no,\n",
    )

    assert (report.created, report.opted_out, report.tagged, report.added_to_lists) == (2, 1, 2, 3)
    assert sorted(report.lists_created) == ["Local", "Newsletter", "VIP"]
    with session_scope(engine) as session:
        ada, bob = session.exec(select(Contact).where(Contact.line_id == line_id).order_by(Contact.phone)).all()
        assert (ada.opted_out, ada.opted_out_by, ada.notes) == (True, "boss@example.com", "Likes tea")
        assert (bob.opted_out, bob.notes) == (False, "")
        assert tags.tags_of(session, ada.id) == ["Spring", "vip"]
    assert stored_values(engine, line_id) == {"Ada": {"Company": ("AE", "ae")}}


def check_extras(line: int, cells: list[str], spec: ExtrasSpec, row: list[str]):
    """One row's extras, values and problems, as a batch of one."""
    extras, values, problems = check_extras_batch([(line, cells)], [row], spec)
    return extras[0], values[0], problems.get(line, [])


def test_an_extras_spec_checks_the_same_after_a_trip_to_a_worker_process():
    fields = [CustomField(id=7, account_id=1, name="Visits", name_key="visits", kind=FieldKind.NUMBER)]
    mapping = propose_mapping(["Mobile", "Name", "Visits"], ["Visits"])
    spec = ExtrasSpec.of(mapping, fields)
    assert spec is not None
    before = check_extras(2, ["2125550101", "Ada", "1,000"], spec, ["Ada", "+12125550101", ""])
    travelled = pickle.loads(pickle.dumps(spec))

    assert travelled == spec
    assert check_extras(2, ["2125550101", "Ada", "1,000"], travelled, ["Ada", "+12125550101", ""]) == before
    assert check_extras(3, ["2125550102", "Bob", "x"], travelled, ["Bob", "+12125550102", ""])[2][0].reason == (
        "Visits must be a number, like 42 or 3.5 (not “x”)."
    )


def test_a_batch_of_rows_gets_the_same_values_and_problems_as_each_row_alone():
    fields = [
        CustomField(id=3, account_id=1, name="Company", name_key="company", kind=FieldKind.TEXT),
        CustomField(id=4, account_id=1, name="Visits", name_key="visits", kind=FieldKind.NUMBER),
        CustomField(id=5, account_id=1, name="Member", name_key="member", kind=FieldKind.YES_NO),
    ]
    headers = ["Mobile", "Name", "Company", "Visits", "Member", "Tags", "Org"]
    mapping = propose_mapping(headers, ["Company", "Visits", "Member"])
    unique = ExtrasSpec.of(mapping, fields)
    assert unique is not None
    valid = [(2, ["2125550101", "Ada", "Acme", "12", "yes"]), (3, ["2125550102", "Bob", "ÉCOLE", "", "n", "a, b"])]
    assert check_extras_batch(valid, [[], []], unique) == (
        [None, '{"t":["a","b"]}'],
        ['{"3":["Acme","acme"],"4":"12","5":"yes"}', '{"3":["ÉCOLE","école"],"5":"no"}'],
        {},
    )
    # Two columns fill Company (the later one with a value wins).
    mapping = type(mapping).of([*mapping.targets[:-1], mapping.targets[2]], headers=headers)
    spec = ExtrasSpec.of(mapping, fields)
    assert spec is not None
    cells = [
        ["2125550101", "Ada", "Acme", "12", "yes", "vip", ""],
        ["2125550102", "Bob", "Acme", "1,000", "No", "", "Globex"],
        ["2125550103", "Cy", "  Ünïcode  Co ", "x", "maybe", "", ""],
        ["2125550104", "Di", "", "", "", "", ""],
        ["2125550105", "Ed"],
        *(["2125550106", "Fay", f"Shop {n}", str(n), "y", "", ""] for n in range(1_200)),
    ]
    records = [(line, row) for line, row in enumerate(cells, start=2)]
    rows = [mapping.apply(row) for row in cells]

    extras, values, problems = check_extras_batch(records, rows, spec)
    batch = [(extras[n], values[n], problems.get(line, [])) for n, (line, _row) in enumerate(records)]

    alone = [check_extras(line, row, spec, imported) for (line, row), imported in zip(records, rows, strict=True)]
    assert batch == alone
    assert batch[0] == ('{"t":["vip"]}', '{"3":["Acme","acme"],"4":"12","5":"yes"}', [])
    assert batch[1][1] == '{"3":["Globex","globex"],"4":"1000","5":"no"}'
    assert [(p.line, p.column, p.value) for p in batch[2][2]] == [(4, "Visits", "x"), (4, "Member", "maybe")]
    assert batch[3] == (None, None, []) and batch[4] == (None, None, [])
