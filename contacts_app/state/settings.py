"""The Settings modal behind the gear icon: Delete All, a background job whose progress is pushed to the page."""

import reflex as rx

from contacts_app import jobs
from contacts_app.db import session_scope
from contacts_app.domain.contacts import count_contacts
from contacts_app.domain.permissions import Action
from contacts_app.jobs import delete_all as delete_all_job
from contacts_app.models import JobStatus
from contacts_app.state.contacts import ContactsState
from contacts_app.state.session import off_the_loop

CONFIRM_WORD = "DELETE"


class SettingsState(ContactsState):
    """Opens as ContactsState's dialog "settings"."""

    # "" (the settings), "confirm" (type DELETE), "running", "done"
    delete_step: str = ""
    delete_count: int = 0
    confirm_text: str = ""
    deleted: int = 0
    delete_total: int = 0
    _delete_job: int = 0

    @rx.var
    def delete_percent(self) -> int:
        return int(self.deleted * 100 / self.delete_total) if self.delete_total else 0

    @rx.var
    def delete_all_reason(self) -> str:
        return self.refusals.get(Action.DELETE_ALL, "")

    @rx.event
    @off_the_loop
    def set_settings_open(self, is_open: bool):
        """Its own open-change handler: opening reads the count and any Delete All running on the line."""
        if is_open:
            self._open_dialog("settings")
        elif self.dialog == "settings":
            self._close_dialog()
        if self.delete_step == "running":
            # Closing does not stop Delete All; the list keeps refreshing as it goes.
            return
        self.delete_step = ""
        self.confirm_text = ""
        if is_open:
            with session_scope() as session:
                line_id = self._line_id(session)
                self.delete_count = count_contacts(session, line_id)
                self._show_delete_job(session, line_id)

    @rx.event
    @off_the_loop
    def ask_delete_all(self):
        with session_scope() as session:
            line_id = self._require(session, Action.DELETE_ALL)
            self.delete_count = count_contacts(session, line_id)
        self.confirm_text = ""
        self.delete_step = "confirm"

    @rx.event
    def set_confirm_text(self, value: str):
        self.confirm_text = value

    @rx.event
    def back_to_settings(self):
        self.delete_step = ""

    @rx.event
    @off_the_loop
    def delete_all(self):
        """Start Delete All as a job; its progress and end reach the page through state/live.py."""
        if self.delete_step != "confirm" or self.confirm_text.strip() != CONFIRM_WORD:
            return rx.toast.error(f"Type {CONFIRM_WORD} to confirm.")
        with session_scope() as session:
            line_id = self._require(session, Action.DELETE_ALL)
            job = delete_all_job.create(session, self._user(session), line_id)
            job_id, queued = job.id, job.attempts == 0 and job.status == JobStatus.QUEUED
        if queued:
            jobs.dispatch(job_id)
        self._delete_job = job_id
        self.delete_step = "running"
        self.deleted, self.delete_total = job.done, job.total

    def _show_delete_job(self, session, line_id: int) -> None:
        """On opening: a Delete All running on the line (from this page or another) shows its progress."""
        job = jobs.latest_job(session, line_id, delete_all_job.KIND)
        if job is not None and not job.finished:
            self._delete_job = job.id
            self.delete_step = "running"
            self.deleted, self.delete_total = job.done, job.total

    def _on_job(self, message: dict) -> rx.event.EventSpec | None:
        """A job message of the line (from state/live.py); returns the toast to show, if any."""
        if message.get("kind") != delete_all_job.KIND:
            return None
        if message["job"] != self._delete_job and self.delete_step != "running":
            # Someone else's Delete All: this page shows it only if its settings are open on Delete All.
            return None
        self._delete_job = message["job"]
        self.deleted, self.delete_total = message["done"], message["total"] or self.delete_total
        if message["status"] == JobStatus.RUNNING:
            self.delete_step = "running"
            return None
        if self.delete_step != "running":
            return None
        self.delete_step = "done"
        self._clear_selection()
        if message["status"] == JobStatus.SUCCEEDED:
            return rx.toast.success(message["message"] or "Deleted.")
        return rx.toast.error(message["message"] or "Delete All failed.")
