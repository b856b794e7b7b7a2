"""The Reminders page: a month calendar with a dot on days with reminders, the chosen day's
reminders, and one dialog to schedule or edit a text to a contact."""

import calendar
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

import reflex as rx

from contacts_app import clock
from contacts_app.db import session_scope
from contacts_app.domain import blast_text
from contacts_app.domain import reminders as reminders_domain
from contacts_app.domain.account_zone import account_time_zone
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactNotFound, get_contact, search_contacts
from contacts_app.domain.reminders import ReminderInput, ReminderInvalid, ReminderNotFound
from contacts_app.models import Line, ReminderRepeat, ReminderStatus
from contacts_app.phones import format_phone
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState, off_the_loop

CONTACT_CHOICES = 8
STATUS_LABELS = {
    ReminderStatus.SCHEDULED: "Scheduled",
    ReminderStatus.SENT: "Sent",
    ReminderStatus.SKIPPED: "Skipped",
    ReminderStatus.MISSED: "Missed",
    ReminderStatus.CANCELLED: "Cancelled",
}


@dataclass
class DayCell:
    iso: str = ""
    day: int = 0
    in_month: bool = False
    reminders: int = 0
    label: str = ""


@dataclass
class ReminderLine:
    id: int = 0
    time: str = ""
    contact: str = ""
    body: str = ""
    status: str = ""
    detail: str = ""
    repeat: str = ""
    editable: bool = False


@dataclass
class ContactChoice:
    id: int = 0
    label: str = ""


def month_title(year: int, month: int) -> str:
    return f"{calendar.month_name[month]} {year}"


class RemindersState(DialogState, SessionState):
    """Dialogs: "editor" (new or edit) and "cancel"."""

    loaded: bool = False
    time_zone: str = ""
    year: int = 0
    month: int = 0
    weeks: list[list[DayCell]] = []
    selected_day: str = ""
    day_reminders: list[ReminderLine] = []

    editor_id: int = 0
    contact_query: str = ""
    contact_choices: list[ContactChoice] = []
    contact_id: int = 0
    contact_name: str = ""
    body: str = ""
    counter: str = ""
    day: str = ""
    at: str = "09:00"
    repeat: str = ReminderRepeat.NONE.value
    repeat_until: str = ""

    cancel_id: int = 0

    @rx.var
    def title(self) -> str:
        return month_title(self.year, self.month) if self.year else ""

    @rx.var
    def selected_title(self) -> str:
        if not self.selected_day:
            return ""
        return date.fromisoformat(self.selected_day).strftime("%A, %B %-d")

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            line_id = self._line_id(session)
            self.time_zone = account_time_zone(session, session.get(Line, line_id).account_id)
            today = clock.now().astimezone(ZoneInfo(self.time_zone)).date()
            if not self.year:
                self.year, self.month, self.selected_day = today.year, today.month, today.isoformat()
            self._load_month(session, line_id)
            wanted = dict(self.router.url.query_parameters).get("contact", "")
        self.loaded = True
        if isinstance(wanted, str) and wanted.isdigit():
            return RemindersState.open_new_for(int(wanted))

    def _load_month(self, session, line_id: int) -> None:
        weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(self.year, self.month)
        views = reminders_domain.reminders_between(session, line_id, weeks[0][0], weeks[-1][-1])
        per_day: dict[str, int] = {}
        for view in views:
            per_day[view.local_time.date().isoformat()] = per_day.get(view.local_time.date().isoformat(), 0) + 1
        self.weeks = [
            [
                DayCell(
                    iso=day.isoformat(),
                    day=day.day,
                    in_month=day.month == self.month,
                    reminders=per_day.get(day.isoformat(), 0),
                    label=day.strftime("%B %-d")
                    + (
                        f", {per_day[day.isoformat()]} reminder{'s' if per_day[day.isoformat()] > 1 else ''}"
                        if day.isoformat() in per_day
                        else ""
                    ),
                )
                for day in week
            ]
            for week in weeks
        ]
        chosen = [view for view in views if view.local_time.date().isoformat() == self.selected_day]
        self.day_reminders = [
            ReminderLine(
                id=view.id,
                time=view.local_time.strftime("%H:%M"),
                contact=view.contact_name,
                body=view.body,
                status=STATUS_LABELS.get(view.status, view.status) if not view.projected else "Scheduled",
                detail=view.detail if not view.projected else "",
                repeat=reminders_domain.REPEAT_LABELS.get(view.repeat, "")
                if view.repeat != ReminderRepeat.NONE
                else "",
                editable=view.status == ReminderStatus.SCHEDULED and not view.projected,
            )
            for view in chosen
        ]

    def _reload(self) -> None:
        with session_scope() as session:
            self._load_month(session, self._line_id(session))

    @rx.event
    @off_the_loop
    def choose_day(self, iso: str):
        self.selected_day = iso
        chosen = date.fromisoformat(iso)
        self.year, self.month = chosen.year, chosen.month
        self._reload()

    @rx.event
    @off_the_loop
    def previous_month(self):
        self.year, self.month = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        self._reload()

    @rx.event
    @off_the_loop
    def next_month(self):
        self.year, self.month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        self._reload()

    @rx.event
    @off_the_loop
    def watch(self, _tick: str = ""):
        """Statuses move when the scheduler sends; the open page polls them."""
        if self.loaded and self.dialog != "editor":
            self._reload()

    # ----- the editor -----
    def _open_editor(self) -> None:
        self.contact_query, self.contact_choices = "", []
        self.counter = blast_text.composer_count(self.body, "").summary
        self._open_dialog("editor")

    def _new(self) -> None:
        self.editor_id, self.contact_id, self.contact_name, self.body = 0, 0, "", ""
        self.day, self.at = self.selected_day, "09:00"
        self.repeat, self.repeat_until = ReminderRepeat.NONE.value, ""

    @rx.event
    def open_new(self):
        self._new()
        self._open_editor()

    @rx.event
    @off_the_loop
    def open_new_for(self, contact_id: int):
        """The dialog with the contact chosen ("Schedule a text" in a contact's details)."""
        self._new()
        with session_scope() as session:
            try:
                contact = get_contact(session, self._line_id(session), contact_id)
            except ContactNotFound:
                contact = None
            if contact is not None:
                self.contact_id, self.contact_name = contact.id, contact.full_name
        self._open_editor()

    @rx.event
    @off_the_loop
    def open_edit(self, reminder_id: int):
        with session_scope() as session:
            line_id = self._line_id(session)
            try:
                reminder = reminders_domain.get_reminder(session, line_id, reminder_id)
            except ReminderNotFound:
                return rx.toast.error("That reminder no longer exists.")
            contact = get_contact(session, line_id, reminder.contact_id) if reminder.contact_id else None
            self.editor_id, self.body = reminder.id, reminder.body
            self.contact_id, self.contact_name = (contact.id, contact.full_name) if contact else (0, "")
            self.day, self.at = reminder.local_time.date().isoformat(), reminder.local_time.strftime("%H:%M")
            self.repeat = reminder.repeat
            self.repeat_until = reminder.repeat_until.isoformat() if reminder.repeat_until else ""
        self._open_editor()

    @rx.event
    @off_the_loop
    def set_contact_query(self, value: str):
        self.contact_query = value
        if not value.strip():
            self.contact_choices = []
            return
        with session_scope() as session:
            line_id = self._line_id(session)
            page = search_contacts(session, line_id, ContactFilter(query=value), limit=CONTACT_CHOICES)
            self.contact_choices = [
                ContactChoice(id=row.id, label=f"{row.full_name} · {format_phone(row.phone)}") for row in page.rows
            ]

    @rx.event
    def choose_contact(self, contact_id: int, label: str):
        self.contact_id, self.contact_name = contact_id, label.split(" · ")[0]
        self.contact_query, self.contact_choices = "", []

    @rx.event
    def set_body(self, value: str):
        self.body = value
        self.counter = blast_text.composer_count(value, "").summary

    @rx.event
    def set_day(self, value: str):
        self.day = value

    @rx.event
    def set_at(self, value: str):
        self.at = value

    @rx.event
    def set_repeat(self, value: str):
        self.repeat = value

    @rx.event
    def set_repeat_until(self, value: str):
        self.repeat_until = value

    @rx.event
    @off_the_loop
    def save(self):
        errors: dict[str, str] = {}
        try:
            day = date.fromisoformat(self.day)
        except ValueError:
            errors["when"] = "Date: choose the day."
        try:
            at = time.fromisoformat(self.at)
        except ValueError:
            errors["when"] = "Time: choose the time."
        until = None
        if self.repeat != ReminderRepeat.NONE and self.repeat_until:
            try:
                until = date.fromisoformat(self.repeat_until)
            except ValueError:
                errors["repeat_until"] = "Repeat until: choose a date."
        if errors:
            self.dialog_errors = errors
            return
        data = ReminderInput(self.contact_id, self.body, day, at, ReminderRepeat(self.repeat), until)
        try:
            with session_scope() as session:
                line_id = self._line_id(session)
                if self.editor_id:
                    reminders_domain.update_reminder(session, line_id, self.editor_id, data)
                else:
                    reminders_domain.create_reminder(session, line_id, data, actor=self.user_email)
        except ReminderInvalid as invalid:
            self.dialog_errors = invalid.errors
            return
        except ReminderNotFound:
            self._close_dialog()
            return rx.toast.error("That reminder no longer exists.")
        self._close_dialog()
        self.selected_day, self.year, self.month = day.isoformat(), day.year, day.month
        self._reload()
        return rx.toast.success(f"Reminder to {self.contact_name} {'saved' if self.editor_id else 'scheduled'}.")

    @rx.event
    def ask_cancel(self, reminder_id: int):
        self.cancel_id = reminder_id
        self._open_dialog("cancel")

    @rx.event
    @off_the_loop
    def confirm_cancel(self):
        self._close_dialog()
        with session_scope() as session:
            try:
                reminders_domain.cancel_reminder(session, self._line_id(session), self.cancel_id, self.user_email)
            except ReminderNotFound:
                pass
        self._reload()
        return rx.toast.success("Reminder cancelled.")
