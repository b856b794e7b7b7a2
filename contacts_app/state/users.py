"""The Users page: the account's users and their permissions. Its lines, owners and shares are
handled in state/lines.py, the plan and region in state/plan_and_region.py (mixins of this state).

The rows it shows (users with their permission switches, lines, the plan's summary) are built
in user_views.py. Administrators only. The page's on_load sends anyone else away, and every
handler passes the signed-in user to a domain function that checks `Action.MANAGE_USERS` itself, so a crafted
event from a non-administrator is refused on the server (as a toast, by `refusal_handler`).
"""

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import accounts as accounts_domain
from contacts_app.domain import lines as lines_domain
from contacts_app.domain import permissions
from contacts_app.domain import users as users_domain
from contacts_app.domain.permissions import ADMIN_ONLY
from contacts_app.domain.users import UserInvalid, UserNotFound
from contacts_app.models import Account, Role, User
from contacts_app.phones import format_phone
from contacts_app.state.dialogs import DialogState
from contacts_app.state.lines import LineEditing
from contacts_app.state.plan_and_region import PlanAndRegion
from contacts_app.state.session import SessionState, off_the_loop
from contacts_app.user_views import NO_OWNER, PERMISSION_SWITCHES, LineRow, Person, UserRow, plan_summary, user_row

# /users?edit_line=ID opens that line's editor (the Contacts page links there to set a line's number).
EDIT_LINE_PARAM = "edit_line"


class UsersState(LineEditing, PlanAndRegion, DialogState, SessionState):
    """Dialogs, one per purpose, shared by every row: "new_user", "password", "disable", "line", "share"."""

    users: list[UserRow] = []
    lines: list[LineRow] = []
    plan_name: str = ""
    plan_summary: str = ""
    plan_key: str = ""
    plan_editable: bool = False
    loaded: bool = False

    # Reset password, for whichever user's menu opened it.
    password_user_id: int = 0
    password_email: str = ""

    # Disable (asks first: it signs the user out everywhere).
    disable_user_id: int = 0
    disable_email: str = ""

    @rx.var
    def owner_choices(self) -> list[Person]:
        return [Person(id=str(row.id), email=row.email) for row in self.users if not row.disabled]

    # ----- loading -----
    def _reload(self, session, admin: User) -> None:
        plan_name, features = permissions.plan_of(session, admin.account_id)
        self.plan_name = plan_name.capitalize()
        self.plan_summary = plan_summary(features)
        self.plan_key = plan_name
        self.plan_editable = accounts_domain.administrators_choose_the_plan(session)
        self.users = [
            user_row(user, admin, self.plan_name, features) for user in users_domain.list_users(session, admin)
        ]
        account = session.get(Account, admin.account_id)
        region = account.default_region if account else "US"
        self.region = region
        self.lines = [
            LineRow(
                id=line.id,
                name=line.name,
                phone=format_phone(line.phone, region) if line.phone else "",
                owner_id=str(line.owner.id) if line.owner else NO_OWNER,
                owner_email=line.owner.email if line.owner else "",
                shared_with=[Person(id=str(ref.id), email=ref.email) for ref in line.shared_with],
            )
            for line in lines_domain.list_lines(session, admin)
        ]
        # The switcher in the top bar shows the administrator's lines, which may just have changed.
        self._refresh_identity(session, admin)
        self.loaded = True

    def _reload_or_leave(self, session, admin: User):
        """Reload; an administrator who just made themselves a user leaves the page."""
        session.refresh(admin)
        if admin.role != Role.ADMIN:
            self._refresh_identity(session, admin)
            return [rx.redirect("/"), rx.toast.info("You are no longer an administrator.")]
        self._reload(session, admin)
        return None

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            admin = self._user(session)
            if admin.role != Role.ADMIN:
                return [rx.redirect("/"), rx.toast.error(ADMIN_ONLY)]
            self._reload(session, admin)
        # /users?edit_line=ID (the Contacts page's "Set its number") opens that line's editor.
        wanted = self.router.url.query_parameters.get(EDIT_LINE_PARAM, "")
        line = next((row for row in self.lines if str(row.id) == wanted), None)
        if line is not None:
            self._open_line_editor(line.id, line.name, line.phone, line.owner_id)
            # Off the address, so a reload after saving does not open it again.
            return rx.call_script("history.replaceState(null, '', '/users')")

    # ----- users -----
    @rx.event
    def open_new_user(self):
        self._open_dialog("new_user")

    @rx.event
    @off_the_loop
    def add_user(self, form_data: dict):
        email = str(form_data.get("email", ""))
        role = str(form_data.get("role", "")) or Role.USER
        try:
            with session_scope() as session:
                admin = self._user(session)
                user = users_domain.add_user(session, admin, email, str(form_data.get("password", "")), role)
                added = user.email
                self._reload(session, admin)
        except UserInvalid as invalid:
            self.dialog_errors = invalid.errors
            return
        self._close_dialog()
        return rx.toast.success(f"{added} can now sign in.")

    @rx.event
    @off_the_loop
    def set_permission(self, user_id: int, column: str, allowed: bool):
        # Checked gives the feature back "as the plan allows" (None); unchecked takes it away.
        with session_scope() as session:
            admin = self._user(session)
            try:
                user = users_domain.set_permissions(session, admin, user_id, {column: None if allowed else False})
            except (UserNotFound, UserInvalid) as problem:
                self._reload(session, admin)
                return rx.toast.error(str(problem))
            email = user.email
            self._reload(session, admin)
        label = dict(PERMISSION_SWITCHES).get(column, column)
        return rx.toast.success(f"{label} {'allowed' if allowed else 'turned off'} for {email}.")

    @rx.event
    @off_the_loop
    def set_role(self, user_id: int, role: str):
        with session_scope() as session:
            admin = self._user(session)
            try:
                user = users_domain.set_role(session, admin, user_id, role)
            except (UserNotFound, UserInvalid) as problem:
                return rx.toast.error(str(problem))
            email = user.email
            leaving = self._reload_or_leave(session, admin)
        if leaving:
            return leaving
        return rx.toast.success(f"{email} is now {'an administrator' if role == Role.ADMIN else 'a user'}.")

    @rx.event
    def ask_disable(self, user_id: int, email: str):
        self.disable_user_id, self.disable_email = user_id, email
        self._open_dialog("disable")

    @rx.event
    def confirm_disable(self):
        self._close_dialog()
        return UsersState.set_disabled(self.disable_user_id, True)

    @rx.event
    @off_the_loop
    def set_disabled(self, user_id: int, disabled: bool):
        with session_scope() as session:
            admin = self._user(session)
            try:
                user = users_domain.set_disabled(session, admin, user_id, disabled)
            except (UserNotFound, UserInvalid) as problem:
                return rx.toast.error(str(problem))
            email = user.email
            self._reload(session, admin)
        if disabled:
            return rx.toast.success(f"{email} is disabled and signed out everywhere.")
        return rx.toast.success(f"{email} can sign in again.")

    @rx.event
    def open_reset_password(self, user_id: int, email: str):
        self.password_user_id, self.password_email = user_id, email
        self._open_dialog("password")

    @rx.event
    @off_the_loop
    def reset_password(self, form_data: dict):
        password = str(form_data.get("password", ""))
        if password != str(form_data.get("confirm", "")):
            self.dialog_errors = {"confirm": "The two passwords differ."}
            return
        try:
            with session_scope() as session:
                users_domain.reset_password(session, self._user(session), self.password_user_id, password)
        except UserInvalid as invalid:
            self.dialog_errors = invalid.errors
            return
        except UserNotFound as missing:
            self._close_dialog()
            return rx.toast.error(str(missing))
        self._close_dialog()
        return rx.toast.success(f"Password of {self.password_email} changed; their sessions have ended.")
