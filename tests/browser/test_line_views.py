"""What the Contacts page shows for lines: no line at all, and switching from one line to another."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import lines, users
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.models import Role, User
from contacts_app.state.session import NO_LINE_SHARED

from .conftest import ADMIN_EMAIL, SCREENSHOT_DIR, sign_in_cookie

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def test_a_user_with_no_line_sees_one_clear_notice_and_nothing_that_cannot_work(
    new_context, app_url, app_db, viewport_name
):
    with session_scope(app_db) as session:
        users.create_user(session, "new@example.com", PASSWORD, Role.USER)
    context = new_context()
    context.add_cookies([sign_in_cookie(app_db, app_url, "new@example.com", PASSWORD)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    expect(page.get_by_text(NO_LINE_SHARED)).to_be_visible()
    # Past a poll of the page: still one message, no toast repeating it.
    page.wait_for_timeout(4000)
    expect(page.get_by_text(NO_LINE_SHARED)).to_have_count(1)
    for offer in ("New Contact", "Import", "Export", "Settings"):
        expect(page.get_by_role("button", name=offer)).to_have_count(0)
    expect(page.get_by_text("Start by adding your customers")).to_have_count(0)
    expect(page.get_by_role("link", name="Lists")).to_have_count(0)
    # The account menu still works: signing out is possible.
    expect(page.get_by_role("button", name="Account")).to_be_visible()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / f"no-line--notice--{viewport_name}.png")


def test_switching_lines_clears_the_search_and_the_open_contact(new_context, app_url, app_db, viewport_name):
    with session_scope(app_db) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        main = ensure_default_line(session)
        lines.add_line(session, admin, "Support", "(415) 555-0199")
        create_contact(session, main.id, ContactInput("Ada Lovelace", "415 555 0101"))
        create_contact(session, main.id, ContactInput("Grace Hopper", "415 555 0102"))
    context = new_context()
    context.add_cookies([sign_in_cookie(app_db, app_url)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    expect(page.get_by_text("2 contacts", exact=True)).to_be_visible()
    page.get_by_label("Search contacts").fill("ada")
    expect(page.get_by_text("1 match", exact=True)).to_be_visible()
    page.get_by_role("list", name="Contacts").get_by_role("listitem").filter(has_text="Ada Lovelace").click()
    details = page.get_by_role("region", name="Contact details")
    expect(details.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    if viewport_name == "phone":
        # On a phone the details cover the page; the line switcher is behind them.
        page.get_by_role("button", name="Back to contacts").click()

    switcher = page.get_by_role("combobox", name="Phone line")
    switcher.click()
    page.get_by_role("option", name="Support · (415) 555-0199").click()
    expect(switcher).to_contain_text("Support")
    expect(page.get_by_label("Search contacts")).to_have_value("")
    expect(details.get_by_role("heading", name="Ada Lovelace")).to_have_count(0)
    expect(page.get_by_text(re.compile("No contacts match"))).to_have_count(0)

    # And back: the old line's search does not come back either.
    switcher.click()
    page.get_by_role("option", name=re.compile("^Main line")).click()
    expect(switcher).to_contain_text("Main line")
    expect(page.get_by_label("Search contacts")).to_have_value("")
    expect(page.get_by_text("2 contacts", exact=True)).to_be_visible()
