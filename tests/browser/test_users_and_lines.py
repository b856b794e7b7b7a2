"""Users, sign-in, permissions and number switching in real Chromium against the real app.

"Crafted" requests send Reflex events the page does not offer, the way a user with the browser's
developer tools could, to prove that the server refuses them whatever the page shows.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import lines as lines_domain
from contacts_app.domain import users as users_domain
from contacts_app.domain.auth import WRONG_CREDENTIALS
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line, search_contacts
from contacts_app.domain.permissions import ADMIN_ONLY, TURNED_OFF, Action, set_account_plan
from contacts_app.models import Account, Contact, Role, User
from contacts_app.state.contacts import ContactsState
from contacts_app.state.session import SessionState
from contacts_app.state.users import UsersState
from tests.browser.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOT_DIR, sign_in_cookie

pytestmark = pytest.mark.browser

USER_PASSWORD = "a long enough password"


# ----- helpers -----


def add_user(engine, email: str, role: str = Role.USER) -> int:
    with session_scope(engine) as session:
        return users_domain.create_user(session, email, USER_PASSWORD, role).id


def admin_of(session) -> User:
    return session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()


def seed(engine, line_id: int, *people: tuple[str, str]) -> None:
    with session_scope(engine) as session:
        for name, phone in people:
            create_contact(session, line_id, ContactInput(name, phone, ""))


def main_line_id(engine) -> int:
    with session_scope(engine) as session:
        return ensure_default_line(session).id


def signed_in_page(new_context, engine, app_url: str, email: str, password: str = USER_PASSWORD) -> Page:
    context = new_context()
    context.add_cookies([sign_in_cookie(engine, app_url, email, password)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def contact_rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")


def open_contacts(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* contacts?$"))).to_be_visible()


def open_users_page(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Users and lines").click()
    expect(page).to_have_url(re.compile(r"/users$"))
    expect(page.get_by_role("heading", name="Users and lines")).to_be_visible()
    expect(user_card(page, ADMIN_EMAIL)).to_be_visible()


# A toast still sliding in moves the page under an open menu, which then closes (a click on its
# item finds nothing): actions after a toast wait for it to settle, as a person's eye would.
TOASTS_SETTLED = "[...document.querySelectorAll('[data-sonner-toast]')].every(t => t.dataset.mounted === 'true')"


def open_user_action(page: Page, email: str) -> None:
    page.wait_for_function(TOASTS_SETTLED)
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    user_card(page, email).get_by_role("button", name=f"Action for {email}").click()


def user_card(page: Page, email: str):
    return page.get_by_role("list", name="Users").get_by_role("listitem", name=email)


def line_card(page: Page, name: str):
    return page.get_by_role("list", name="Phone lines").get_by_role("listitem", name=name)


def send_events(page: Page, *events: tuple[str, dict]) -> None:
    """Queue Reflex events as the page's own buttons would (Reflex 0.10: utils/state.js, context-registry.js)."""
    page.wait_for_function("() => window.__reflex && window.__reflex['$/utils/context-registry']")
    page.evaluate(
        """(events) => {
            const { eventLoop } = window.__reflex["$/utils/context-registry"];
            const { ReflexEvent } = window.__reflex["$/utils/state"];
            eventLoop.addEvents(events.map(([name, payload]) => ReflexEvent(name, payload)));
        }""",
        [list(event) for event in events],
    )


def save_shot(page: Page, test: str, state: str, viewport_name: str) -> None:
    """For pages other than the `page` fixture's (which the `shot` fixture takes)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / f"{test}--{state}--{viewport_name}.png")


def event_name(state, handler: str) -> str:
    return f"{state.get_full_name()}.{handler}"


# ----- sign-in -----


def test_first_run_opens_create_administrator_and_signs_the_new_administrator_in(new_context, app_db, viewport_name):
    with app_db.begin() as connection:
        for table in ("user_session", "login_attempt", "line_access", "app_user"):
            connection.execute(text(f"DELETE FROM {table}"))
    try:
        page = new_context().new_page()
        page.set_default_timeout(10_000)
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/setup$"))
        expect(page.get_by_role("heading", name="Create administrator")).to_be_visible()
        page.get_by_label("Email").fill("not-an-address")
        page.get_by_label(re.compile(r"^Password")).fill("short")
        page.get_by_label("Confirm password").fill("shorter")
        page.get_by_role("button", name="Create Administrator").click()
        # Every field's problem at once, not one per attempt.
        expect(page.get_by_role("alert").filter(has_text="business name")).to_be_visible()
        expect(page.get_by_role("alert").filter(has_text="Enter an e-mail address like")).to_be_visible()
        expect(page.get_by_role("alert").filter(has_text="at least 10 characters")).to_be_visible()
        expect(page.get_by_role("alert").filter(has_text="The two passwords differ")).to_be_visible()
        save_shot(page, "first-run", "every-error", viewport_name)
        page.get_by_label("Business name").fill("Corner Bakery")
        page.get_by_label("Email").fill("boss@example.com")
        page.get_by_label(re.compile(r"^Password")).fill(ADMIN_PASSWORD)
        page.get_by_label("Confirm password").fill(ADMIN_PASSWORD)
        save_shot(page, "first-run", "filled", viewport_name)
        page.get_by_role("button", name="Create Administrator").click()
        expect(page.get_by_role("button", name="New Contact")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/$"))
        page.get_by_role("button", name="Account").click()
        expect(page.get_by_text("boss@example.com")).to_be_visible()
        expect(page.get_by_role("menuitem", name="Users and lines")).to_be_visible()
        with session_scope(app_db) as session:
            boss = session.exec(select(User).where(User.email == "boss@example.com")).one()
            assert boss.role == Role.ADMIN
            assert session.get(Account, boss.account_id).name == "Corner Bakery"
        # A second visit to /setup, now that an administrator exists, goes to sign-in.
        page.keyboard.press("Escape")
        other = new_context().new_page()
        other.goto("/setup")
        expect(other).to_have_url(re.compile(r"/sign-in$"))
    finally:
        # The standard administrator, whom the other tests sign in as, and the default business name.
        with session_scope(app_db) as session:
            for account in session.exec(select(Account)).all():
                account.name = "My Business"
                session.add(account)
            if session.exec(select(User).where(User.email == ADMIN_EMAIL)).first() is None:
                users_domain.create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN)


def test_wrong_password_shows_the_message_and_stays_on_sign_in(new_context, app_db, viewport_name):
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert").filter(has_text=WRONG_CREDENTIALS)).to_be_visible()
    # A full page load after the server's redirect: the static page is served at /sign-in/.
    expect(page).to_have_url(re.compile(r"/sign-in/?\?error=wrong"))
    # The address is kept; only the password is asked again.
    expect(page.get_by_label("Email")).to_have_value(ADMIN_EMAIL)
    save_shot(page, "wrong-password", "message", viewport_name)


def test_sign_in_survives_a_reload_and_sign_out_ends_the_session(new_context, app_db):
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto("/sign-in")
    page.get_by_label("Email").fill(ADMIN_EMAIL.upper())
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/?$"))
    page.goto("/lists")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("button", name="Sign In")).to_be_visible()


# ----- the Users page -----


def test_administrator_creates_a_user_and_turns_delete_off(page, app_db, shot):
    open_users_page(page)
    shot("users-page")
    page.get_by_role("button", name="New User").click()
    dialog = page.get_by_role("dialog", name="New User")
    dialog.get_by_label("Email").fill("not-an-address")
    dialog.get_by_label("Password").fill("short")
    dialog.get_by_role("button", name="Create User").click()
    alert = dialog.get_by_role("alert").filter(has_text="Enter an e-mail address like name@example.com.")
    expect(alert).to_be_visible()
    expect(dialog.get_by_role("alert").filter(has_text="at least 10 characters")).to_be_visible()
    shot("new-user-errors")
    dialog.get_by_label("Email").fill("Clerk@Example.com")
    dialog.get_by_label("Password").fill(USER_PASSWORD)
    dialog.get_by_role("button", name="Create User").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("clerk@example.com can now sign in.")).to_be_visible()
    card = user_card(page, "clerk@example.com")
    expect(card).to_contain_text("User")
    delete_switch = card.get_by_role("checkbox", name="Delete", exact=True)
    expect(delete_switch).to_be_checked()
    delete_switch.click()
    expect(page.get_by_text("Delete turned off for clerk@example.com.")).to_be_visible()
    expect(delete_switch).not_to_be_checked()
    expect(card.get_by_role("checkbox", name="Delete All")).to_be_disabled()
    expect(card.get_by_text("Delete All needs Delete.")).to_be_visible()
    # The administrator's own switches are not theirs to turn off.
    expect(user_card(page, ADMIN_EMAIL).get_by_role("checkbox", name="Delete", exact=True)).to_be_disabled()
    shot("delete-off")
    with session_scope(app_db) as session:
        clerk = session.exec(select(User).where(User.email == "clerk@example.com")).one()
        assert clerk.can_delete is False
        assert clerk.role == Role.USER


def test_plan_without_lists_greys_out_the_switch_with_a_reason(page, app_db, shot):
    add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        set_account_plan(session, admin_of(session).account_id, "basic")
    open_users_page(page)
    expect(page.get_by_label("Plan")).to_contain_text("Basic")
    card = user_card(page, "clerk@example.com")
    expect(card.get_by_role("checkbox", name="Lists")).to_be_disabled()
    expect(card.get_by_role("checkbox", name="Delete All")).to_be_disabled()
    expect(card.get_by_role("checkbox", name="Delete", exact=True)).to_be_enabled()
    expect(card.get_by_text("Not in the Basic plan: Delete All, Lists, Blasts.")).to_be_visible()
    shot("basic-plan")
    # The plan takes Lists away from everyone: no Lists link, even for the administrator.
    expect(page.get_by_role("navigation", name="Pages").get_by_role("link", name="Lists")).to_have_count(0)


def test_administrator_sets_role_resets_password_and_disables_a_user(page, app_db, new_context, app_url):
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.share_line(session, admin_of(session), main_line_id(app_db), clerk_id)
    open_users_page(page)
    card = user_card(page, "clerk@example.com")
    open_user_action(page, "clerk@example.com")
    page.get_by_role("menuitem", name="Make administrator").click()
    expect(page.get_by_text("clerk@example.com is now an administrator.")).to_be_visible()
    expect(card).to_contain_text("Administrator")
    open_user_action(page, "clerk@example.com")
    page.get_by_role("menuitem", name="Make user").click()
    expect(page.get_by_text("clerk@example.com is now a user.")).to_be_visible()

    open_user_action(page, "clerk@example.com")
    page.get_by_role("menuitem", name="Reset password…").click()
    dialog = page.get_by_role("dialog", name="Reset password")
    dialog.get_by_label("New password").fill("another long password")
    dialog.get_by_label("Confirm password").fill("a different one")
    dialog.get_by_role("button", name="Set Password").click()
    expect(dialog.get_by_text("The two passwords differ.")).to_be_visible()
    dialog.get_by_label("Confirm password").fill("another long password")
    dialog.get_by_role("button", name="Set Password").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Password of clerk@example.com changed")).to_be_visible()

    clerk_page = signed_in_page(new_context, app_db, app_url, "clerk@example.com", "another long password")
    open_contacts(clerk_page)
    open_user_action(page, "clerk@example.com")
    page.get_by_role("menuitem", name="Disable…").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disable").click()
    expect(page.get_by_text("clerk@example.com is disabled and signed out everywhere.")).to_be_visible()
    expect(card).to_contain_text("Disabled")
    clerk_page.reload()
    expect(clerk_page).to_have_url(re.compile(r"/sign-in$"))
    # Nobody disables themselves: the menu does not offer it.
    open_user_action(page, ADMIN_EMAIL)
    expect(page.get_by_role("menuitem", name="Disable…")).to_have_count(0)


def test_a_user_is_sent_away_from_the_users_page_and_their_crafted_admin_events_are_refused(
    new_context, app_db, app_url
):
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.assign_owner(session, admin_of(session), main_line_id(app_db), clerk_id)
        users_domain.set_permissions(session, admin_of(session), clerk_id, {"can_delete": False})
    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    # Giving themselves Delete back, or making themselves administrator, from the browser's console:
    send_events(
        clerk,
        (event_name(UsersState, "set_permission"), {"user_id": clerk_id, "column": "can_delete", "allowed": True}),
        (event_name(UsersState, "set_role"), {"user_id": clerk_id, "role": "admin"}),
    )
    expect(clerk.get_by_text(ADMIN_ONLY).first).to_be_visible()
    with session_scope(app_db) as session:
        refreshed = session.get(User, clerk_id)
        assert refreshed.can_delete is False
        assert refreshed.role == Role.USER
    clerk.get_by_role("button", name="Account").click()
    expect(clerk.get_by_role("menuitem", name="Sign out")).to_be_visible()
    expect(clerk.get_by_role("menuitem", name="Users and lines")).to_have_count(0)
    clerk.keyboard.press("Escape")
    clerk.goto("/users")
    expect(clerk).to_have_url(re.compile(r"/$"))
    expect(clerk.get_by_role("button", name="New Contact")).to_be_visible()
    expect(clerk.get_by_role("heading", name="Users and lines")).to_have_count(0)


# ----- permissions on the Contacts page -----


def test_user_without_delete_sees_no_delete_and_a_crafted_delete_is_refused(new_context, app_db, app_url, shot):
    line_id = main_line_id(app_db)
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.assign_owner(session, admin_of(session), line_id, clerk_id)
        users_domain.set_permissions(session, admin_of(session), clerk_id, {"can_delete": False})
    seed(app_db, line_id, ("Marie Curie", "415 555 0160"))
    with session_scope(app_db) as session:
        marie_id = search_contacts(session, line_id, ContactFilter(query="Marie")).rows[0].id

    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    clerk.get_by_role("button", name="Action for Marie Curie").click()
    expect(clerk.get_by_role("menuitem", name="Open")).to_be_visible()
    expect(clerk.get_by_role("menuitem", name="Delete")).to_have_count(0)
    clerk.keyboard.press("Escape")

    send_events(
        clerk,
        (event_name(ContactsState, "ask_delete"), {"contact_id": marie_id, "name": "Marie Curie"}),
        (event_name(ContactsState, "confirm_delete"), {}),
    )
    # Both crafted events are refused (the question is never even opened).
    expect(clerk.get_by_text(TURNED_OFF[Action.DELETE_CONTACT]).first).to_be_visible()
    expect(clerk.get_by_role("alertdialog")).to_have_count(0)
    expect(clerk.get_by_text("Marie Curie deleted.")).to_have_count(0)
    with session_scope(app_db) as session:
        assert session.get(Contact, marie_id) is not None
    expect(contact_rows(clerk).filter(has_text="Marie Curie")).to_be_visible()


def test_user_without_lists_sees_no_lists_link(new_context, app_db, app_url):
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.assign_owner(session, admin_of(session), main_line_id(app_db), clerk_id)
        users_domain.set_permissions(session, admin_of(session), clerk_id, {"can_use_lists": False})
    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    nav = clerk.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Lists")).to_have_count(0)


def test_user_without_import_and_export_is_not_offered_them(new_context, app_db, app_url):
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.assign_owner(session, admin_of(session), main_line_id(app_db), clerk_id)
        users_domain.set_permissions(session, admin_of(session), clerk_id, {"can_import": False, "can_export": False})
    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    expect(clerk.get_by_role("button", name="New Contact")).to_be_visible()
    expect(clerk.get_by_role("button", name="Import", exact=True)).to_have_count(0)
    expect(clerk.get_by_role("button", name="Export", exact=True)).to_have_count(0)
    if clerk.get_by_role("button", name="More").is_visible():  # phones
        clerk.get_by_role("button", name="More").click()
        expect(clerk.get_by_role("menuitem", name="Settings…")).to_be_visible()
        expect(clerk.get_by_role("menuitem", name=re.compile("^(Import|Export)"))).to_have_count(0)
    # The download route refuses a crafted request too.
    response = clerk.request.get(f"/exports/contacts.csv?line={main_line_id(app_db)}")
    assert response.status == 403


# ----- lines and number switching -----


def test_number_switcher_shows_each_lines_own_contacts(page, app_db, new_context, app_url, shot, viewport_name):
    main_id = main_line_id(app_db)
    add_user(app_db, "clerk@example.com")
    seed(app_db, main_id, ("Ada Lovelace", "415 555 2671"))

    open_users_page(page)
    line_card(page, "Main line").get_by_role("button", name="Edit Main line").click()
    dialog = page.get_by_role("dialog", name="Edit Line")
    dialog.get_by_role("combobox", name="Owner").click()
    page.get_by_role("option", name="clerk@example.com").click()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(line_card(page, "Main line")).to_contain_text("Owner: clerk@example.com")

    page.get_by_role("button", name="Add Line").click()
    dialog = page.get_by_role("dialog", name="Add Line")
    dialog.get_by_label("Line name").fill("Support")
    dialog.get_by_label("Phone number").fill("555")
    dialog.get_by_role("button", name="Add Line").click()
    expect(dialog.get_by_role("alert").filter(has_text="has too few digits")).to_be_visible()
    dialog.get_by_label("Phone number").fill("(415) 555-0199")
    dialog.get_by_role("button", name="Add Line").click()
    expect(dialog).to_be_hidden()
    support = line_card(page, "Support")
    expect(support).to_contain_text("(415) 555-0199")
    support.get_by_role("button", name="Share").click()
    share = page.get_by_role("dialog", name="Share line")
    expect(share.get_by_role("combobox", name="Share with")).to_contain_text("clerk@example.com")
    share.get_by_role("button", name="Share").click()
    expect(share).to_be_hidden()
    expect(support.get_by_role("button", name="Stop sharing with clerk@example.com")).to_be_visible()
    support.scroll_into_view_if_needed()
    shot("lines")
    with session_scope(app_db) as session:
        support_id = next(
            line.id for line in lines_domain.list_lines(session, admin_of(session)) if line.name == "Support"
        )
    seed(app_db, support_id, ("Grace Hopper", "415 555 0101"))

    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    switcher = clerk.get_by_role("combobox", name="Phone line")
    expect(switcher).to_contain_text("Main line")
    expect(contact_rows(clerk)).to_have_count(1)
    expect(contact_rows(clerk).first).to_contain_text("Ada Lovelace")
    switcher.click()
    clerk.get_by_role("option", name="Support · (415) 555-0199").click()
    expect(switcher).to_contain_text("Support")
    expect(contact_rows(clerk).filter(has_text="Grace Hopper")).to_be_visible()
    expect(contact_rows(clerk)).to_have_count(1)
    save_shot(clerk, "number-switcher", "support", viewport_name)
    clerk.get_by_label("Search contacts").fill("Ada")
    expect(clerk.get_by_text("0 matches", exact=True)).to_be_visible()
    switcher.click()
    clerk.get_by_role("option", name="Main line").click()
    expect(switcher).to_contain_text("Main line")
    expect(contact_rows(clerk).filter(has_text="Ada Lovelace")).to_be_visible()

    # Unsharing takes the line away at once: the switcher goes, as it does for any single-line user.
    support.get_by_role("button", name="Stop sharing with clerk@example.com").click()
    expect(page.get_by_text("“Support” is no longer shared with clerk@example.com.")).to_be_visible()
    clerk.reload()
    expect(clerk.get_by_role("button", name="New Contact")).to_be_visible()
    expect(clerk.get_by_role("combobox", name="Phone line")).to_have_count(0)


def test_crafted_switch_to_a_line_not_shared_is_refused(new_context, app_db, app_url):
    main_id = main_line_id(app_db)
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        admin = admin_of(session)
        other = lines_domain.add_line(session, admin, "Private", "415 555 0142")
        other_id = other.id
        lines_domain.assign_owner(session, admin, main_id, clerk_id)
    seed(app_db, other_id, ("Secret Person", "415 555 0177"))
    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    send_events(clerk, (event_name(SessionState, "switch_line"), {"line_id": str(other_id)}))
    expect(clerk.get_by_text("This line is not yours or shared with you.")).to_be_visible()
    clerk.reload()
    expect(clerk.get_by_text("0 contacts")).to_be_visible()
    expect(contact_rows(clerk)).to_have_count(0)


# ----- opt-outs outlive deletion -----


def test_a_deleted_opted_out_number_comes_back_opted_out(page, app_db, shot):
    line_id = main_line_id(app_db)
    seed(app_db, line_id, ("Linus Pauling", "415 555 0150"))
    with session_scope(app_db) as session:
        linus = search_contacts(session, line_id, ContactFilter(query="Linus")).rows[0]
        opt_out(session, session.get(Contact, linus.id), Source.KEYWORD, detail="STOP")
    open_contacts(page)
    page.get_by_role("button", name="Action for Linus Pauling").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Linus Pauling deleted.")).to_be_visible()
    expect(page.get_by_text("0 contacts")).to_be_visible()

    page.get_by_role("button", name="New Contact").click()
    dialog = page.get_by_role("dialog", name="New Contact")
    dialog.get_by_label("Full Name").fill("Linus Again")
    dialog.get_by_label("Phone").fill("(415) 555-0150")
    dialog.get_by_role("button", name="Add Contact").click()
    expect(page.get_by_text("Linus Again added. This number opted out earlier, so it stays opted out.")).to_be_visible()
    shot("re-added")
    with session_scope(app_db) as session:
        again = session.exec(select(Contact).where(Contact.full_name == "Linus Again")).one()
        assert again.opted_out


# ----- a line without a number -----


def test_administrators_are_told_a_line_has_no_number_until_they_set_it(
    page, app_db, new_context, app_url, shot, viewport_name
):
    main_id = main_line_id(app_db)
    with app_db.begin() as connection:
        connection.execute(text("UPDATE line SET phone = NULL WHERE id = :id"), {"id": main_id})
    clerk_id = add_user(app_db, "clerk@example.com")
    with session_scope(app_db) as session:
        lines_domain.share_line(session, admin_of(session), main_id, clerk_id)

    open_contacts(page)
    banner = page.get_by_role("status", name="Line without a number")
    expect(banner).to_contain_text("Main line has no phone number yet")
    shot("banner")
    # A user who cannot set the number is not told to.
    clerk = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    open_contacts(clerk)
    expect(clerk.get_by_role("status", name="Line without a number")).to_have_count(0)

    banner.get_by_role("link", name="Set its number").click()
    dialog = page.get_by_role("dialog", name="Edit Line")
    expect(dialog.get_by_label("Line name")).to_have_value("Main line")
    expect(page).to_have_url(re.compile(r"/users$"))
    dialog.get_by_label("Phone number").fill("(415) 555-0100")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(line_card(page, "Main line")).to_contain_text("(415) 555-0100")

    open_contacts(page)
    expect(page.get_by_role("status", name="Line without a number")).to_have_count(0)
