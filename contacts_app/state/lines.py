"""The Users page's phone lines: adding and editing a line (name, number, owner) and sharing it.

A mixin of `UsersState` (state/users.py), whose `_reload` shows the result and whose `DialogState`
names the open dialog ("line", "share"). Every handler that changes a line passes the signed-in
user to a domain function that checks `Action.MANAGE_USERS` itself; the others only fill a dialog.
"""

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import lines as lines_domain
from contacts_app.domain.lines import LineInvalid, LineNotFound
from contacts_app.state.session import off_the_loop
from contacts_app.user_views import NO_OWNER, Person


class LineEditing(rx.State, mixin=True):
    # Add / edit line (line_id 0 adds).
    line_id: int = 0
    line_name: str = ""
    line_phone: str = ""
    line_owner: str = NO_OWNER

    # Share a line.
    share_line_id: int = 0
    share_line_name: str = ""
    share_user_id: str = ""
    share_choices: list[Person] = []

    @rx.event
    def open_new_line(self):
        self._open_line_editor(0, "", "", NO_OWNER)

    @rx.event
    def open_edit_line(self, line_id: int, name: str, phone: str, owner_id: str):
        self._open_line_editor(line_id, name, phone, owner_id)

    def _open_line_editor(self, line_id: int, name: str, phone: str, owner_id: str) -> None:
        self.line_id, self.line_name, self.line_phone, self.line_owner = line_id, name, phone, owner_id
        self._open_dialog("line")

    @rx.event
    def set_line_owner(self, owner_id: str):
        self.line_owner = owner_id

    @rx.event
    @off_the_loop
    def save_line(self, form_data: dict):
        name, phone = str(form_data.get("name", "")), str(form_data.get("phone", ""))
        owner_id = None if self.line_owner in ("", NO_OWNER) else int(self.line_owner)
        try:
            with session_scope() as session:
                admin = self._user(session)
                if self.line_id:
                    # A line from before numbers were required (the install's first) may stay without one.
                    keep_no_phone = not self.line_phone and not phone.strip()
                    line = lines_domain.update_line(
                        session, admin, self.line_id, name=name, phone=None if keep_no_phone else phone
                    )
                    lines_domain.assign_owner(session, admin, line.id, owner_id)
                else:
                    line = lines_domain.add_line(session, admin, name, phone, owner_id)
                saved = line.name
                self._reload(session, admin)
        except LineInvalid as invalid:
            self.dialog_errors = invalid.errors
            return
        except LineNotFound as missing:
            self._close_dialog()
            return [type(self).load, rx.toast.error(str(missing))]
        self._close_dialog()
        return rx.toast.success(f"Line “{saved}” {'saved' if self.line_id else 'added'}.")

    @rx.event
    def open_share(self, line_id: int):
        line = next((row for row in self.lines if row.id == line_id), None)
        if line is None:
            return
        taken = {line.owner_id} | {person.id for person in line.shared_with}
        self.share_line_id, self.share_line_name = line_id, line.name
        self.share_choices = [
            Person(id=str(row.id), email=row.email)
            for row in self.users
            if str(row.id) not in taken and not row.is_admin and not row.disabled
        ]
        self.share_user_id = self.share_choices[0].id if self.share_choices else ""
        self._open_dialog("share")

    @rx.event
    def set_share_user(self, user_id: str):
        self.share_user_id = user_id

    @rx.event
    @off_the_loop
    def share(self, _form_data: dict | None = None):
        if not self.share_user_id:
            return rx.toast.error("Choose a user to share the line with.")
        with session_scope() as session:
            admin = self._user(session)
            try:
                lines_domain.share_line(session, admin, self.share_line_id, int(self.share_user_id))
            except (LineInvalid, LineNotFound) as problem:
                self._reload(session, admin)
                return rx.toast.error(str(problem))
            self._reload(session, admin)
        email = next((p.email for p in self.share_choices if p.id == self.share_user_id), "")
        self._close_dialog()
        return rx.toast.success(f"“{self.share_line_name}” is shared with {email}.")

    @rx.event
    @off_the_loop
    def unshare(self, line_id: int, user_id: str, line_name: str, email: str):
        with session_scope() as session:
            admin = self._user(session)
            try:
                lines_domain.unshare_line(session, admin, line_id, int(user_id))
            except LineNotFound as missing:
                return rx.toast.error(str(missing))
            self._reload(session, admin)
        return rx.toast.success(f"“{line_name}” is no longer shared with {email}.")
