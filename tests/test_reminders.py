"""Reminders: scheduled texts to one contact, sent once at their minute, repeating on the account's
wall clock, never to an opted-out contact, missed when over an hour late, editable and cancellable."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from contacts_app import clock
from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain.consent import Source
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.domain.reminders import (
    ReminderInput,
    ReminderInvalid,
    cancel_reminder,
    create_reminder,
    reminders_between,
    send_due_reminders,
    update_reminder,
)
from contacts_app.models import Contact, Message, Reminder, ReminderRepeat, ReminderStatus

# The account's zone is America/New_York (region US); 9:00 there is 13:00 UTC in summer.
DAY = date(2027, 6, 10)
NINE = time(9, 0)
NINE_UTC = datetime(2027, 6, 10, 13, 0, tzinfo=UTC)


@pytest.fixture
def test_clock(tmp_path, monkeypatch):
    """A clock the test moves, as the browser tests move the app's."""
    path = tmp_path / "clock"
    monkeypatch.setenv(clock.TEST_CLOCK_ENV, str(path))

    def move_to(moment: datetime) -> None:
        path.write_text(moment.isoformat())

    move_to(datetime(2027, 6, 1, 12, 0, tzinfo=UTC))
    return move_to


@pytest.fixture
def ann(engine, line_id) -> int:
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput("Ann Archer", "+12125550101")).id


def remind(engine, line_id, contact_id, **fields) -> int:
    data = ReminderInput(contact_id=contact_id, body="Hi {first_name}, see you at 10", day=DAY, at=NINE)
    data = ReminderInput(**{**data.__dict__, **fields})
    with session_scope(engine) as session:
        return create_reminder(session, line_id, data, actor="owner@shop.com").id


def reminders(engine) -> list[Reminder]:
    with session_scope(engine) as session:
        return list(session.exec(select(Reminder).order_by(Reminder.id)))


def texts(engine) -> list[Message]:
    with session_scope(engine) as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def test_a_reminder_is_sent_once_at_its_minute_and_not_before(engine, line_id, ann, test_clock):
    remind(engine, line_id, ann)
    test_clock(NINE_UTC - timedelta(seconds=1))
    assert send_due_reminders(engine) == 0
    test_clock(NINE_UTC)
    assert send_due_reminders(engine) == 1
    assert send_due_reminders(engine) == 0
    [text] = texts(engine)
    assert (text.body, text.phone, text.contact_id) == ("Hi Ann, see you at 10", "+12125550101", ann)
    [reminder] = reminders(engine)
    assert (reminder.status, reminder.message_id) == (ReminderStatus.SENT, text.id)


def test_a_time_missed_by_less_than_an_hour_is_sent_late_and_more_is_marked_missed(engine, line_id, ann, test_clock):
    remind(engine, line_id, ann)
    remind(engine, line_id, ann, at=time(7, 0))
    test_clock(NINE_UTC + timedelta(minutes=59))
    assert send_due_reminders(engine) == 2
    statuses = [(reminder.status, reminder.detail) for reminder in reminders(engine)]
    assert statuses == [
        (ReminderStatus.SENT, None),
        (ReminderStatus.MISSED, "Missed: the app was not running at its time (over an hour late)."),
    ]
    assert len(texts(engine)) == 1


def test_an_opted_out_contact_is_skipped_with_the_reason(engine, line_id, ann, test_clock):
    remind(engine, line_id, ann)
    with session_scope(engine) as session:
        consent.opt_out(session, session.get(Contact, ann), Source.KEYWORD)
    test_clock(NINE_UTC)
    send_due_reminders(engine)
    [reminder] = reminders(engine)
    assert (reminder.status, reminder.detail) == (ReminderStatus.SKIPPED, "Skipped: the contact has opted out.")
    assert texts(engine) == []


def test_a_weekly_reminder_keeps_its_wall_clock_time_across_daylight_saving_until_its_last_date(
    engine, line_id, ann, test_clock
):
    test_clock(datetime(2027, 10, 20, 12, 0, tzinfo=UTC))
    remind(engine, line_id, ann, day=date(2027, 10, 28), repeat=ReminderRepeat.WEEKLY, repeat_until=date(2027, 11, 11))
    # 9:00 EDT on 28 October is 13:00 UTC; after 7 November 9:00 EST is 14:00 UTC.
    for moment in (datetime(2027, 10, 28, 13, 0, tzinfo=UTC), datetime(2027, 11, 4, 13, 0, tzinfo=UTC)):
        test_clock(moment)
        assert send_due_reminders(engine) == 1
    test_clock(datetime(2027, 11, 11, 13, 30, tzinfo=UTC))
    assert send_due_reminders(engine) == 0
    test_clock(datetime(2027, 11, 11, 14, 0, tzinfo=UTC))
    assert send_due_reminders(engine) == 1
    assert [reminder.status for reminder in reminders(engine)] == [ReminderStatus.SENT] * 3
    assert len(texts(engine)) == 3


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months(engine, line_id, ann, test_clock):
    remind(engine, line_id, ann, day=date(2027, 8, 31), repeat=ReminderRepeat.MONTHLY)
    with session_scope(engine) as session:
        days = [
            view.local_time.date() for view in reminders_between(session, line_id, date(2027, 8, 1), date(2027, 11, 30))
        ]
    assert days == [date(2027, 8, 31), date(2027, 9, 30), date(2027, 10, 30), date(2027, 11, 30)]


def test_the_calendar_shows_a_days_reminders_with_repeats_projected(engine, line_id, ann, test_clock):
    remind(engine, line_id, ann, repeat=ReminderRepeat.DAILY, repeat_until=date(2027, 6, 12))
    with session_scope(engine) as session:
        views = reminders_between(session, line_id, date(2027, 6, 1), date(2027, 6, 30))
    assert [(view.local_time.day, view.projected, view.contact_name) for view in views] == [
        (10, False, "Ann Archer"),
        (11, True, "Ann Archer"),
        (12, True, "Ann Archer"),
    ]


def test_a_reminder_can_be_edited_and_cancelled_before_it_is_sent(engine, line_id, ann, test_clock):
    reminder_id = remind(engine, line_id, ann)
    with session_scope(engine) as session:
        data = ReminderInput(contact_id=ann, body="Moved to 11", day=DAY, at=time(11, 0))
        assert update_reminder(session, line_id, reminder_id, data).send_at is not None
    test_clock(NINE_UTC)
    assert send_due_reminders(engine) == 0
    with session_scope(engine) as session:
        cancel_reminder(session, line_id, reminder_id, actor="owner@shop.com")
    test_clock(NINE_UTC + timedelta(hours=2))
    assert send_due_reminders(engine) == 0
    assert reminders(engine)[0].status == ReminderStatus.CANCELLED
    assert texts(engine) == []


def test_bad_reminders_are_refused_naming_each_field(engine, line_id, ann, test_clock):
    with pytest.raises(ReminderInvalid) as invalid:
        remind(engine, line_id, 0, body="Hi {nick}", day=date(2027, 5, 1))
    assert set(invalid.value.errors) == {"contact", "body", "when"}
