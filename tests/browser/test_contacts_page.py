"""The Contacts page in real Chromium against the real app, at desktop and phone size."""

import re

import pytest
from playwright.sync_api import Page, expect

from contacts_app.db import session_scope
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line, search_contacts

pytestmark = pytest.mark.browser


def seed(engine, *people: tuple[str, str, str]) -> None:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        for name, phone, email in people:
            create_contact(session, line_id, ContactInput(name, phone, email))


def open_page(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* (contacts?|match(es)?)$"))).to_be_visible()


def new_contact_dialog(page: Page):
    page.get_by_role("button", name="New Contact").click()
    dialog = page.get_by_role("dialog", name="New Contact")
    expect(dialog).to_be_visible()
    return dialog


def fill_contact(scope, name: str, phone: str, email: str = "") -> None:
    scope.get_by_label("Full Name").fill(name)
    scope.get_by_label("Phone").fill(phone)
    scope.get_by_label("Email").fill(email)


def contact_rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")


def details(page: Page):
    return page.get_by_role("region", name="Contact details")


def test_empty_line_guides_the_user_to_new_contact(page, shot, viewport_name):
    open_page(page)
    expect(page.get_by_text("No contacts yet").first).to_be_visible()
    expect(page.get_by_text("0 contacts")).to_be_visible()
    # One hint, naming the controls as the top bar shows them at this size.
    hints = page.get_by_text("bring in a spreadsheet").filter(visible=True)
    expect(hints).to_have_count(1)
    if viewport_name == "phone":
        expect(hints).to_have_text(
            "Add your first customer with “New” at the top, "
            "or bring in a spreadsheet from “More”, then “Import contacts…”."
        )
        expect(page.get_by_role("button", name="More")).to_be_visible()
    else:
        expect(hints).to_have_text("Use “New Contact” for one person, or “Import” to bring in a spreadsheet.")
        expect(page.get_by_role("button", name="Import")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^New"))).to_be_visible()
    shot("empty")


def test_add_contact_shows_it_in_the_list_and_opens_its_details(page, shot, viewport_name):
    open_page(page)
    dialog = new_contact_dialog(page)
    expect(dialog.locator(".required-mark").first).to_be_visible()
    fill_contact(dialog, "Jane Doe", "415.555.2671", "Jane.Doe@Example.com")
    shot("filled")
    dialog.get_by_role("button", name="Add Contact").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Jane Doe added.")).to_be_visible()
    expect(details(page).get_by_role("heading", name="Jane Doe")).to_be_visible()
    expect(details(page).get_by_label("Email")).to_have_value("jane.doe@example.com")
    expect(details(page).get_by_text("Not sent")).to_be_visible()
    shot("added")
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    row = contact_rows(page).filter(has_text="Jane Doe")
    expect(row).to_contain_text("(415) 555-2671")
    expect(page.get_by_text("1 contact", exact=True)).to_be_visible()


@pytest.mark.parametrize(
    ("name", "phone", "email", "field", "message"),
    [
        ("", "415 555 2671", "", "Full Name", "Full Name is required."),
        ("Jane Doe", "555-12", "", "Phone", "has too few digits. Enter the whole number with its area code"),
        ("Jane Doe", "call me", "", "Phone", "is not a phone number"),
        ("Jane Doe", "415 555 2671", "jane@", "Email", "Enter an e-mail address like name@example.com."),
    ],
    ids=["missing-name", "invalid-phone", "letters-in-phone", "malformed-email"],
)
def test_new_contact_errors_appear_beside_the_field_and_nothing_is_saved(
    page, shot, app_db, name, phone, email, field, message
):
    open_page(page)
    dialog = new_contact_dialog(page)
    fill_contact(dialog, name, phone, email)
    dialog.get_by_role("button", name="Add Contact").click()
    error = dialog.get_by_role("alert").filter(has_text=message)
    expect(error).to_be_visible()
    expect(dialog.get_by_label(field)).to_have_attribute("aria-invalid", "true")
    shot(field.replace(" ", "-").lower())
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("0 contacts")).to_be_visible()


def test_duplicate_phone_names_the_contact_that_has_it_and_opens_it(page, shot, app_db):
    seed(app_db, ("Ada Lovelace", "+1 415 555 2671", ""))
    open_page(page)
    dialog = new_contact_dialog(page)
    fill_contact(dialog, "Someone Else", "(415) 555-2671")
    page.keyboard.press("Enter")  # Enter submits the form
    expect(dialog.get_by_text("This number already belongs to Ada Lovelace on this line.")).to_be_visible()
    shot("duplicate")
    dialog.get_by_role("button", name="Open Ada Lovelace").click()
    expect(dialog).to_be_hidden()
    expect(details(page).get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("1 contact", exact=True)).to_be_attached()


def test_edit_contact_saves_changes_and_checks_them(page, shot, app_db, viewport_name):
    seed(app_db, ("Grace Hopper", "415 555 0101", ""), ("Alan Turing", "415 555 0102", ""))
    open_page(page)
    contact_rows(page).filter(has_text="Grace Hopper").click()
    panel = details(page)
    expect(panel.get_by_label("Full Name")).to_have_value("Grace Hopper")
    panel.get_by_label("Phone").fill("415 555 0102")
    panel.get_by_role("button", name="Update Contact Details").click()
    expect(panel.get_by_text("This number already belongs to Alan Turing on this line.")).to_be_visible()
    shot("edit-error")
    panel.get_by_label("Full Name").fill("Grace B. Hopper")
    panel.get_by_label("Phone").fill("+1 (415) 555-0199")
    panel.get_by_label("Email").fill("grace@navy.mil")
    panel.get_by_role("button", name="Update Contact Details").click()
    expect(page.get_by_text("Contact details updated.")).to_be_visible()
    expect(panel.get_by_role("heading", name="Grace B. Hopper")).to_be_visible()
    expect(panel.get_by_label("Phone")).to_have_value("(415) 555-0199")
    shot("edited")
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    expect(contact_rows(page).filter(has_text="Grace B. Hopper")).to_contain_text("(415) 555-0199")


def test_opting_out_warns_first_and_cannot_be_undone_by_hand(page, shot, app_db, viewport_name):
    seed(app_db, ("Linus Pauling", "415 555 0150", ""))
    open_page(page)
    contact_rows(page).filter(has_text="Linus Pauling").click()
    box = details(page).get_by_role("checkbox", name="Opted out")
    expect(box).not_to_be_checked()
    box.click()
    warning = page.get_by_role("alertdialog")
    expect(warning).to_contain_text("until they reply START or UNSTOP")
    shot("warning")
    warning.get_by_role("button", name="Cancel").click()
    expect(box).not_to_be_checked()
    box.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Opt Out").click()
    expect(page.get_by_text("Linus Pauling is opted out.")).to_be_visible()
    expect(box).to_be_checked()
    expect(details(page).get_by_text(re.compile("Opted out by owner@example.com on"))).to_be_visible()
    expect(details(page).get_by_text("Only the contact can lift this", exact=False)).to_be_visible()
    expect(details(page).get_by_role("listitem").filter(has_text="Opted out")).to_be_visible()
    shot("opted-out")
    expect(box).to_be_disabled()
    box.click(force=True)  # a determined click still cannot clear it
    page.wait_for_timeout(500)
    expect(box).to_be_checked()
    page.reload()
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    expect(contact_rows(page).filter(has_text="Linus Pauling")).to_contain_text("Opted out")


def test_delete_asks_for_confirmation_then_removes_the_contact(page, shot, app_db):
    seed(app_db, ("Marie Curie", "415 555 0160", ""), ("Pierre Curie", "415 555 0161", ""))
    open_page(page)
    row = contact_rows(page).filter(has_text="Marie Curie")
    row.get_by_role("button", name="Action for Marie Curie").click()
    page.get_by_role("menuitem", name="Delete").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Delete Marie Curie?")
    shot("confirm")
    confirm.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Action for Marie Curie").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Marie Curie deleted.")).to_be_visible()
    expect(row).to_have_count(0)
    expect(page.get_by_text("1 contact", exact=True)).to_be_visible()
    shot("deleted")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", ["Ada Lovelace"]),
        ("415 555", ["Ada Lovelace", "Grace Hopper"]),
        ("(415)", ["Ada Lovelace", "Grace Hopper"]),
        ("+1415555", ["Ada Lovelace", "Grace Hopper"]),
        ("0101", ["Grace Hopper"]),
        ("navy.mil", ["Grace Hopper"]),
        ("zzz", []),
    ],
    ids=["name", "spaced-digits", "area-code", "e164-prefix", "last-four", "email", "no-match"],
)
def test_search_matches_name_email_and_phone_however_typed(page, shot, app_db, query, expected):
    seed(
        app_db,
        ("Ada Lovelace", "415 555 2671", "ada@example.com"),
        ("Grace Hopper", "(415) 555-0101", "grace@navy.mil"),
        ("Alan Turing", "+44 20 7946 0958", "alan@example.co.uk"),
    )
    open_page(page)
    expect(contact_rows(page)).to_have_count(3)
    page.get_by_label("Search contacts").fill(query)
    count = f"{len(expected)} {'match' if len(expected) == 1 else 'matches'}"
    expect(page.get_by_text(count, exact=True)).to_be_visible()
    expect(contact_rows(page)).to_have_count(len(expected))
    for name in expected:
        expect(contact_rows(page).filter(has_text=name)).to_be_visible()
    if not expected:
        expect(page.get_by_text(f"No contacts match “{query}”.")).to_be_visible()
    shot(f"search-{query}")


def test_international_numbers_show_in_international_format(page, app_db):
    seed(app_db, ("Alan Turing", "+44 20 7946 0958", ""))
    open_page(page)
    expect(contact_rows(page).filter(has_text="Alan Turing")).to_contain_text("+44 20 7946 0958")


def test_arrow_keys_move_through_the_list(page, app_db, viewport_name):
    if viewport_name == "phone":
        pytest.skip("phones have no arrow keys; the details cover the list")
    seed(app_db, ("Ann A", "415 555 0001", ""), ("Ben B", "415 555 0002", ""), ("Cat C", "415 555 0003", ""))
    open_page(page)
    contact_rows(page).filter(has_text="Ann A").click()
    expect(details(page).get_by_role("heading", name="Ann A")).to_be_visible()
    ann = contact_rows(page).filter(has_text="Ann A").get_by_role("button", name=re.compile("^Ann A"))
    expect(ann).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(details(page).get_by_role("heading", name="Ben B")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(details(page).get_by_role("heading", name="Cat C")).to_be_visible()
    page.keyboard.press("ArrowUp")
    expect(details(page).get_by_role("heading", name="Ben B")).to_be_visible()
    ben = contact_rows(page).filter(has_text="Ben B").get_by_role("button", name=re.compile("^Ben B"))
    expect(ben).to_have_attribute("aria-current", "true")
    expect(ben).to_be_focused()  # focus follows, so the next key goes on from here
    expect(ann).to_have_attribute("aria-current", "false")


def test_list_pages_through_many_contacts(page, app_db, shot):
    seed(app_db, *[(f"Person {i:03d}", f"415 555 {i:04d}", "") for i in range(120)])
    open_page(page)
    expect(page.get_by_text("120 contacts")).to_be_visible()
    expect(contact_rows(page)).to_have_count(50)
    expect(page.get_by_text("1–50 of 120")).to_be_visible()
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("51–100 of 120")).to_be_visible()
    expect(contact_rows(page).first).to_contain_text("Person 050")
    shot("page-2")


def test_phone_details_cover_the_list_and_back_returns_to_the_same_place(page, app_db, shot, viewport_name):
    if viewport_name != "phone":
        pytest.skip("the full-screen details are the phone layout")
    seed(app_db, *[(f"Person {i:03d}", f"415 555 {i:04d}", "") for i in range(40)])
    open_page(page)
    listbox = page.get_by_role("list", name="Contacts")
    contact_rows(page).filter(has_text="Person 030").scroll_into_view_if_needed()
    scrolled = listbox.evaluate("el => el.scrollTop")
    assert scrolled > 0
    contact_rows(page).filter(has_text="Person 030").click()
    expect(details(page).get_by_role("heading", name="Person 030")).to_be_visible()
    expect(listbox).to_be_hidden()
    shot("details-full-screen")
    page.get_by_role("button", name="Back to contacts").click()
    expect(details(page)).to_have_count(0)
    expect(contact_rows(page).filter(has_text="Person 030")).to_be_in_viewport()
    assert listbox.evaluate("el => el.scrollTop") == scrolled
    shot("back-in-list")


def test_changes_by_others_show_without_a_reload(page, app_db, viewport_name):
    if viewport_name == "phone":
        pytest.skip("the refresh is the same at every size")
    seed(app_db, ("Ada Lovelace", "415 555 2671", ""))
    open_page(page)
    contact_rows(page).filter(has_text="Ada Lovelace").click()
    seed(app_db, ("Grace Hopper", "415 555 0101", ""))  # another user, the API or an import
    expect(contact_rows(page).filter(has_text="Grace Hopper")).to_be_visible(timeout=8_000)
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        ada = search_contacts(session, line_id, ContactFilter(query="ada")).rows[0]
        opt_out(session, ada, Source.KEYWORD, detail="STOP")
    expect(details(page).get_by_role("checkbox", name="Opted out")).to_be_checked(timeout=8_000)
    expect(contact_rows(page).filter(has_text="Ada Lovelace")).to_contain_text("Opted out")
