"""Text blasts in real Chromium against the real app: compose, exclusions, send, live statuses,
cancel, a STOP reply attributed, and a user without the Blasts permission."""

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import lines as lines_domain
from contacts_app.domain import users as users_domain
from contacts_app.domain.blast_queue import queue_blast
from contacts_app.domain.blasts import BlastDraft, create_blast
from contacts_app.domain.consent import Source, opt_out
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.inbound import receive_inbound
from contacts_app.domain.lists import add_to_list, create_list
from contacts_app.domain.permissions import TURNED_OFF, Action
from contacts_app.models import AccountSettings, Blast, Contact, Line, Message, MessageStatus, Role, User
from contacts_app.state.blasts import BlastsState
from tests.browser.conftest import ADMIN_EMAIL
from tests.browser.contacts_page import open_from_contacts
from tests.browser.test_users_and_lines import event_name, send_events, signed_in_page

pytestmark = pytest.mark.browser

ANN, BOB, CAT = "+12125550101", "+12125550102", "+12125550103"


def seed_lists(engine) -> dict[str, int]:
    """Spring: Ann, Bob (opted out), Cat. VIP: Ann again."""
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        ids = {
            name: create_contact(session, line_id, ContactInput(name, phone)).id
            for name, phone in (("Ann Archer", ANN), ("Bob Baker", BOB), ("Cat Cooper", CAT))
        }
        opt_out(session, session.get(Contact, ids["Bob Baker"]), Source.KEYWORD, detail="STOP")
        spring = create_list(session, line_id, "Spring").id
        vip = create_list(session, line_id, "VIP").id
        add_to_list(session, line_id, spring, list(ids.values()))
        add_to_list(session, line_id, vip, [ids["Ann Archer"]])
    return {"line": line_id, "spring": spring, "vip": vip, **ids}


def open_blasts(page: Page) -> None:
    open_from_contacts(page, "Blasts", "/blasts")


def compose(page: Page):
    page.get_by_role("button", name="New Blast").click()
    dialog = page.get_by_role("dialog", name="New Blast")
    expect(dialog).to_be_visible()
    return dialog


def recipient(page: Page, name: str):
    return page.get_by_role("region", name="Open blast").get_by_role("row").filter(has_text=name)


def count(page: Page, label: str):
    return page.get_by_role("list", name="Counts").get_by_role("listitem", name=label, exact=True)


def texts_of(engine, blast_id: int) -> list[Message]:
    with session_scope(engine) as session:
        return list(session.exec(select(Message).where(Message.blast_id == blast_id)))


def test_compose_counts_segments_previews_counts_exclusions_and_sends_with_live_statuses(page, shot, app_db):
    seeded = seed_lists(app_db)
    open_blasts(page)
    expect(page.get_by_text("No blasts yet")).to_be_visible()
    dialog = compose(page)
    message = dialog.get_by_label("Message")
    message.fill("Hi {first_name}, spring sale today")
    expect(dialog.get_by_text("34 characters · 1 SMS segment (GSM-7)")).to_be_visible()
    message.fill("Hi {first_name}, spring sale today 🌷")
    expect(dialog.get_by_text("36 characters · 1 SMS segment (UCS-2) because of “🌷”")).to_be_visible()
    dialog.get_by_role("checkbox", name="Spring").click()
    dialog.get_by_role("checkbox", name="VIP").click()
    counted = dialog.get_by_role("region", name="Recipients count")
    expect(counted.get_by_text("2 recipients")).to_be_visible()
    expect(counted.get_by_text("1 opted out (never sent)")).to_be_visible()
    expect(counted.get_by_text("1 in more than one list (one text per number)")).to_be_visible()
    preview = dialog.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Preview for Ann Archer")
    expect(preview).to_contain_text("Hi Ann, spring sale today 🌷 Reply STOP to opt out")
    # The shop has not connected a carrier: the dialog says where the texts will go before anything is sent.
    expect(dialog.get_by_text(re.compile("No carrier is connected to this line: the texts will wait"))).to_be_visible()
    shot("composed")
    dialog.get_by_role("button", name="Send to 2 contacts").click()
    expect(dialog).to_be_hidden()

    panel = page.get_by_role("region", name="Open blast")
    expect(panel).to_be_visible()
    # The send worker's scheduler writes the texts within a second; quiet hours may hold them.
    expect(recipient(page, "Ann Archer")).to_contain_text(re.compile("Queued|Held for quiet hours"))
    expect(recipient(page, "Bob Baker")).to_contain_text("Skipped: opted out")
    expect(count(page, "Recipients")).to_contain_text("2")
    expect(panel.get_by_role("heading", name="Blast · In the outbox")).to_be_visible()
    with session_scope(app_db) as session:
        blast_id = session.exec(select(Blast.id)).one()
    texts = texts_of(app_db, blast_id)
    assert sorted(text.phone for text in texts) == [ANN, CAT]
    assert all(text.body.endswith("\nReply STOP to opt out") for text in texts)
    # The carrier reports the text sent: the page shows it without a reload.
    with session_scope(app_db) as session:
        ann_text = session.exec(select(Message).where(Message.blast_id == blast_id, Message.phone == ANN)).one()
        ann_text.status, ann_text.held_until, ann_text.status_changed_at = MessageStatus.SENT, None, datetime.now(UTC)
        session.add(ann_text)
    expect(recipient(page, "Ann Archer")).to_contain_text("Sent")
    expect(count(page, "Sent")).to_contain_text("1")
    shot("sending")
    assert seeded["Bob Baker"] not in [text.contact_id for text in texts]


def test_a_scheduled_blast_is_cancelled_and_never_sent(page, shot, app_db):
    seed_lists(app_db)
    open_blasts(page)
    dialog = compose(page)
    dialog.get_by_label("Message").fill("Doors open at 9")
    dialog.get_by_role("checkbox", name="Spring").click()
    dialog.get_by_role("radio", name="Schedule").click()
    tomorrow = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)
    dialog.get_by_label(re.compile("Date and time")).fill(tomorrow.strftime("%Y-%m-%dT10:00"))
    dialog.get_by_role("button", name="Schedule for 2 contacts").click()
    panel = page.get_by_role("region", name="Open blast")
    expect(panel.get_by_role("heading", name="Blast · Scheduled")).to_be_visible()
    expect(panel).to_contain_text(tomorrow.strftime("%b %d, %Y 10:00") + " (America/New_York)")
    shot("scheduled")
    panel.get_by_role("button", name="Cancel blast").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel blast").click()
    expect(panel.get_by_role("heading", name="Blast · Cancelled")).to_be_visible()
    expect(panel.get_by_role("button", name="Cancel blast")).to_have_count(0)
    with session_scope(app_db) as session:
        blast = session.exec(select(Blast)).one()
        assert blast.status == "cancelled" and blast.cancelled_by == ADMIN_EMAIL
    assert texts_of(app_db, blast.id) == []


def test_a_stop_reply_within_72_hours_is_counted_on_the_blasts_page(page, shot, app_db):
    seeded = seed_lists(app_db)
    with session_scope(app_db) as session:
        blast_id = create_blast(session, seeded["line"], BlastDraft("Flash sale", (seeded["vip"],)), 1).id
    queue_blast(app_db, blast_id)  # or the app's own scheduler got there first
    deadline = time.monotonic() + 10
    while not texts_of(app_db, blast_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    with session_scope(app_db) as session:
        receive_inbound(session, session.get(Line, seeded["line"]), ANN, "STOP")
    open_blasts(page)
    page.get_by_role("list", name="Blasts").get_by_role("listitem").first.get_by_role("button", name="Open").click()
    expect(count(page, "STOP replies (72 h)")).to_contain_text("1")
    # Her text had not gone yet (outbox, or held for quiet hours): the STOP took it out of the queue.
    expect(recipient(page, "Ann Archer")).to_contain_text("Cancelled")
    # Nothing waits any more: the panel and the list card say the same.
    expect(page.get_by_role("heading", name="Blast · Finished")).to_be_visible()
    card = page.get_by_role("list", name="Blasts").get_by_role("listitem").first
    expect(card).to_contain_text("Finished")
    expect(card).not_to_contain_text("Sending")
    shot("stop-reply")


def test_an_administrator_narrows_the_sending_window_and_the_page_says_so(page, shot, app_db):
    open_blasts(page)
    expect(page.get_by_text(re.compile("texts wait for 8 am to 9 pm in each recipient's time zone"))).to_be_visible()
    page.get_by_role("button", name="Blast settings").click()
    dialog = page.get_by_role("dialog", name="Blast settings")
    expect(dialog.get_by_label("From")).to_have_value("08:00")
    dialog.get_by_label("Until").fill("22:00")
    dialog.get_by_role("button", name="Save").click()
    refusal = "Send until: not after 9 pm in the recipient's time zone (the law's limit)."
    expect(dialog.get_by_text(refusal)).to_be_visible()
    dialog.get_by_label("From").fill("10:00")
    dialog.get_by_label("Until").fill("20:00")
    shot("window")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text(re.compile("texts wait for 10 am to 8 pm in each recipient's time zone"))).to_be_visible()
    with session_scope(app_db) as session:
        settings = session.exec(select(AccountSettings)).one()
        assert (settings.send_window_opens.hour, settings.send_window_closes.hour) == (10, 20)
        settings.send_window_opens = settings.send_window_closes = None
        session.add(settings)


def test_a_big_blasts_recipients_are_paged(page, shot, app_db):
    with session_scope(app_db) as session:
        line_id = ensure_default_line(session).id
        for number in range(1, 61):
            create_contact(session, line_id, ContactInput(f"Guest {number:02d}", f"+1212555{number:04d}"))
        blast_id = create_blast(session, line_id, BlastDraft("Doors open at 9", all_contacts=True), 60).id
    queue_blast(app_db, blast_id)  # or the app's own scheduler got there first
    open_blasts(page)
    page.get_by_role("list", name="Blasts").get_by_role("listitem").first.get_by_role("button", name="Open").click()
    pages = page.get_by_role("navigation", name="Recipient pages")
    expect(pages).to_contain_text("Recipients 1–50 of 60")
    expect(pages.get_by_role("button", name="Previous recipients")).to_be_disabled()
    expect(recipient(page, "Guest 50")).to_have_count(1)
    expect(recipient(page, "Guest 51")).to_have_count(0)
    pages.get_by_role("button", name="Next recipients").click()
    expect(pages).to_contain_text("Recipients 51–60 of 60")
    expect(recipient(page, "Guest 51")).to_have_count(1)
    expect(recipient(page, "Guest 60")).to_have_count(1)
    expect(pages.get_by_role("button", name="Next recipients")).to_be_disabled()
    shot("second-page")
    pages.get_by_role("button", name="Previous recipients").click()
    expect(recipient(page, "Guest 01")).to_have_count(1)


def test_user_without_blasts_sees_no_blasts_and_a_crafted_send_is_refused(new_context, app_db, app_url):
    seeded = seed_lists(app_db)
    with session_scope(app_db) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        clerk = users_domain.create_user(session, "clerk@example.com", "a long enough password", Role.USER)
        lines_domain.assign_owner(session, admin, seeded["line"], clerk.id)
        users_domain.set_permissions(session, admin, clerk.id, {"can_blast": False})
    clerk_page = signed_in_page(new_context, app_db, app_url, "clerk@example.com")
    clerk_page.goto("/")
    nav = clerk_page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Contacts")).to_be_visible()
    expect(nav.get_by_role("link", name="Blasts")).to_have_count(0)
    clerk_page.goto("/blasts")
    expect(clerk_page.get_by_role("note")).to_contain_text(TURNED_OFF[Action.BLASTS])
    expect(clerk_page.get_by_role("button", name="New Blast")).to_have_count(0)
    send_events(
        clerk_page,
        (event_name(BlastsState, "set_body"), {"value": "Crafted"}),
        (event_name(BlastsState, "send"), {}),
    )
    expect(clerk_page.get_by_text(TURNED_OFF[Action.BLASTS]).first).to_be_visible()
    with session_scope(app_db) as session:
        assert session.exec(select(Blast)).first() is None
