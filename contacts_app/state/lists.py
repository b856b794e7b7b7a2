"""The Lists page: the line's lists with member counts, and one dialog for new / rename, one for delete."""

from dataclasses import dataclass

import reflex as rx

from contacts_app.api.exports import export_url
from contacts_app.db import session_scope
from contacts_app.domain import lists as lists_domain
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.lists import ListInvalid, ListNotFound
from contacts_app.domain.permissions import Action
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState, off_the_loop


@dataclass
class ListRow:
    id: int = 0
    name: str = ""
    description: str = ""
    members: int = 0


class ListsState(DialogState, SessionState):
    """Dialogs: "edit" (new list or rename) and "delete"."""

    rows: list[ListRow] = []
    loaded: bool = False

    edit_id: int = 0  # 0: a new list
    edit_name: str = ""
    edit_description: str = ""

    delete_id: int = 0
    delete_name: str = ""

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            if not self.can_use_lists:
                self.rows, self.loaded = [], True
                return
            line_id = self._require(session, Action.LISTS)
            self.rows = [
                ListRow(id=s.id, name=s.name, description=s.description, members=s.member_count)
                for s in lists_domain.lists_with_counts(session, line_id)
            ]
        self.loaded = True

    @rx.event
    def open_new(self):
        self._open_editor(0, "", "")

    @rx.event
    def open_rename(self, list_id: int, name: str, description: str):
        self._open_editor(list_id, name, description)

    def _open_editor(self, list_id: int, name: str, description: str) -> None:
        self.edit_id, self.edit_name, self.edit_description = list_id, name, description
        self._open_dialog("edit")

    @rx.event
    @off_the_loop
    def save(self, form_data: dict):
        name, description = str(form_data.get("name", "")), str(form_data.get("description", ""))
        try:
            with session_scope() as session:
                line_id = self._require(session, Action.LISTS)
                if self.edit_id:
                    lists_domain.update_list(session, line_id, self.edit_id, name, description)
                else:
                    lists_domain.create_list(session, line_id, name, description)
        except ListInvalid as invalid:
            self.dialog_errors = invalid.errors
            return
        except ListNotFound:
            self._close_dialog()
            return [ListsState.load, rx.toast.error("That list no longer exists.")]
        self._close_dialog()
        return [
            ListsState.load,
            rx.toast.success(f"List “{' '.join(name.split())}” {'saved' if self.edit_id else 'created'}."),
        ]

    @rx.event
    def ask_delete(self, list_id: int, name: str):
        self.delete_id, self.delete_name = list_id, name
        self._open_dialog("delete")

    @rx.event
    @off_the_loop
    def confirm_delete(self):
        self._close_dialog()
        try:
            with session_scope() as session:
                lists_domain.delete_list(session, self._require(session, Action.LISTS), self.delete_id)
        except ListNotFound:
            pass
        return [ListsState.load, rx.toast.success(f"List “{self.delete_name}” deleted; its contacts stay.")]

    @rx.event
    @off_the_loop
    def export(self, list_id: int, name: str):
        """The list's members as CSV in the import format, streamed by the server."""
        with session_scope() as session:
            line_id = self._require(session, Action.EXPORT)
            self._require(session, Action.LISTS)
        return rx.download(url=export_url(line_id, ContactFilter(list_id=list_id)), filename=f"{name}.csv")
