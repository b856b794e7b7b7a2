"""Delete All behind the gear icon: typed confirmation, progress, and opt-outs that survive it."""

import re

import pytest
from playwright.sync_api import expect

from contacts_app.db import session_scope
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from tests.browser.page_actions import page_action

pytestmark = pytest.mark.browser


def test_delete_all_confirms_shows_progress_and_keeps_opt_outs(page, shot, app_db, viewport_name):
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        for i in range(300):
            contact = create_contact(session, line_id, ContactInput(f"Customer {i:03d}", f"415 555 {i:04d}"))
            if i == 7:
                opt_out(session, contact, Source.KEYWORD, detail="STOP")
    page.goto("/")
    expect(page.get_by_text("300 contacts", exact=True)).to_be_visible()
    page_action(page, "Settings")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_contain_text("300 contacts")
    shot("settings")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text(re.compile("Delete all 300 contacts of .*CANNOT BE UNDONE"))
    expect(dialog.get_by_role("link", name="Export first")).to_be_visible()
    confirm = dialog.get_by_role("button", name="Delete All Contacts")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type DELETE to confirm").fill("delete")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    shot("confirm")
    confirm.click()
    expect(dialog.get_by_role("status")).to_contain_text("Deleted 300 of 300 contacts", timeout=20_000)
    expect(dialog.get_by_role("progressbar")).to_be_visible()
    shot("done")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_text("0 contacts", exact=True)).to_be_visible()

    # The line remembers the opt-out: the number comes back opted out.
    page.get_by_role("button", name="New Contact").click()
    new = page.get_by_role("dialog", name="New Contact")
    new.get_by_label("Full Name").fill("Customer Seven Again")
    new.get_by_label("Phone").fill("(415) 555-0007")
    new.get_by_role("button", name="Add Contact").click()
    expect(page.get_by_text("This number opted out earlier, so it stays opted out.")).to_be_visible()
    details = page.get_by_role("region", name="Contact details")
    expect(details.get_by_role("checkbox", name="Opted out")).to_be_checked()
