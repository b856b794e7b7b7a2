"""Reminders in real Chromium against the real app: the calendar's blue dots, scheduling a text from
a contact, and the scheduler sending it at its minute (on a clock the test moves)."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.domain.reminders import ReminderInput, create_reminder
from contacts_app.jobs.outboxes import REMINDERS, wake
from contacts_app.models import Message, Reminder, ReminderStatus
from tests.browser.conftest import APP_CLOCK_FILE
from tests.browser.contacts_page import open_from_contacts

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def app_clock():
    """Moves the app's scheduler clock; the real clock again afterwards."""

    def move_to(moment: datetime) -> None:
        APP_CLOCK_FILE.write_text(moment.isoformat())

    yield move_to
    APP_CLOCK_FILE.write_text("")


def add_ann(engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        return line_id, create_contact(session, line_id, ContactInput("Ann Archer", "+12125550101")).id


def open_reminders(page: Page) -> None:
    open_from_contacts(page, "Reminders", "/reminders")


def test_days_with_reminders_carry_a_dot_and_list_their_reminders(page, shot, app_db):
    line_id, ann = add_ann(app_db)
    in_three_days = (datetime.now(NEW_YORK) + timedelta(days=3)).date()
    with session_scope(app_db) as session:
        create_reminder(session, line_id, ReminderInput(ann, "Your table is ready at 7", in_three_days, time(18, 0)))
    open_reminders(page)
    calendar = page.get_by_role("group", name="Calendar")
    if in_three_days.month != datetime.now(NEW_YORK).month:
        page.get_by_role("button", name="Next month").click()
    day = calendar.get_by_role("button", name=f"{in_three_days.strftime('%B %-d')}, 1 reminder")
    expect(day).to_be_visible()
    shot("calendar")
    day.click()
    card = page.get_by_role("list", name="Reminders of the day").get_by_role("listitem")
    expect(card).to_contain_text("18:00 · Ann Archer")
    expect(card).to_contain_text("Your table is ready at 7")
    expect(card).to_contain_text("Scheduled")


def test_a_text_scheduled_from_a_contact_is_sent_at_its_minute(page, shot, app_db, app_clock):
    _, ann = add_ann(app_db)
    page.goto(f"/contacts/{ann}")
    page.get_by_role("region", name="Contact details").get_by_role("link", name="Schedule a text").click()
    dialog = page.get_by_role("dialog", name="New Reminder")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("status")).to_contain_text("To Ann Archer")
    tomorrow = (datetime.now(NEW_YORK) + timedelta(days=1)).date()
    dialog.get_by_label("Message").fill("Hi {first_name}, see you at 10")
    expect(dialog.get_by_text("30 characters · 1 SMS segment (GSM-7)")).to_be_visible()
    dialog.get_by_label("Date").fill(tomorrow.isoformat())
    dialog.get_by_label(re.compile(r"^Time")).fill("09:30")
    shot("new-reminder")
    dialog.get_by_role("button", name="Schedule").click()
    expect(dialog).to_be_hidden()
    card = page.get_by_role("list", name="Reminders of the day").get_by_role("listitem")
    expect(card).to_contain_text("09:30 · Ann Archer")

    due = datetime.combine(tomorrow, time(9, 30), tzinfo=NEW_YORK).astimezone(UTC)
    app_clock(due - timedelta(minutes=1))
    wake(REMINDERS)  # the scheduler's drain, as the minute's sweep would run it
    page.wait_for_timeout(1500)
    with session_scope(app_db) as session:
        assert session.exec(select(Message)).first() is None
    app_clock(due)
    wake(REMINDERS)
    expect(card).to_contain_text("Sent", timeout=15_000)
    shot("sent")
    with session_scope(app_db) as session:
        text = session.exec(select(Message)).one()
        reminder = session.exec(select(Reminder)).one()
    assert (text.body, text.contact_id) == ("Hi Ann, see you at 10", ann)
    assert (reminder.status, reminder.message_id) == (ReminderStatus.SENT, text.id)
