"""The Contacts page as the browser tests that share it drive it: open it, go on from it to another
page, add a contact, its rows."""

import re

from playwright.sync_api import Page, expect


def open_contacts(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* (contacts?|match(es)?)$"))).to_be_visible()


def open_from_contacts(page: Page, name: str, path: str) -> None:
    """The page `name` at `path`, by its link in the navigation, from a loaded Contacts page (a click
    on the link while the page still hydrates can be lost)."""
    open_contacts(page)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=name).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def add_contact(page: Page, name: str, phone: str) -> None:
    page.get_by_role("button", name="New Contact").click()
    dialog = page.get_by_role("dialog", name="New Contact")
    dialog.get_by_label("Full Name").fill(name)
    dialog.get_by_label("Phone").fill(phone)
    dialog.get_by_role("button", name="Add Contact").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(f"{name} added.")).to_be_visible()


def contact_rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")
