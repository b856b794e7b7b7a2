"""axe-core (WCAG 2.1 A and AA) on every page and every open dialog, at desktop and phone size.

Any violation fails the test with axe's own report (rule, impact, the offending element).
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import api_keys, custom_fields, lines, users, webhooks
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.lists import create_list
from contacts_app.models import Role, User
from tests.browser.conftest import ADMIN_EMAIL
from tests.browser.page_actions import page_action
from tests.browser.test_blasts import compose, open_blasts, seed_lists
from tests.browser.test_reminders import add_ann, open_reminders

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
AXE = Axe()
TOASTS_MOUNTED = "[...document.querySelectorAll('[data-sonner-toast]')].every(t => t.dataset.mounted === 'true')"


def assert_accessible(page: Page, where: str) -> None:
    # Dialogs fade in and colours are judged as painted: wait until nothing is animating.
    # A toast fades in once mounted: wait for that too, or axe reads its text half-transparent.
    page.wait_for_function(TOASTS_MOUNTED)
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    violations = AXE.run(page, options=WCAG_21_AA).response["violations"]
    if violations:
        pytest.fail(f"{where}:\n" + "\n".join(describe(v) for v in violations), pytrace=False)


def describe(violation: dict) -> str:
    """One violation in a few lines: the rule, its impact, and each element with axe's reason."""
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"]:
        reasons = [check["message"] for kind in ("any", "all", "none") for check in node.get(kind, [])]
        lines.append(f"  {node['target']}: {node['html'][:160]}")
        lines.append(f"    {reasons[0] if reasons else ''}")
    return "\n".join(lines)


def seed_people(engine) -> None:
    with session_scope(engine) as session:
        line = ensure_default_line(session)
        line_id = line.id
        custom_fields.create_field(session, line.account_id, "Company", "text")
        create_contact(
            session,
            line_id,
            ContactInput(
                "Ada Lovelace",
                "415 555 0101",
                "ada@example.com",
                notes="Prefers mornings.",
                fields={"Company": "Analytical Engines"},
                tags="VIP, spring sale",
            ),
        )
        quitter = create_contact(session, line_id, ContactInput("Blaise Pascal", "415 555 0102"))
        opt_out(session, quitter, Source.KEYWORD, detail="STOP")
        create_list(session, line_id, "VIP")


def open_contacts(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* contacts?$"))).to_be_visible()


def rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")


def back_to_list(page: Page, viewport_name: str) -> None:
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()


def close_dialog(page: Page) -> None:
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("alertdialog")).to_have_count(0)


def test_contacts_page_with_no_contacts_is_accessible(page):
    open_contacts(page)
    assert_accessible(page, "empty Contacts page")


def test_contacts_page_and_its_dialogs_are_accessible(page, app_db, viewport_name, tmp_path):
    seed_people(app_db)
    open_contacts(page)
    assert_accessible(page, "Contacts page")

    rows(page).filter(has_text="Ada Lovelace").get_by_role("checkbox").click()
    expect(page.get_by_role("region", name="Selection")).to_be_visible()
    assert_accessible(page, "Contacts page with a selection")
    selection = page.get_by_role("region", name="Selection")
    selection.get_by_label("Tag for the selected contacts").fill("regular")
    selection.get_by_role("button", name="Add tag").click()
    expect(page.get_by_text("“regular” added to 1 contact.")).to_be_visible()
    assert_accessible(page, "a bulk tag and its toast")
    rows(page).filter(has_text="Ada Lovelace").get_by_role("checkbox").click()
    page.get_by_role("button", name="Delete the selected contacts").click()
    expect(page.get_by_role("alertdialog", name="Delete the selected contacts?")).to_be_visible()
    assert_accessible(page, "the bulk delete confirmation")
    close_dialog(page)

    page.get_by_text("Sort and filter").click()
    page.get_by_role("combobox", name="Tag").click()
    page.get_by_role("option", name="Tag: VIP").click()
    expect(rows(page)).to_have_count(1)
    page.get_by_role("combobox", name="Custom field").click()
    page.get_by_role("option", name="Company").click()
    expect(page.get_by_label("Custom field value")).to_be_visible()
    assert_accessible(page, "the sort and filter panel in use")
    page.get_by_role("button", name="Clear filters").click()
    expect(rows(page)).to_have_count(2)

    rows(page).filter(has_text="Blaise Pascal").get_by_text("Blaise Pascal").click()
    expect(page.get_by_role("region", name="Contact details")).to_be_visible()
    assert_accessible(page, "an opted-out contact's details")
    back_to_list(page, viewport_name)

    rows(page).filter(has_text="Ada Lovelace").get_by_text("Ada Lovelace").click()
    details = page.get_by_role("region", name="Contact details")
    expect(details.get_by_label("Email")).to_have_value("ada@example.com")
    expect(details.get_by_label("Company")).to_have_value("Analytical Engines")
    assert_accessible(page, "a contact's details with a custom field, tags and notes")
    details.get_by_label("Email").fill("not an address")
    details.get_by_role("button", name="Update Contact Details").click()
    expect(details.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "a contact's details with an error")

    details.get_by_role("checkbox", name="Opted out").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the opt-out confirmation")
    close_dialog(page)
    # Leaving the unsaved e-mail asks first.
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    else:
        rows(page).filter(has_text="Blaise Pascal").get_by_text("Blaise Pascal").click()
    discard = page.get_by_role("alertdialog", name="Discard unsaved changes?")
    expect(discard).to_be_visible()
    assert_accessible(page, "the discard unsaved changes question")
    discard.get_by_role("button", name="Discard Changes").click()
    expect(discard).to_be_hidden()

    rows(page).filter(has_text="Ada Lovelace").get_by_role("button", name="Action for Ada Lovelace").click()
    expect(page.get_by_role("menu")).to_be_visible()
    assert_accessible(page, "a row's action menu")
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the delete confirmation")
    close_dialog(page)

    page.get_by_role("button", name="New Contact").click()
    dialog = page.get_by_role("dialog", name="New Contact")
    dialog.get_by_role("button", name="Add Contact").click()
    expect(dialog.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "the New Contact dialog with errors")
    close_dialog(page)

    page_action(page, "Import")
    dialog = page.get_by_role("dialog", name="Import Contacts")
    expect(dialog).to_be_visible()
    assert_accessible(page, "the Import dialog")
    dialog.get_by_label("Or paste CSV text").fill("Jane Doe,555-12,\n")
    dialog.get_by_role("button", name="Import Contacts").click()
    expect(dialog.get_by_role("table")).to_be_visible()
    assert_accessible(page, "the Import dialog with problems")
    close_dialog(page)

    page_action(page, "Import")
    dialog = page.get_by_role("dialog", name="Import Contacts")
    csv_file = tmp_path / "outlook.csv"
    csv_file.write_text("First Name,Last Name,Company,Mobile Phone\nGrace,Hopper,Navy,(415) 555-0103\n")
    dialog.get_by_label("Upload File").set_input_files(csv_file)
    expect(dialog.get_by_role("table").filter(has_text="Import as")).to_contain_text("Mobile Phone")
    assert_accessible(page, "the Import dialog's column mapping step")
    dialog.get_by_role("combobox", name="What “Mobile Phone” holds").click()
    page.get_by_role("option", name="Don't import").click()
    expect(dialog.get_by_text("Choose the column that holds the phone number.")).to_be_visible()
    assert_accessible(page, "the column mapping step with a missing phone column")
    close_dialog(page)

    page_action(page, "Settings")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    assert_accessible(page, "the Settings dialog")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_label("Type DELETE to confirm")).to_be_visible()
    assert_accessible(page, "Delete All's confirmation")
    close_dialog(page)

    page.get_by_role("button", name="Account").click()
    expect(page.get_by_role("menu")).to_be_visible()
    assert_accessible(page, "the account menu")


def test_lists_page_and_its_dialogs_are_accessible(page, app_db):
    seed_people(app_db)
    page.goto("/lists")
    expect(page.get_by_role("list", name="Lists")).to_contain_text("VIP")
    assert_accessible(page, "Lists page")
    page.get_by_role("button", name="New List").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "the New List dialog")
    close_dialog(page)
    page.get_by_role("button", name=re.compile(r"^Delete")).first.click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the delete list confirmation")


def test_integrations_page_and_its_dialogs_are_accessible(page, app_db):
    with session_scope(app_db) as session:
        account_id = ensure_default_line(session).account_id
        api_keys.create_api_key(session, account_id, "Zapier")
        webhooks.create_endpoint(session, account_id, "https://example.com/hooks", ["contact.created"])
    page.goto("/integrations")
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    expect(page.get_by_role("list", name="Webhook endpoints")).to_contain_text("example.com")
    assert_accessible(page, "Integrations page")
    keys = page.get_by_role("region", name="API keys")
    keys.get_by_label("Key name").fill("Reports")
    keys.get_by_role("button", name="Create API key").click()
    expect(keys.get_by_role("button", name="Copy")).to_be_visible()
    assert_accessible(page, "a new API key shown once")
    page.get_by_role("list", name="Webhook endpoints").get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the delete endpoint confirmation")


def test_users_page_and_its_dialogs_are_accessible(page, app_db):
    with session_scope(app_db) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        clerk = users.create_user(session, "clerk@example.com", "a long enough password", Role.USER)
        lines.share_line(session, admin, ensure_default_line(session).id, clerk.id)
    page.goto("/users")
    expect(page.get_by_role("list", name="Users")).to_contain_text("clerk@example.com")
    assert_accessible(page, "Users page")

    page.get_by_role("button", name="New User").click()
    dialog = page.get_by_role("dialog", name="New User")
    dialog.get_by_role("button", name="Create User").click()
    expect(dialog.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "the New User dialog with errors")
    close_dialog(page)

    page.get_by_role("button", name="Action for clerk@example.com").click()
    assert_accessible(page, "a user's action menu")
    page.get_by_role("menuitem", name=re.compile("Reset password")).click()
    expect(page.get_by_role("dialog", name="Reset password")).to_be_visible()
    assert_accessible(page, "the Reset password dialog")
    close_dialog(page)

    page.get_by_role("button", name="Action for clerk@example.com").click()
    page.get_by_role("menuitem", name=re.compile("Disable")).click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "the disable user confirmation")
    close_dialog(page)

    page.get_by_role("button", name="Add Line").click()
    expect(page.get_by_role("dialog", name="Add Line")).to_be_visible()
    assert_accessible(page, "the Add Line dialog")
    close_dialog(page)

    page.get_by_role("button", name=re.compile("^Edit ")).first.click()
    dialog = page.get_by_role("dialog", name="Edit Line")
    dialog.get_by_label("Phone number").fill("555")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "the Edit Line dialog with an error")
    close_dialog(page)

    page.get_by_role("button", name="Share").first.click()
    expect(page.get_by_role("dialog", name="Share line")).to_be_visible()
    assert_accessible(page, "the Share line dialog")


def test_sign_in_page_is_accessible(new_context, app_db):
    page = new_context().new_page()
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "Sign-in page with errors")


def test_custom_fields_page_and_its_dialog_are_accessible(page, app_db):
    page.goto("/fields")
    expect(page.get_by_role("heading", name="Custom fields")).to_be_visible()
    expect(page.get_by_text("No custom fields yet.")).to_be_visible()
    assert_accessible(page, "Custom fields page, empty")
    page.get_by_role("button", name="Add Field").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "Custom fields page with an error")
    page.get_by_label("Field name").fill("Birthday")
    page.get_by_label("Kind").select_option("date")
    page.get_by_role("button", name="Add Field").click()
    expect(page.get_by_role("list", name="Custom fields")).to_contain_text("Birthday")
    assert_accessible(page, "Custom fields page with a field")
    page.get_by_role("button", name="Remove Birthday").click()
    expect(page.get_by_role("alertdialog", name="Remove field?")).to_be_visible()
    assert_accessible(page, "the remove field confirmation")


def test_blasts_page_and_its_compose_dialog_are_accessible(page, app_db):
    seed_lists(app_db)
    open_blasts(page)
    assert_accessible(page, "Blasts page, no blasts yet")
    dialog = compose(page)
    dialog.get_by_label("Message").fill("Hi {first_name}, spring sale today 🌷")
    dialog.get_by_role("checkbox", name="Spring").click()
    expect(dialog.get_by_role("region", name="Recipients count")).to_contain_text("recipients")
    assert_accessible(page, "the New Blast dialog with recipients counted")


def test_reminders_page_and_its_dialog_are_accessible(page, app_db):
    add_ann(app_db)
    open_reminders(page)
    expect(page.get_by_role("group", name="Calendar")).to_be_visible()
    assert_accessible(page, "Reminders page")
    page.get_by_role("button", name="New Reminder").click()
    expect(page.get_by_role("dialog", name="New Reminder")).to_be_visible()
    assert_accessible(page, "the New Reminder dialog")
