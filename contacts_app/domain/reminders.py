"""Reminders: a text scheduled for one contact, once or repeating, sent by the scheduler at its minute.

Times are the account's wall clock (its zone): a weekly reminder at 9:00 stays at 9:00 across a
daylight-saving change. Each occurrence is a row; when one is sent (or skipped, or missed) the next
is written in the same transaction, so a repeating reminder survives restarts and is never sent
twice. A time missed while the app was down is still sent if less than an hour late, else marked
missed. Nothing is ever sent to an opted-out contact: the occurrence is skipped with the reason.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app import clock
from contacts_app.db import session_scope
from contacts_app.domain import blast_text
from contacts_app.domain.account_zone import account_time_zone
from contacts_app.domain.messaging import SendingRefused, send_text
from contacts_app.models import Contact, Line, Reminder, ReminderRepeat, ReminderStatus

# Later than this and the text is no longer what the sender meant ("see you in an hour").
MISSED_AFTER = timedelta(hours=1)
# Further ahead than this is a mistyped year, not a reminder.
MAX_DAYS_AHEAD = 5 * 366
MAX_OCCURRENCES_SHOWN = 62
REPEAT_LABELS = {
    ReminderRepeat.NONE: "Does not repeat",
    ReminderRepeat.DAILY: "Daily",
    ReminderRepeat.WEEKLY: "Weekly",
    ReminderRepeat.MONTHLY: "Monthly",
}


@dataclass
class ReminderInvalid(Exception):
    """One message per field (contact, body, when, repeat_until)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class ReminderNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ReminderInput:
    contact_id: int
    body: str
    # The account's wall clock.
    day: date
    at: time
    repeat: ReminderRepeat = ReminderRepeat.NONE
    repeat_until: date | None = None


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_occurrence(local: datetime, repeat: str) -> datetime | None:
    """The next wall-clock time after `local` (naive, the account's clock), or None for a one-off."""
    if repeat == ReminderRepeat.DAILY:
        return local + timedelta(days=1)
    if repeat == ReminderRepeat.WEEKLY:
        return local + timedelta(days=7)
    if repeat == ReminderRepeat.MONTHLY:
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        # The 31st becomes the month's last day where there is no 31st.
        day = min(local.day, calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day)
    return None


def _check(session: Session, line_id: int, data: ReminderInput, zone: str, now: datetime) -> Contact:
    errors: dict[str, str] = {}
    contact = session.get(Contact, data.contact_id) if data.contact_id else None
    if contact is None or contact.line_id != line_id:
        errors["contact"] = "Contact: choose a contact of this line."
    body = data.body or ""
    if not body.strip():
        errors["body"] = "Message: write the text to send."
    elif len(body) > blast_text.MAX_BLAST_LENGTH:
        errors["body"] = f"Message is too long ({len(body):,} characters; the limit is {blast_text.MAX_BLAST_LENGTH})."
    elif unknown := blast_text.unknown_merge_fields(body):
        fields = ", ".join("{" + name + "}" for name in unknown)
        errors["body"] = f"Message: unknown merge field {fields}; use {{full_name}} or {{first_name}}."
    if data.repeat not in list(ReminderRepeat):
        errors["repeat"] = "Repeat: daily, weekly, monthly or not at all."
    today = now.astimezone(ZoneInfo(zone)).date()
    if data.day > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["when"] = "Date: at most five years ahead."
    elif data.day < today - timedelta(days=1) or _moment(data.day, data.at, zone) < now - timedelta(minutes=1):
        errors["when"] = "Date and time: that time has passed."
    if data.repeat_until is not None and data.repeat_until < data.day:
        errors["repeat_until"] = "Repeat until: a date on or after the first one."
    if errors:
        raise ReminderInvalid(errors)
    return contact


def create_reminder(session: Session, line_id: int, data: ReminderInput, actor: str | None = None) -> Reminder:
    zone = account_time_zone(session, session.get(Line, line_id).account_id)
    contact = _check(session, line_id, data, zone, clock.now())
    reminder = Reminder(
        line_id=line_id,
        contact_id=contact.id,
        body=data.body,
        send_at=_moment(data.day, data.at, zone),
        local_time=datetime.combine(data.day, data.at),
        repeat=data.repeat,
        repeat_until=data.repeat_until if data.repeat != ReminderRepeat.NONE else None,
        created_by=actor,
    )
    session.add(reminder)
    session.flush()
    return reminder


def get_reminder(session: Session, line_id: int, reminder_id: int) -> Reminder:
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.line_id != line_id:
        raise ReminderNotFound(reminder_id)
    return reminder


def update_reminder(session: Session, line_id: int, reminder_id: int, data: ReminderInput) -> Reminder:
    """Change a reminder not yet sent (and, for a repeating one, the occurrences after it)."""
    reminder = get_reminder(session, line_id, reminder_id)
    if reminder.status != ReminderStatus.SCHEDULED:
        raise ReminderInvalid({"when": "This reminder was already sent, skipped or cancelled; it cannot change."})
    zone = account_time_zone(session, session.get(Line, line_id).account_id)
    contact = _check(session, line_id, data, zone, clock.now())
    reminder.contact_id = contact.id
    reminder.body = data.body
    reminder.send_at = _moment(data.day, data.at, zone)
    reminder.local_time = datetime.combine(data.day, data.at)
    reminder.repeat = data.repeat
    reminder.repeat_until = data.repeat_until if data.repeat != ReminderRepeat.NONE else None
    session.add(reminder)
    session.flush()
    return reminder


def cancel_reminder(session: Session, line_id: int, reminder_id: int, actor: str | None = None) -> Reminder:
    """Cancel a reminder not yet sent; a repeating one stops altogether."""
    reminder = get_reminder(session, line_id, reminder_id)
    if reminder.status == ReminderStatus.SCHEDULED:
        reminder.status = ReminderStatus.CANCELLED
        reminder.detail = f"Cancelled by {actor}" if actor else "Cancelled"
        reminder.settled_at = clock.now()
        session.add(reminder)
        session.flush()
    return reminder


# --- The scheduler ---------------------------------------------------------------------------


def due_reminder_ids(session: Session, now: datetime) -> list[int]:
    return list(
        session.exec(
            select(Reminder.id)
            .where(Reminder.status == ReminderStatus.SCHEDULED, col(Reminder.send_at) <= now)
            .order_by(col(Reminder.send_at), col(Reminder.id))
            .limit(500)
        )
    )


def next_reminder_at(engine: Engine | None = None) -> datetime | None:
    """When the earliest scheduled reminder is due (real time; a moved test clock is met by the minute's sweep)."""
    with session_scope(engine) as session:
        earliest = session.exec(
            select(func.min(Reminder.send_at)).where(Reminder.status == ReminderStatus.SCHEDULED)
        ).one()
    return _as_utc(earliest) if earliest is not None else None


def send_due_reminders(engine: Engine | None = None, now: datetime | None = None) -> int:
    """The scheduler's step (the `reminders` outbox): each due reminder sent, skipped or missed once."""
    now = now or clock.now()
    with session_scope(engine) as session:
        due = due_reminder_ids(session, now)
    return sum(1 for reminder_id in due if _settle(engine, reminder_id, now))


def _settle(engine: Engine | None, reminder_id: int, now: datetime) -> bool:
    with session_scope(engine) as session:
        # Taking the row moves it out of "scheduled" first: a second scheduler finds nothing to do.
        taken = session.execute(
            update(Reminder)
            .where(col(Reminder.id) == reminder_id, Reminder.status == ReminderStatus.SCHEDULED)
            .values(status=ReminderStatus.SENT)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            return False
        reminder = session.get(Reminder, reminder_id)
        session.refresh(reminder)
        contact = session.get(Contact, reminder.contact_id) if reminder.contact_id else None
        reminder.settled_at = now
        if now - _as_utc(reminder.send_at) > MISSED_AFTER:
            reminder.status = ReminderStatus.MISSED
            reminder.detail = "Missed: the app was not running at its time (over an hour late)."
        elif contact is None:
            reminder.status = ReminderStatus.SKIPPED
            reminder.detail = "Skipped: the contact was deleted."
        else:
            try:
                body = blast_text.merge(reminder.body, contact.full_name, "")
                message = send_text(session, contact, body)
                reminder.message_id = message.id
                reminder.detail = None
            except SendingRefused:
                reminder.status = ReminderStatus.SKIPPED
                reminder.detail = "Skipped: the contact has opted out."
        session.add(reminder)
        _schedule_next(session, reminder)
    return True


def _schedule_next(session: Session, reminder: Reminder) -> Reminder | None:
    following = next_occurrence(reminder.local_time, reminder.repeat)
    if following is None or (reminder.repeat_until is not None and following.date() > reminder.repeat_until):
        return None
    zone = account_time_zone(session, session.get(Line, reminder.line_id).account_id)
    upcoming = Reminder(
        line_id=reminder.line_id,
        contact_id=reminder.contact_id,
        body=reminder.body,
        send_at=_moment(following.date(), following.time(), zone),
        local_time=following,
        repeat=reminder.repeat,
        repeat_until=reminder.repeat_until,
        created_by=reminder.created_by,
    )
    session.add(upcoming)
    session.flush()
    return upcoming


# --- The calendar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderView:
    id: int
    contact_id: int | None
    contact_name: str
    body: str
    local_time: datetime
    status: str
    detail: str
    repeat: str
    # A later occurrence of a repeating reminder, shown ahead of being written; not editable itself.
    projected: bool = False


def reminders_between(session: Session, line_id: int, first: date, last: date) -> list[ReminderView]:
    """Every reminder of the line on the account's days first..last, with repeats projected forward."""
    start, end = datetime.combine(first, time.min), datetime.combine(last, time.max)
    rows = session.exec(
        select(Reminder, Contact.full_name)
        .outerjoin(Contact, col(Contact.id) == Reminder.contact_id)
        .where(
            Reminder.line_id == line_id,
            col(Reminder.local_time) <= end,
            (col(Reminder.local_time) >= start)
            | ((Reminder.status == ReminderStatus.SCHEDULED) & (Reminder.repeat != ReminderRepeat.NONE)),
        )
        .order_by(col(Reminder.local_time), col(Reminder.id))
    ).all()
    views: list[ReminderView] = []
    for reminder, name in rows:
        if reminder.local_time >= start:
            views.append(_view(reminder, name or "(deleted contact)", reminder.local_time, False))
        if reminder.status != ReminderStatus.SCHEDULED or reminder.repeat == ReminderRepeat.NONE:
            continue
        moment, shown = next_occurrence(reminder.local_time, reminder.repeat), 0
        while moment is not None and moment <= end and shown < MAX_OCCURRENCES_SHOWN:
            if reminder.repeat_until is not None and moment.date() > reminder.repeat_until:
                break
            if moment >= start:
                views.append(_view(reminder, name or "", moment, True))
                shown += 1
            moment = next_occurrence(moment, reminder.repeat)
    return sorted(views, key=lambda view: (view.local_time, view.id))


def _view(reminder: Reminder, name: str, moment: datetime, projected: bool) -> ReminderView:
    return ReminderView(
        id=reminder.id,
        contact_id=reminder.contact_id,
        contact_name=name,
        body=reminder.body,
        local_time=moment,
        status=reminder.status,
        detail=reminder.detail or "",
        repeat=reminder.repeat,
        projected=projected,
    )
