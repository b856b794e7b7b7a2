"""Another user's edit reaches an open Contacts page wherever it can change what the page shows.

An edit of a contact the page does not show, in columns its view does not read, is let pass
without a read (live.may_change_view); these check the edits that must still show."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import sign_in_cookie
from .contacts_page import add_contact, contact_rows, open_contacts

pytestmark = pytest.mark.browser


def edit_contact(page: Page, name: str, field: str, value: str) -> None:
    contact_rows(page).filter(has_text=name).click()
    panel = page.get_by_role("region", name="Contact details")
    expect(panel.get_by_label("Full Name")).to_have_value(name)
    panel.get_by_label(field).fill(value)
    panel.get_by_role("button", name="Update Contact Details").click()
    expect(page.get_by_text("Contact details updated.").last).to_be_visible()


def test_an_edit_elsewhere_shows_in_a_search_it_now_matches_and_in_a_row_on_the_page(
    page, new_context, app_url, app_db, viewport_name
):
    if viewport_name == "phone":
        pytest.skip("a server matter, the same at every size")
    open_contacts(page)
    add_contact(page, "Ada Lovelace", "415 555 2671")
    add_contact(page, "Grace Hopper", "415 555 0101")
    context = new_context()
    context.add_cookies([sign_in_cookie(app_db, app_url)])
    other = context.new_page()
    open_contacts(other)
    expect(contact_rows(other)).to_have_count(2)

    # The other page searches for an address nobody has yet: Ada's new e-mail makes her match.
    other.get_by_label("Search contacts").fill("analytical")
    expect(other.get_by_text("No contacts match")).to_be_visible()
    edit_contact(page, "Ada Lovelace", "Email", "ada@analytical.engine")
    expect(contact_rows(other).filter(has_text="Ada Lovelace")).to_be_visible(timeout=10_000)

    # Without a search, a renamed contact's row on the other page reads the new name.
    other.get_by_label("Search contacts").fill("")
    expect(contact_rows(other)).to_have_count(2)
    edit_contact(page, "Grace Hopper", "Full Name", "Grace Brewster Hopper")
    expect(contact_rows(other).filter(has_text="Grace Brewster Hopper")).to_be_visible(timeout=10_000)

    # A tag filter: tagging a contact elsewhere brings her in.
    other.goto("/?tag=vip")
    expect(other.get_by_text(re.compile(r"^\d[\d,]* (contacts?|match(es)?)$"))).to_be_visible()
    expect(contact_rows(other)).to_have_count(0)
    edit_contact(page, "Ada Lovelace", "Tags", "vip")
    expect(contact_rows(other).filter(has_text="Ada Lovelace")).to_be_visible(timeout=10_000)
