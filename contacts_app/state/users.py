"""The Users page: the account's users and their permissions, its lines, owners and shares.

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
from contacts_app.domain.contacts import RegionInvalid
from contacts_app.domain.lines import LineInvalid, LineNotFound
from contacts_app.domain.permissions import ADMIN_ONLY, UnknownPlan
from contacts_app.domain.users import UserInvalid, UserNotFound
from contacts_app.models import Account, Role, User
from contacts_app.phones import format_phone
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState
from contacts_app.user_views import NO_OWNER, PERMISSION_SWITCHES, LineRow, Person, UserRow, plan_summary, user_row

# /users?edit_line=ID opens that line's editor (the Contacts page links there to set a line's number).
EDIT_LINE_PARAM = "edit_line"


class UsersState(DialogState, SessionState):
    """Dialogs, one per purpose, shared by every row: "new_user", "password", "disable", "line", "share"."""

    users: list[UserRow] = []
    lines: list[LineRow] = []
    plan_name: str = ""
    plan_summary: str = ""
    plan_key: str = ""
    plan_editable: bool = False
    region: str = ""
    region_error: str = ""
    region_version: int = 0
    loaded: bool = False

    # Reset password, for whichever user's menu opened it.
    password_user_id: int = 0
    password_email: str = ""

    # Disable (asks first: it signs the user out everywhere).
    disable_user_id: int = 0
    disable_email: str = ""

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

    @rx.var
    def region_key(self) -> str:
        return f"region-{self.region_version}"

    # ----- account settings -----
    @rx.event
    def choose_plan(self, plan: str):
        with session_scope() as session:
            admin = self._user(session)
            try:
                accounts_domain.choose_plan(session, admin, plan)
            except UnknownPlan as unknown:
                return rx.toast.error(str(unknown))
            self._reload(session, admin)
        return rx.toast.success(f"The account is on the {self.plan_name} plan.")

    @rx.event
    def save_region(self, form_data: dict):
        with session_scope() as session:
            admin = self._user(session)
            try:
                region = accounts_domain.choose_region(session, admin, str(form_data.get("region", "")))
            except RegionInvalid as invalid:
                self.region_error = str(invalid)
                return
            self.region_error = ""
            self._reload(session, admin)
        self.region_version += 1
        return rx.toast.success(f"Numbers without a country code are now read as {region} numbers.")

    # ----- users -----
    @rx.event
    def open_new_user(self):
        self._open_dialog("new_user")

    @rx.event
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

    # ----- lines -----
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
            return [UsersState.load, rx.toast.error(str(missing))]
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
    def unshare(self, line_id: int, user_id: str, line_name: str, email: str):
        with session_scope() as session:
            admin = self._user(session)
            try:
                lines_domain.unshare_line(session, admin, line_id, int(user_id))
            except LineNotFound as missing:
                return rx.toast.error(str(missing))
            self._reload(session, admin)
        return rx.toast.success(f"“{line_name}” is no longer shared with {email}.")
