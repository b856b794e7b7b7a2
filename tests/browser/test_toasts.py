"""Toasts cover no control, on the page or in an open dialog, at desktop and phone size."""

import re

import pytest
from playwright.sync_api import Page, expect

from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.lists import create_list
from tests.browser.page_actions import page_action

pytestmark = pytest.mark.browser

# The visible controls (of the open dialog, else of the page) that a toast overlaps: each
# control's box is clipped to the viewport and to every scrolling ancestor first.
COVERED_CONTROLS = """() => {
  const toasts = [...document.querySelectorAll('[data-sonner-toast]')].map(t => t.getBoundingClientRect());
  const scope = document.querySelector('[role=dialog], [role=alertdialog]') || document;
  const selector = 'button, a[href], input:not([type=hidden]), textarea, select, [role=checkbox], '
    + '[role=combobox], [tabindex]:not([tabindex="-1"])';
  const covered = [];
  for (const control of scope.querySelectorAll(selector)) {
    if (control.closest('[data-sonner-toaster]') || !control.checkVisibility()) continue;
    let r = control.getBoundingClientRect();
    let box = {left: Math.max(r.left, 0), top: Math.max(r.top, 0),
               right: Math.min(r.right, innerWidth), bottom: Math.min(r.bottom, innerHeight)};
    for (let p = control.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const c = p.getBoundingClientRect();
      box = {left: Math.max(box.left, c.left), top: Math.max(box.top, c.top),
             right: Math.min(box.right, c.right), bottom: Math.min(box.bottom, c.bottom)};
    }
    if (box.right <= box.left || box.bottom <= box.top) continue;
    for (const t of toasts) {
      if (box.left < t.right && box.right > t.left && box.top < t.bottom && box.bottom > t.top) {
        covered.push(control.getAttribute('aria-label') || control.textContent.trim().slice(0, 40) || control.tagName);
      }
    }
  }
  return covered;
}"""


def toast(page: Page, text: str):
    shown = page.locator("[data-sonner-toast]").filter(has_text=text)
    expect(shown).to_be_visible()
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    return shown


def assert_covers_no_control(page: Page) -> None:
    assert page.evaluate(COVERED_CONTROLS) == []


def seed(engine, count: int) -> None:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        for i in range(count):
            create_contact(session, line_id, ContactInput(f"Person {i:03d}", f"415 555 {i:04d}"))


def test_a_toast_after_adding_a_contact_covers_no_control(page, app_db, shot):
    seed(app_db, 60)  # a full page of rows and the pager
    page.goto("/")
    expect(page.get_by_text("60 contacts")).to_be_visible()
    page.get_by_role("button", name="New Contact").click()
    dialog = page.get_by_role("dialog", name="New Contact")
    dialog.get_by_label("Full Name").fill("Jane Doe")
    dialog.get_by_label("Phone").fill("415 555 2671")
    dialog.get_by_role("button", name="Add Contact").click()
    toast(page, "Jane Doe added.")
    shot("toast-after-add")
    assert_covers_no_control(page)


def test_a_toast_while_the_settings_dialog_is_open_covers_none_of_its_buttons(page, app_db, shot):
    # Delete All ends with a toast while its dialog stays open (a finished import says it in its dialog).
    seed(app_db, 3)
    page.goto("/")
    expect(page.get_by_text("3 contacts")).to_be_visible()
    page_action(page, "Settings")
    dialog = page.get_by_role("dialog", name="Settings")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    dialog.get_by_role("button", name="Delete All Contacts").click()
    toast(page, "Deleted 3 contacts.")
    shot("toast-over-settings")
    expect(dialog.get_by_role("button", name="Close")).to_be_visible()
    assert_covers_no_control(page)


def test_a_toast_on_the_lists_page_covers_no_card(page, app_db, shot):
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        for name in ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota"):
            create_list(session, line_id, name)
    page.goto("/lists")
    expect(page.get_by_role("list", name="Lists")).to_contain_text("Iota")
    page.get_by_role("button", name="New List").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile("^Name")).fill("Kappa")
    dialog.get_by_role("button", name=re.compile("^(Create|Save)")).click()
    toast(page, "Kappa")
    shot("toast-on-lists")
    assert_covers_no_control(page)
