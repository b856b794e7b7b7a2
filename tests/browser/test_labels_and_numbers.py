"""What a person reads: numbers written one way, labelled top-bar actions, a locked opt-out."""

import re

import pytest
from playwright.sync_api import expect

from contacts_app.db import session_scope
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from tests.browser.page_actions import page_action

pytestmark = pytest.mark.browser


def seed(engine, count: int) -> None:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        for i in range(count):
            create_contact(session, line_id, ContactInput(f"Person {i:04d}", f"415 555 {i:04d}"))


def test_big_numbers_have_thousands_separators_everywhere(page, app_db, shot):
    seed(app_db, 1005)
    page.goto("/")
    expect(page.get_by_text("1,005 contacts", exact=True)).to_be_visible()
    page.get_by_role("button", name="Select page").click()
    expect(page.get_by_role("region", name="Selection")).to_contain_text("50 selected")
    expect(page.get_by_role("button", name="Select all 1,005 matching")).to_be_visible()
    expect(page.get_by_text("1–50 of 1,005")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    page_action(page, "Settings")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_contain_text("(1,005 contacts)")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("Delete all 1,005 contacts of")
    shot("delete-all-count")


def test_one_is_singular(page, app_db):
    seed(app_db, 1)
    page.goto("/")
    expect(page.get_by_text("1 contact", exact=True)).to_be_visible()
    page_action(page, "Settings")
    expect(page.get_by_role("dialog", name="Settings")).to_contain_text("(1 contact)")


def test_an_opted_out_box_shows_locked_with_the_reason_beside_it(page, app_db, shot):
    with session_scope(app_db) as session:
        contact = create_contact(session, ensure_default_line(session).id, ContactInput("Ada Lovelace", "415 555 0101"))
        opt_out(session, contact, Source.KEYWORD, detail="STOP")
    page.goto("/")
    page.get_by_role("list", name="Contacts").get_by_role("button", name=re.compile("^Ada Lovelace")).click()
    details = page.get_by_role("region", name="Contact details")
    box = details.get_by_role("checkbox", name="Opted out")
    expect(box).to_be_checked()
    # Truly inert (not just announced so): no focus, no click.
    expect(box).to_have_attribute("disabled", "")
    locked = details.locator(".locked-opt-out")
    expect(locked.get_by_role("img", name="Locked")).to_be_visible()
    expect(locked).to_contain_text(re.compile(r"Opted out by text message on .+\."))
    locked.scroll_into_view_if_needed()
    shot("locked")


def test_the_top_bar_actions_have_visible_labels_at_every_size(page, app_db, viewport_name, shot):
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    expect(page.get_by_role("button", name="New Contact")).to_contain_text("New")
    if viewport_name == "phone":
        for bare in ("Export", "Import", "Settings"):
            expect(page.get_by_role("button", name=bare, exact=True)).to_be_hidden()
        more = page.get_by_role("button", name="More")
        expect(more).to_have_text("More")
        more.click()
        expect(page.get_by_role("menuitem", name="Export contacts")).to_be_visible()
        expect(page.get_by_role("menuitem", name="Import contacts…")).to_be_visible()
        expect(page.get_by_role("menuitem", name="Settings…")).to_be_visible()
        shot("more-menu")
        page.get_by_role("menuitem", name="Import contacts…").click()
        expect(page.get_by_role("dialog", name="Import Contacts")).to_be_visible()
    else:
        expect(page.get_by_role("button", name="More")).to_be_hidden()
        export = page.get_by_role("button", name="Export", exact=True)
        imports = page.get_by_role("button", name="Import", exact=True)
        expect(export).to_have_text("Export")
        expect(imports).to_have_text("Import")
        expect(page.get_by_role("button", name="Settings", exact=True)).to_have_text("Settings")
        # Not alike: a different style as well as a different word.
        style = "el => getComputedStyle(el).backgroundColor + getComputedStyle(el).boxShadow"
        assert export.evaluate(style) != imports.evaluate(style)
        shot("top-bar")
