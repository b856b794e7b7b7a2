"""Lists, CSV import and export in real Chromium against the real app."""

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from contacts_app.db import session_scope
from contacts_app.domain import custom_fields
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.lists import add_to_list, create_list, find_list
from contacts_app.models import FieldKind
from tests.browser.page_actions import page_action

pytestmark = pytest.mark.browser

GOOD_CSV = 'Full Name,Phone,Email\nJane Doe,(415) 555-2671,jane@example.com\n"Smith, John",212.555.0199,\n'


def seed_list(engine, name: str) -> None:
    with session_scope(engine) as session:
        create_list(session, ensure_default_line(session).id, name)


def open_import(page: Page):
    page.goto("/")
    expect(page.get_by_text(re.compile(r"^\d+ contacts?$"))).to_be_visible()
    page_action(page, "Import")
    dialog = page.get_by_role("dialog", name="Import Contacts")
    expect(dialog).to_be_visible()
    return dialog


def assert_fits_the_screen(page: Page, dialog) -> None:
    """Nothing of the dialog is cut off at the screen's right edge (a phone is 390 px wide)."""
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], box


def list_cards(page: Page):
    return page.get_by_role("list", name="Lists").get_by_role("listitem")


def rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")


def test_upload_file_with_header_ticks_skip_first_line_imports_and_keeps_no_copy(
    page, shot, tmp_path, viewport_name, app_import_dir
):
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(GOOD_CSV)
    # Files other tests' pages left staged (a page closed with a file picked) are the start-up sweep's.
    staged_before = set(app_import_dir.iterdir()) if app_import_dir.exists() else set()
    dialog = open_import(page)
    expect(dialog.get_by_text("To import into a list, first create one on the")).to_be_visible()
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    expect(dialog.get_by_text("customers.csv")).to_be_visible()
    skip = dialog.get_by_role("checkbox", name="Skip First Line")
    expect(skip).to_be_checked()
    expect(dialog.get_by_text("The first line looks like column names, so it is skipped.")).to_be_visible()
    skip.click()
    expect(dialog.get_by_text("The first line looks like a header")).to_be_visible()
    skip.click()
    expect(skip).to_be_checked()
    shot("ready")
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text("Imported: 2 created, 0 updated, 0 unchanged")).to_be_visible()
    shot("imported")
    assert set(app_import_dir.iterdir()) <= staged_before, "the staged upload was kept"
    dialog.get_by_role("button", name="Close").click()
    expect(rows(page)).to_have_count(2)
    expect(rows(page).filter(has_text="Smith, John")).to_contain_text("(212) 555-0199")


def test_sample_csv_downloads_and_the_dialog_stays_open(page, viewport_name):
    dialog = open_import(page)
    with page.expect_download() as download:
        dialog.get_by_role("link", name="Download a sample CSV").click()
    assert download.value.path().read_text().splitlines()[0] == "Full Name,Phone,Email"
    expect(dialog).to_be_visible()
    expect(page.get_by_text("404")).to_have_count(0)


def test_pasted_text_imports_into_the_selected_list(page, shot, app_db):
    seed_list(app_db, "VIP")
    dialog = open_import(page)
    dialog.get_by_label("Or paste CSV text").fill(
        "Ada Lovelace,415 555 0101,ada@example.com\nAlan Turing,+44 20 7946 0958\n"
    )
    dialog.get_by_label("Import Contacts into Selected List").click()
    page.get_by_role("option", name="VIP").click()
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text(re.compile("2 created.*2 added to list"))).to_be_visible()
    shot("into-list")
    page.keyboard.press("Escape")
    page.goto("/lists")
    expect(list_cards(page).filter(has_text="VIP")).to_contain_text("2 contacts")


def test_malformed_file_is_rejected_whole_with_every_problem_listed_once(page, shot, app_db):
    dialog = open_import(page)
    dialog.get_by_label("Or paste CSV text").fill(
        "Good Person,415 555 0101\n,415 555 0102\nBad Phone,1.55501E+10\nBad Mail,415 555 0103,nope@\n"
    )
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_role("alert").filter(has_text="The file was not imported: 3 problems")).to_be_visible()
    expect(dialog.get_by_text("3 problems", exact=True)).to_be_visible()
    problems = dialog.get_by_role("table")
    expect(problems.get_by_role("row")).to_have_count(4)  # header + three problems
    expect(problems).to_contain_text("Line 2, Full Name")
    expect(problems).to_contain_text("Line 3, Phone")
    expect(problems).to_contain_text("scientific notation")
    expect(problems).to_contain_text("Line 4, Email")
    # The dialog says it once: no toast repeats it.
    expect(page.get_by_text("Nothing was imported")).to_have_count(0)
    shot("rejected")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download bad rows").click()
    bad_rows = download.value.path().read_text().splitlines()
    assert bad_rows[0] == "Full Name,Phone,Email,Error"
    assert len(bad_rows) == 4
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_text("0 contacts", exact=True)).to_be_visible()


def test_an_unticked_header_fails_with_one_message(page, app_db):
    dialog = open_import(page)
    dialog.get_by_label("Or paste CSV text").fill("Full Name,Phone,Email\nAda Lovelace,415 555 0101\n")
    skip = dialog.get_by_role("checkbox", name="Skip First Line")
    expect(skip).to_be_checked()
    skip.click()
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text("The file was not imported: 1 problem, listed below.")).to_be_visible()
    expect(dialog.get_by_text(re.compile("looks like a header"))).to_have_count(1)
    expect(page.get_by_text("Nothing was imported")).to_have_count(0)


def test_large_file_shows_progress_and_lands_in_the_list(page, shot, tmp_path, viewport_name):
    if viewport_name == "phone":
        pytest.skip("one large import is enough; the phone layout is covered by the other tests")
    csv_file = tmp_path / "big.csv"
    with csv_file.open("w") as out:
        for i in range(60_000):
            out.write(f"Customer {i:05d},+1 415 {200 + i // 10000:03d} {i % 10000:04d},\n")
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    expect(dialog.get_by_text("big.csv")).to_be_visible()
    dialog.get_by_role("button", name="Import Contacts").click()
    status = dialog.get_by_role("status")
    expect(status).to_contain_text(re.compile(r"Importing… [\d,]+ of \d{2},\d{3} rows"), timeout=20_000)
    expect(dialog.get_by_role("progressbar")).to_be_visible()
    shot("progress")
    expect(dialog.get_by_text(re.compile("Imported: 60,000 created"))).to_be_visible(timeout=120_000)
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_text("60,000 contacts")).to_be_visible()


def test_lists_page_creates_renames_and_deletes_lists(page, shot, app_db):
    page.goto("/lists")
    expect(page.get_by_text("No lists yet")).to_be_visible()
    shot("empty")
    page.get_by_role("button", name="New List").click()
    dialog = page.get_by_role("dialog", name="New List")
    dialog.get_by_role("button", name="Create List").click()
    expect(dialog.get_by_role("alert")).to_contain_text("required")
    dialog.get_by_label("Name").fill("Spring Sale")
    dialog.get_by_label("Description").fill("Customers for the March blast")
    dialog.get_by_role("button", name="Create List").click()
    card = list_cards(page).filter(has_text="Spring Sale")
    expect(card).to_contain_text("0 contacts")
    page.get_by_role("button", name="New List").click()
    page.get_by_role("dialog", name="New List").get_by_label("Name").fill("spring sale")
    page.get_by_role("dialog", name="New List").get_by_role("button", name="Create List").click()
    expect(page.get_by_role("dialog", name="New List").get_by_role("alert")).to_be_visible()
    shot("duplicate-name")
    page.keyboard.press("Escape")
    card.get_by_role("button", name="Rename").click()
    rename = page.get_by_role("dialog", name="Rename List")
    rename.get_by_label("Name").fill("Summer Sale")
    rename.get_by_role("button", name="Save").click()
    expect(list_cards(page).filter(has_text="Summer Sale")).to_be_visible()
    list_cards(page).filter(has_text="Summer Sale").get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No lists yet")).to_be_visible()


def test_select_contacts_and_add_them_to_a_list_then_filter_by_it(page, shot, app_db, viewport_name):
    seed_list(app_db, "Regulars")
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        for i in range(5):
            create_contact(session, line_id, ContactInput(f"Person {i}", f"415 555 01{i:02d}"))
    page.goto("/")
    expect(rows(page)).to_have_count(5)
    page.get_by_role("checkbox", name="Select Person 1").click()
    page.get_by_role("checkbox", name="Select Person 3").click(modifiers=["Shift"])
    selection = page.get_by_role("region", name="Selection")
    expect(selection).to_contain_text("3 selected")
    page.get_by_role("combobox", name="Target list").click()
    page.get_by_role("option", name="Regulars").click()
    selection.get_by_role("button", name="Add to list").click()
    expect(page.get_by_text("3 contacts added to Regulars.")).to_be_visible()
    shot("added")
    page.get_by_role("combobox", name="Filter by list").click()
    page.get_by_role("option", name=re.compile("Regulars")).click()
    expect(rows(page)).to_have_count(3)
    expect(page.get_by_text("3 contacts", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="Select Person 1").click()
    page.get_by_role("button", name="Select all 3 matching").click()
    expect(page.get_by_role("region", name="Selection")).to_contain_text("3 selected")
    page.get_by_role("combobox", name="Target list").click()
    page.get_by_role("option", name="Regulars").click()
    page.get_by_role("button", name="Remove from list").click()
    expect(page.get_by_text("3 contacts removed from Regulars.")).to_be_visible()
    expect(page.get_by_text("0 contacts", exact=True)).to_be_visible()


def test_contact_details_show_and_change_its_lists(page, app_db, viewport_name):
    seed_list(app_db, "Newsletter")
    with session_scope(app_db) as session:
        create_contact(session, ensure_default_line(session).id, ContactInput("Rosa Parks", "415 555 0177"))
    page.goto("/")
    rows(page).filter(has_text="Rosa Parks").click()
    details = page.get_by_role("region", name="Contact details")
    membership = details.get_by_role("checkbox", name="Newsletter")
    expect(membership).not_to_be_checked()
    membership.click()
    expect(membership).to_be_checked()
    page.goto("/lists")
    expect(list_cards(page).filter(has_text="Newsletter")).to_contain_text("1 contact")


def test_export_downloads_the_import_format(page, app_db):
    with session_scope(app_db) as session:
        create_contact(session, ensure_default_line(session).id, ContactInput("Jane Doe", "(415) 555-2671", "J@x.com"))
    page.goto("/")
    expect(rows(page)).to_have_count(1)
    with page.expect_download() as download:
        page_action(page, "Export")
    lines = download.value.path().read_text().splitlines()
    assert lines == [
        "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes",
        "Jane Doe,+14155552671,j@x.com,no,,Not sent,,",
    ]


def test_each_list_exports_its_members(page, app_db):
    seed_list(app_db, "Regulars")
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        member = create_contact(session, line_id, ContactInput("Member Person", "415 555 0111"))
        create_contact(session, line_id, ContactInput("Other Person", "415 555 0112"))
        add_to_list(session, line_id, find_list(session, line_id, "Regulars").id, [member.id])
    page.goto("/lists")
    with page.expect_download() as download:
        list_cards(page).filter(has_text="Regulars").get_by_role("button", name="Export").click()
    assert download.value.path().read_text().splitlines() == [
        "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes,List: Regulars",
        "Member Person,+14155550111,,no,,Not sent,,,yes",
    ]


def test_a_file_with_its_own_column_names_is_matched_in_the_mapping_step(page, shot, tmp_path, viewport_name):
    csv_file = tmp_path / "outlook.csv"
    csv_file.write_text(
        "First Name,Last Name,Company,Business Phone,Mobile Phone\nGrace,Hopper,Navy,(212) 555-0199,(415) 555-0103\n"
    )
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    mapping = dialog.get_by_role("table").filter(has_text="Import as")
    expect(mapping).to_contain_text("Mobile Phone")
    expect(mapping).to_contain_text("(415) 555-0103")
    expect(dialog.get_by_role("combobox", name="What “Mobile Phone” holds")).to_have_text("Phone")
    expect(dialog.get_by_role("combobox", name="What “Company” holds")).to_have_text("Don't import")
    expect(dialog.get_by_role("checkbox", name="Skip First Line")).to_have_count(0)
    shot("proposed")
    dialog.get_by_role("combobox", name="What “Mobile Phone” holds").click()
    page.get_by_role("option", name="Don't import").click()
    dialog.get_by_role("combobox", name="What “Business Phone” holds").click()
    page.get_by_role("option", name="Don't import").click()
    expect(dialog.get_by_text("Choose the column that holds the phone number.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Import Contacts")).to_be_disabled()
    dialog.get_by_role("combobox", name="What “Mobile Phone” holds").click()
    page.get_by_role("option", name="Phone").click()
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text("Imported: 1 created")).to_be_visible()
    shot("imported")
    dialog.get_by_role("button", name="Close").click()
    expect(rows(page).filter(has_text="Grace Hopper")).to_contain_text("(415) 555-0103")


def test_an_exported_file_comes_back_with_opt_outs_fields_tags_and_lists_and_the_mapping_is_remembered(
    page, shot, tmp_path, app_db
):
    seed_list(app_db, "Regulars")
    with session_scope(app_db) as session:
        line = ensure_default_line(session)
        custom_fields.create_field(session, line.account_id, "Company", FieldKind.TEXT)
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes,Company,List: Regulars,Fax\n"
        'Ada Lovelace,(415) 555-0177,,yes,By hand,Not sent,"vip, spring",Call after 5,Analytical,yes,1\n'
        "Alan Turing,(415) 555-0178,,no,,Not sent,,,,,2\n"
    )
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    expect(dialog.get_by_role("combobox", name="What “Company” holds")).to_have_text("Company")
    expect(dialog.get_by_role("combobox", name="What “Opted Out” holds")).to_have_text("Opted out (only opts out)")
    expect(dialog.get_by_role("combobox", name="What “Consent Status” holds")).to_have_text("Don't import")
    expect(dialog.get_by_role("combobox", name="What “List: Regulars” holds")).to_have_text("List: Regulars")
    dialog.get_by_role("combobox", name="What “Fax” holds").click()
    page.get_by_role("option", name="Notes").click()
    dialog.get_by_role("combobox", name="What “Notes” holds").click()
    page.get_by_role("option", name="Don't import").click()
    assert_fits_the_screen(page, dialog)
    shot("mapped")
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text("Imported: 2 created")).to_be_visible()
    expect(dialog.get_by_text("1 opted out")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(rows(page).filter(has_text="Ada Lovelace")).to_contain_text("Opted out")
    rows(page).filter(has_text="Ada Lovelace").click()
    expect(page.get_by_label("Company")).to_have_value("Analytical")
    expect(page.get_by_label("Notes")).to_have_value("1")
    shot("opted-out-with-fields")

    # The next file with those columns is proposed the way the user left it.
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    expect(dialog.get_by_role("combobox", name="What “Fax” holds")).to_have_text("Notes")
    expect(dialog.get_by_role("combobox", name="What “Notes” holds")).to_have_text("Don't import")


def test_a_phone_vcard_and_an_excel_workbook_import_from_the_dialog(page, shot, tmp_path, viewport_name):
    cards = tmp_path / "phone.vcf"
    cards.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
        "TEL;TYPE=WORK,VOICE:(212) 555-0101\r\nTEL;TYPE=CELL:(415) 555-0101\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alan Turing\r\nTEL;TYPE=CELL:(415) 555-0102\r\nEND:VCARD\r\n"
    )
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(cards)
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text(re.compile(r"Imported: 2 created"))).to_be_visible()
    expect(dialog.get_by_text(re.compile("the mobile one was imported"))).to_be_visible()
    shot("vcard-imported")
    dialog.get_by_role("button", name="Close").click()
    expect(rows(page).filter(has_text="Ada Lovelace")).to_contain_text("(415) 555-0101")

    book = Workbook()
    book.active.append(["Mobile", "First Name", "Last Name", "Email"])
    book.active.append([4155550105, "Katherine", "Johnson", "kj@example.com"])
    workbook = tmp_path / "people.xlsx"
    book.save(workbook)
    dialog = open_import(page)
    dialog.get_by_label("Upload File").set_input_files(workbook)
    expect(dialog.get_by_role("combobox", name="What “Mobile” holds")).to_have_text("Phone")
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_text(re.compile(r"Imported: 1 created"))).to_be_visible()
    shot("xlsx-imported")
    dialog.get_by_role("button", name="Close").click()
    expect(rows(page).filter(has_text="Katherine Johnson")).to_contain_text("(415) 555-0105")
