"""/api/v1/reminders: texts scheduled for one contact, once or repeating, through the same domain as
the Reminders page (a booking system or a CRM sets them up; the app sends them at their minute).

Dates and times are the account's wall clock, in its time zone (returned as `time_zone`), as on the
page: a weekly reminder at 09:00 stays at 09:00 across a daylight-saving change.
"""

import datetime as dt
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from contacts_app.api.deps import MAX_ID, CallerDep, EngineDep, resolve_line
from contacts_app.api.errors import ApiError, invalid
from contacts_app.api.schemas import ErrorOut, Text
from contacts_app.db import session_scope
from contacts_app.domain import reminders as reminders_domain
from contacts_app.domain.account_zone import account_time_zone
from contacts_app.domain.blast_text import MAX_BLAST_LENGTH
from contacts_app.models import Line, Reminder, ReminderRepeat

ERRORS = {status: {"model": ErrorOut} for status in (401, 404, 409, 422)}
router = APIRouter(prefix="/api/v1/reminders", tags=["reminders"], responses=ERRORS)

LineParam = Query(None, ge=1, le=MAX_ID, description="Line id; the account's first line when omitted.")
ReminderId = Path(ge=1, le=MAX_ID)
# The calendar shows a month and its edges; a client pages through longer spans.
MAX_SPAN_DAYS = 92
# Repeats are walked from their first day to the span asked for: a span past the reminders' own
# five years would only walk longer.
EARLIEST_DAY = date(2000, 1, 1)
Repeat = Literal["none", "daily", "weekly", "monthly"]


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int = Field(ge=1, le=MAX_ID, description="A contact of the line.")
    message: Annotated[Text, Field(min_length=1, max_length=MAX_BLAST_LENGTH)] = Field(
        description="The text, not blank; {first_name} and {full_name} are the contact's.",
        json_schema_extra={"format": "blast-text"},
    )
    date: dt.date = Field(description="The day, on the account's calendar; at most five years ahead.")
    time: dt.time = Field(description="The time of day, on the account's clock (HH:MM).")
    repeat: Repeat = "none"
    repeat_until: dt.date | None = Field(None, description="The last day a repeating reminder is sent on.")


class ReminderOut(BaseModel):
    id: int
    line_id: int
    contact_id: int | None = Field(description="None once the contact was deleted (the reminder is then skipped).")
    message: str
    date: dt.date
    time: dt.time
    time_zone: str = Field(description="The account's zone, which `date` and `time` are in.")
    send_at: datetime = Field(description="The same moment in UTC.")
    repeat: Repeat
    repeat_until: dt.date | None
    status: str = Field(description="scheduled, sent, skipped, missed or cancelled")
    detail: str | None = Field(description="Why it was skipped, missed or cancelled.")
    created_at: datetime


class OccurrenceOut(BaseModel):
    reminder_id: int
    contact_id: int | None
    contact_name: str
    message: str
    local_time: datetime = Field(description="On the account's clock (no zone).")
    status: str
    repeat: Repeat
    projected: bool = Field(description="A later occurrence of a repeating reminder, not yet written.")


def refusal_status(errors: dict[str, str]) -> int:
    """404 for a contact that is not the line's; 409 for a request the calendar refuses although it is
    well formed (a time passed, an end before the start, a reminder already sent); 422 for the text."""
    if "contact" in errors:
        return 404
    if "body" in errors:
        return 422
    return 409


def _input(body: ReminderIn) -> reminders_domain.ReminderInput:
    return reminders_domain.ReminderInput(
        contact_id=body.contact_id,
        body=body.message,
        day=body.date,
        at=body.time.replace(second=0, microsecond=0, tzinfo=None),
        repeat=ReminderRepeat(body.repeat),
        repeat_until=body.repeat_until,
    )


def _out(session, reminder: Reminder) -> ReminderOut:
    zone = account_time_zone(session, session.get(Line, reminder.line_id).account_id)
    return ReminderOut(
        id=reminder.id,
        line_id=reminder.line_id,
        contact_id=reminder.contact_id,
        message=reminder.body,
        date=reminder.local_time.date(),
        time=reminder.local_time.time(),
        time_zone=zone,
        send_at=reminder.send_at,
        repeat=reminder.repeat,
        repeat_until=reminder.repeat_until,
        status=reminder.status,
        detail=reminder.detail,
        created_at=reminder.created_at,
    )


def _own_reminder(session, caller, reminder_id: int) -> Reminder:
    reminder = session.get(Reminder, reminder_id)
    line = session.get(Line, reminder.line_id) if reminder else None
    if reminder is None or line is None or line.account_id != caller.account_id:
        raise ApiError(404, f"Reminder {reminder_id} is not a reminder of this account.")
    return reminder


def _refused(exc: reminders_domain.ReminderInvalid) -> ApiError:
    return invalid(exc.errors, status=refusal_status(exc.errors))


@router.post("", response_model=ReminderOut, status_code=201, summary="Schedule a reminder text to a contact")
def create(caller: CallerDep, engine: EngineDep, body: ReminderIn, line: int | None = LineParam) -> ReminderOut:
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        try:
            reminder = reminders_domain.create_reminder(session, chosen.id, _input(body), actor=caller.actor)
        except reminders_domain.ReminderInvalid as exc:
            raise _refused(exc) from None
        return _out(session, reminder)


@router.get("", response_model=list[OccurrenceOut], summary="Reminders of a line between two days")
def between(
    caller: CallerDep,
    engine: EngineDep,
    first: Annotated[date, Query(alias="from", description="The first day, on the account's calendar.")],
    last: Annotated[date, Query(alias="to", description=f"The last day; at most {MAX_SPAN_DAYS} days after `from`.")],
    line: int | None = LineParam,
) -> list[OccurrenceOut]:
    if last < first or last - first > timedelta(days=MAX_SPAN_DAYS):
        raise invalid({"to": f"To: on or after From, and at most {MAX_SPAN_DAYS} days after it."}, status=409)
    latest = date.today() + timedelta(days=reminders_domain.MAX_DAYS_AHEAD + MAX_SPAN_DAYS)
    if first < EARLIEST_DAY or last > latest:
        raise invalid({"from": f"From and To: between {EARLIEST_DAY:%Y-%m-%d} and {latest:%Y-%m-%d}."}, status=409)
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        return [
            OccurrenceOut(
                reminder_id=view.id,
                contact_id=view.contact_id,
                contact_name=view.contact_name,
                message=view.body,
                local_time=view.local_time,
                status=view.status,
                repeat=view.repeat,
                projected=view.projected,
            )
            for view in reminders_domain.reminders_between(session, chosen.id, first, last)
        ]


@router.get("/{reminder_id}", response_model=ReminderOut, summary="A reminder")
def read(caller: CallerDep, engine: EngineDep, reminder_id: int = ReminderId) -> ReminderOut:
    with session_scope(engine) as session:
        return _out(session, _own_reminder(session, caller, reminder_id))


@router.put("/{reminder_id}", response_model=ReminderOut, summary="Change a reminder not yet sent")
def change(caller: CallerDep, engine: EngineDep, body: ReminderIn, reminder_id: int = ReminderId) -> ReminderOut:
    with session_scope(engine) as session:
        line_id = _own_reminder(session, caller, reminder_id).line_id
        try:
            reminder = reminders_domain.update_reminder(session, line_id, reminder_id, _input(body))
        except reminders_domain.ReminderInvalid as exc:
            raise _refused(exc) from None
        return _out(session, reminder)


@router.delete("/{reminder_id}", response_model=ReminderOut, summary="Cancel a reminder (a repeating one stops)")
def cancel(caller: CallerDep, engine: EngineDep, reminder_id: int = ReminderId) -> ReminderOut:
    with session_scope(engine) as session:
        line_id = _own_reminder(session, caller, reminder_id).line_id
        reminder = reminders_domain.cancel_reminder(session, line_id, reminder_id, actor=caller.actor)
        return _out(session, reminder)
