"""Who is signed in and which line they work on; every other state inherits from this one.

Every handler asks here for the user and the active line (`_line_id`, `_require`) on the server,
so a hidden button is never the only thing between a user and an action. Refusals are raised as
typed errors and turned into a toast or a redirect by `refusal_handler`, in one place.
"""

from dataclasses import dataclass

import reflex as rx

from contacts_app.db import get_engine, session_scope
from contacts_app.domain import auth, permissions, users
from contacts_app.domain.permissions import Action, PermissionDenied
from contacts_app.models import Role, User
from contacts_app.phones import format_phone

SESSION_COOKIE = auth.SESSION_COOKIE
SESSION_COOKIE_SECONDS = 14 * 24 * 3600
SIGN_IN_ROUTE = "/sign-in"
SETUP_ROUTE = "/setup"


class NotSignedIn(Exception):
    """The browser's session is missing, expired or revoked."""


@dataclass
class LineChoice:
    id: str = ""
    label: str = ""


def line_label(name: str, phone: str | None) -> str:
    return f"{name} · {format_phone(phone)}" if phone else name


class SessionState(rx.State):
    auth_token: str = rx.Cookie("", name=SESSION_COOKIE, max_age=SESSION_COOKIE_SECONDS, same_site="strict")
    user_email: str = ""
    is_admin: bool = False
    active_line_id: int = 0
    active_line_label: str = ""
    line_choices: list[LineChoice] = []
    # The active line has no phone number yet and the user is an administrator, who can set it.
    line_needs_number: bool = False
    # action -> why it is refused ("" when allowed), for greying out controls.
    refusals: dict[str, str] = {}

    sign_in_error: str = ""
    setup_errors: dict[str, str] = {}

    # ----- for every handler -----
    def _user(self, session) -> User:
        user = auth.user_for_session(session, self.auth_token) if self.auth_token else None
        if user is None:
            raise NotSignedIn()
        return user

    def _line_id(self, session) -> int:
        """The active line, checked against the user's access on every call."""
        user = self._user(session)
        if self.active_line_id and permissions.can_reach_line(session, user, self.active_line_id):
            return self.active_line_id
        line_id = permissions.default_line_for_user(session, user)
        if line_id is None:
            raise PermissionDenied("line", "No phone line is shared with you yet; ask your administrator.")
        self.active_line_id = line_id
        self._refresh_identity(session, user)
        return line_id

    def _require(self, session, action: str) -> int:
        """The active line's id, if the user may do `action` there; PermissionDenied otherwise."""
        line_id = self._line_id(session)
        permissions.require(session, self._user(session), action, line_id)
        return line_id

    def _refresh_identity(self, session, user: User) -> None:
        self.user_email = user.email
        self.is_admin = user.role == Role.ADMIN
        lines = permissions.lines_for_user(session, user)
        self.line_choices = [LineChoice(id=str(line.id), label=line_label(line.name, line.phone)) for line in lines]
        self.active_line_label = next(
            (choice.label for choice in self.line_choices if choice.id == str(self.active_line_id)), ""
        )
        active = next((line for line in lines if line.id == self.active_line_id), None)
        self.line_needs_number = self.is_admin and active is not None and not active.phone
        self.refusals = {
            action: reason or ""
            for action, reason in permissions.permissions_for(session, user, self.active_line_id or None).items()
        }

    @rx.var
    def can_delete(self) -> bool:
        return self.refusals.get(Action.DELETE_CONTACT, "x") == ""

    @rx.var
    def can_delete_all(self) -> bool:
        return self.refusals.get(Action.DELETE_ALL, "x") == ""

    @rx.var
    def can_use_lists(self) -> bool:
        return self.refusals.get(Action.LISTS, "x") == ""

    @rx.var
    def can_import(self) -> bool:
        return self.refusals.get(Action.IMPORT, "x") == ""

    @rx.var
    def can_export(self) -> bool:
        return self.refusals.get(Action.EXPORT, "x") == ""

    @rx.var
    def can_blast(self) -> bool:
        return self.refusals.get(Action.BLASTS, "x") == ""

    # ----- page guard -----
    def _redirect_if_signed_out(self, session):
        """For every signed-in page's on_load: first run, then sign-in; None when the user may stay."""
        if users.needs_first_admin(session):
            return rx.redirect(SETUP_ROUTE)
        user = auth.user_for_session(session, self.auth_token) if self.auth_token else None
        if user is None:
            return rx.redirect(SIGN_IN_ROUTE)
        self._line_id(session)
        self._refresh_identity(session, user)
        return None

    @rx.event
    def switch_line(self, line_id: str):
        with session_scope() as session:
            user = self._user(session)
            permissions.require_line(session, user, int(line_id))
            self.active_line_id = int(line_id)
            self._refresh_identity(session, user)
        # Every page reloads its rows for the new line.
        return rx.redirect(self.router.url.path or "/")

    # ----- sign-in, first run, sign-out -----
    @rx.event
    def sign_in(self, form_data: dict):
        try:
            signed_in = auth.authenticate(
                get_engine(),
                str(form_data.get("email", "")),
                str(form_data.get("password", "")),
                client_ip=self.router.session.client_ip,
            )
        except auth.SignInFailed as failed:
            self.sign_in_error = str(failed)
            return
        self.sign_in_error = ""
        self.auth_token = signed_in.token
        self.active_line_id = 0
        return rx.redirect("/")

    @rx.event
    def create_admin(self, form_data: dict):
        email, password = str(form_data.get("email", "")), str(form_data.get("password", ""))
        if password != str(form_data.get("confirm", "")):
            self.setup_errors = {"confirm": "The two passwords differ."}
            return
        try:
            with session_scope() as session:
                users.create_first_admin(session, email, password)
        except users.UserInvalid as invalid:
            self.setup_errors = invalid.errors
            return
        except users.FirstAdminExists:
            return rx.redirect(SIGN_IN_ROUTE)
        self.setup_errors = {}
        return SessionState.sign_in({"email": email, "password": password})

    @rx.event
    def sign_out(self):
        with session_scope() as session:
            auth.sign_out(session, self.auth_token)
        self.auth_token = ""
        self.user_email = ""
        self.active_line_id = 0
        return rx.redirect(SIGN_IN_ROUTE)

    @rx.event
    def setup_guard(self):
        with session_scope() as session:
            if not users.needs_first_admin(session):
                return rx.redirect(SIGN_IN_ROUTE)


def refusal_handler(exception: Exception):
    """The app's backend exception handler: refusals become messages, not crashes."""
    if isinstance(exception, NotSignedIn):
        return [rx.toast.info("Please sign in again."), rx.redirect(SIGN_IN_ROUTE)]
    if isinstance(exception, PermissionDenied):
        return rx.toast.error(str(exception))
    from reflex.app import default_backend_exception_handler

    return default_backend_exception_handler(exception)
