"""The Settings modal behind the gear icon: Delete All, run in batches on the server with progress."""

import asyncio

import reflex as rx

from contacts_app.db import get_engine, session_scope
from contacts_app.domain import bulk_delete
from contacts_app.domain.contacts import count_contacts
from contacts_app.domain.permissions import Action
from contacts_app.state.contacts import ContactsState

CONFIRM_WORD = "DELETE"
PROGRESS_REFRESH_SECONDS = 0.5


class SettingsState(ContactsState):
    settings_open: bool = False
    # "" (the settings), "confirm" (type DELETE), "running", "done"
    delete_step: str = ""
    delete_count: int = 0
    confirm_text: str = ""
    deleted: int = 0
    delete_total: int = 0

    @rx.var
    def delete_percent(self) -> int:
        return int(self.deleted * 100 / self.delete_total) if self.delete_total else 0

    @rx.var
    def delete_all_reason(self) -> str:
        return self.refusals.get(Action.DELETE_ALL, "")

    @rx.event
    def set_settings_open(self, is_open: bool):
        if self.delete_step == "running":
            # Closing does not stop Delete All; the list keeps refreshing as it goes.
            self.settings_open = is_open
            return
        self.settings_open = is_open
        self.delete_step = ""
        self.confirm_text = ""
        if is_open:
            with session_scope() as session:
                self.delete_count = count_contacts(session, self._line_id(session))

    @rx.event
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

    @rx.event(background=True)
    async def delete_all(self):
        async with self:
            if self.delete_step != "confirm" or self.confirm_text.strip() != CONFIRM_WORD:
                return rx.toast.error(f"Type {CONFIRM_WORD} to confirm.")
            with session_scope() as session:
                line_id = self._require(session, Action.DELETE_ALL)
                user_id = self._user(session).id
            self.delete_step = "running"
            self.deleted, self.delete_total = 0, self.delete_count

        progress = {"done": 0, "total": 0}

        def report(done: int, total: int) -> None:
            progress["done"], progress["total"] = done, total

        job = asyncio.create_task(
            asyncio.to_thread(bulk_delete.delete_all_contacts_for, get_engine(), user_id, line_id, report)
        )
        while not job.done():
            await asyncio.wait({job}, timeout=PROGRESS_REFRESH_SECONDS)
            async with self:
                self.deleted, self.delete_total = progress["done"], progress["total"] or self.delete_total
                with session_scope() as session:
                    self._load_rows(session)

        async with self:
            deleted = job.result()
            self.deleted = deleted
            self.delete_step = "done"
            self._clear_selection()
            with session_scope() as session:
                self._load_rows(session)
            return rx.toast.success(f"Deleted {deleted:,} contacts. Opt-outs are kept.")
