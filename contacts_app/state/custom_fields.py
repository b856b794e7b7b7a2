"""The Custom fields page: administrators add, rename and remove the account's fields."""

from dataclasses import dataclass

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import custom_fields
from contacts_app.domain.custom_fields import KIND_LABELS, FieldInvalid, FieldNotFound
from contacts_app.domain.permissions import ADMIN_ONLY, Action, require
from contacts_app.models import FieldKind
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState, off_the_loop


@dataclass
class FieldRow:
    id: int = 0
    name: str = ""
    kind_label: str = ""


class CustomFieldsState(DialogState, SessionState):
    """Dialog: "delete". The add form sits on the page."""

    fields: list[FieldRow] = []
    loaded: bool = False
    errors: dict[str, str] = {}
    # Changes to empty the add form after a field is added.
    form_version: int = 0
    delete_id: int = 0
    delete_name: str = ""

    def _admin_account(self, session) -> int:
        """The administrator's account; PermissionDenied for anyone else (a crafted event too)."""
        user = self._user(session)
        require(session, user, Action.MANAGE_USERS)
        return user.account_id

    def _reload(self, session, account_id: int) -> None:
        self.fields = [
            FieldRow(id=f.id or 0, name=f.name, kind_label=KIND_LABELS[FieldKind(f.kind)])
            for f in custom_fields.account_fields(session, account_id)
        ]
        self.loaded = True

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            if not self.is_admin:
                return [rx.redirect("/"), rx.toast.error(ADMIN_ONLY)]
            self._reload(session, self._admin_account(session))

    @rx.event
    @off_the_loop
    def create_field(self, form_data: dict):
        try:
            with session_scope() as session:
                account_id = self._admin_account(session)
                field = custom_fields.create_field(
                    session, account_id, str(form_data.get("name", "")), str(form_data.get("kind", ""))
                )
                name = field.name
                self._reload(session, account_id)
        except FieldInvalid as invalid:
            self.errors = invalid.errors
            return
        self.errors = {}
        self.form_version += 1
        return rx.toast.success(f"“{name}” added: every contact can now have a {name}.")

    @rx.event
    def ask_delete(self, field_id: int, name: str):
        self.delete_id, self.delete_name = field_id, name
        self._open_dialog("delete")

    @rx.event
    @off_the_loop
    def confirm_delete(self):
        self._close_dialog()
        try:
            with session_scope() as session:
                account_id = self._admin_account(session)
                custom_fields.delete_field(session, account_id, self.delete_id)
                self._reload(session, account_id)
        except FieldNotFound as missing:
            return rx.toast.error(str(missing))
        return rx.toast.success(f"“{self.delete_name}” removed, with every contact's value of it.")
