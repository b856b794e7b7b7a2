"""Who is signed in and which line they work on; every other state inherits from this one.

Every handler resolves, once, who is signed in, the line they work on, its region and whether the
action is allowed (`with self._act(Action.X) as act:`), on the server and from the database, so a
hidden button is never the only thing between a user and an action and a revoked session ends at
its next event on every worker. Refusals are raised as typed errors and turned into a toast or a
redirect by `refusal_handler`, in one place.

Handlers that read the database run it in a worker thread (`off_the_loop`): the event loop serves
every browser of the process, and one slow query must not delay anyone else's events.
"""

import asyncio
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import reflex as rx
from sqlalchemy import exists
from sqlmodel import Session, col, select

from contacts_app.api import session as api_session
from contacts_app.api.session import SESSION_HASH_HEADER
from contacts_app.db import session_scope
from contacts_app.domain import auth, permissions, users
from contacts_app.domain.permissions import Action, PermissionDenied
from contacts_app.models import Account, Line, LineAccess, Role, User
from contacts_app.phones import format_phone

SIGN_IN_ROUTE = "/sign-in"
SETUP_ROUTE = "/setup"
# One contact's address on the Contacts page (state/contacts.CONTACT_ROUTE).
CONTACT_PATH_PREFIX = "/contacts/"
SETUP_FORM_ID = "setup-form"
MAX_EMAIL_LENGTH = 320
SUBMIT_SIGN_OUT = (
    "const form = document.createElement('form'); form.method = 'post';"
    f" form.action = '{api_session.SIGN_OUT_ROUTE}'; document.body.appendChild(form); form.submit();"
)
NO_LINE_SHARED = "No phone line is shared with you yet; ask an administrator."


class NotSignedIn(Exception):
    """The browser's session is missing, expired or revoked."""


class NoLineShared(PermissionDenied):
    """The user reaches no line at all: the page says so once, instead of a toast per event."""

    def __init__(self) -> None:
        super().__init__("line", NO_LINE_SHARED)


@dataclass
class LineChoice:
    id: str = ""
    label: str = ""


@dataclass(frozen=True)
class Act:
    """What one event works with, resolved once: the transaction, who, which line, its region."""

    session: Session
    user: User
    line_id: int
    region: str


def line_label(name: str, phone: str | None) -> str:
    return f"{name} · {format_phone(phone)}" if phone else name


def off_the_loop(handler: Callable) -> Callable:
    """Run a blocking event handler in a worker thread, so the event loop keeps serving others.

    Reflex holds the client's state for the whole event, so the handler may set vars from the
    thread; nothing else touches this browser's state meanwhile.
    """

    @functools.wraps(handler)
    async def in_thread(self, *args, **kwargs):
        return await asyncio.to_thread(handler, self, *args, **kwargs)

    return in_thread


@dataclass(frozen=True)
class ReachedLine:
    """The active line and its account (for its region), read together."""

    line: Line
    account: Account | None

    @property
    def region(self) -> str:
        return self.account.default_region if self.account else "US"


def _reachable_line(session: Session, user: User, line_id: int) -> ReachedLine | None:
    """The line when the user may work on it (their own, shared with them, or any for an administrator)."""
    if not line_id:
        return None
    # One statement: every event asks. Its account comes along and is kept here: the session's
    # identity map holds objects weakly, so a later session.get(Account) would ask again.
    query = (
        select(Line, Account)
        .join(Account, col(Account.id) == Line.account_id)
        .where(Line.id == line_id, Line.account_id == user.account_id)
    )
    if user.role != Role.ADMIN:
        query = query.where(exists().where(LineAccess.line_id == Line.id, LineAccess.user_id == user.id))
    found = session.exec(query).first()
    return ReachedLine(line=found[0], account=found[1]) if found else None


class SessionState(rx.State):
    user_email: str = ""
    is_admin: bool = False
    active_line_id: int = 0
    active_line_label: str = ""
    line_choices: list[LineChoice] = []
    # The active line has no phone number yet and the user is an administrator, who can set it.
    line_needs_number: bool = False
    # The user reaches no line: pages show NO_LINE_SHARED instead of what cannot work.
    no_line: bool = False
    # action -> why it is refused ("" when allowed), for greying out controls.
    refusals: dict[str, str] = {}

    sign_in_error: str = ""
    sign_in_email: str = ""
    setup_errors: dict[str, str] = {}

    # ----- for every handler -----
    def _session_hash(self) -> str:
        """The session token's hash, from the page's connection (see api/session.EventSessionHeader)."""
        return self.router.headers.raw_headers.get(SESSION_HASH_HEADER, "")

    def _user(self, session: Session) -> User:
        """Read from the database on every event: a revoked session or a disabled user ends at once."""
        user = auth.user_for_token_hash(session, self._session_hash())
        if user is None:
            raise NotSignedIn()
        return user

    def _signed_in(self, session: Session) -> tuple[User | None, ReachedLine | None]:
        """The signed-in user (None: signed out) and the active line if they may still work on it.

        One statement for both, as every event asks: the session row, its user, the line, the user's
        access to it and its account.
        """
        token_hash = self._session_hash()
        if not token_hash:
            return None, None
        line_id = self.active_line_id
        query = auth.session_user_query(token_hash)
        if line_id:
            may_work_on = (
                (col(Line.id) == line_id)
                & (col(Line.account_id) == User.account_id)
                & ((col(User.role) == Role.ADMIN) | col(LineAccess.line_id).is_not(None))
            )
            query = (
                query.add_columns(Line, Account)
                .outerjoin(LineAccess, (col(LineAccess.line_id) == line_id) & (col(LineAccess.user_id) == User.id))
                .outerjoin(Line, may_work_on)
                .outerjoin(Account, col(Account.id) == Line.account_id)
            )
        found = session.exec(query).first()
        if found is None:
            return None, None
        user = auth.live_session_user(session, found[0], found[1])
        if user is None:
            return None, None
        line = found[2] if line_id else None
        return user, (ReachedLine(line=line, account=found[3]) if line is not None else None)

    def _resolve_line(
        self, session: Session, user: User, reached: ReachedLine | None = None, refresh_identity: bool = True
    ) -> ReachedLine:
        """The active line, checked against the user's access on every event; the default one when it went.

        `reached`: the active line as _signed_in found it, if it did. `refresh_identity=False` when
        the caller refreshes the identity itself afterwards (a page open).
        """
        reached = reached or _reachable_line(session, user, self.active_line_id)
        if reached is not None:
            return reached
        line_id = permissions.default_line_for_user(session, user)
        if line_id is None:
            self.no_line = True
            raise NoLineShared()
        self.active_line_id = line_id
        self.no_line = False
        if refresh_identity:
            self._refresh_identity(session, user)
        line = session.get(Line, line_id)
        return ReachedLine(line=line, account=session.get(Account, line.account_id))

    @contextmanager
    def _act(self, action: str | None = None) -> Iterator[Act]:
        """One transaction with the signed-in user, the active line and its region, `action` checked.

        Raises NotSignedIn, NoLineShared or PermissionDenied before the body runs.
        """
        with session_scope() as session:
            user, reached = self._signed_in(session)
            if user is None:
                raise NotSignedIn()
            reached = self._resolve_line(session, user, reached)
            if action is not None:
                permissions.require(session, user, action, reached.line.id)
            yield Act(session=session, user=user, line_id=reached.line.id, region=reached.region)

    def _line_id(self, session: Session) -> int:
        """The active line, checked against the user's access on every call."""
        user, reached = self._signed_in(session)
        if user is None:
            raise NotSignedIn()
        return self._resolve_line(session, user, reached).line.id

    def _require(self, session: Session, action: str) -> int:
        """The active line's id, if the user may do `action` there; PermissionDenied otherwise."""
        user, reached = self._signed_in(session)
        if user is None:
            raise NotSignedIn()
        line_id = self._resolve_line(session, user, reached).line.id
        permissions.require(session, user, action, line_id)
        return line_id

    def _refresh_identity(self, session: Session, user: User) -> None:
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
    def _redirect_if_signed_out(self, session: Session):
        """For every signed-in page's on_load: first run, then sign-in; None when the user may stay.

        A user who reaches no line stays, with `no_line` set: the page shows why, once.
        """
        return self._open_page(session)[0]

    def _open_page(self, session: Session) -> tuple[rx.event.EventSpec | None, Act | None]:
        """The page guard and the load's Act from one lookup of the user and line, in `session`.

        The redirect when the user may not stay; else no redirect and the Act (None when the user
        reaches no line). A page open used to resolve the user and the line twice, once for the
        guard and once for its rows.
        """
        user, reached = self._signed_in(session)
        if user is None:
            # A signed-in user exists, so only a page without one asks whether this is the first run.
            return rx.redirect(SETUP_ROUTE if users.needs_first_admin(session) else SIGN_IN_ROUTE), None
        try:
            reached = self._resolve_line(session, user, reached, refresh_identity=False)
        except NoLineShared:
            self.active_line_id = 0
            reached = None
        self._refresh_identity(session, user)
        if reached is None:
            return None, None
        return None, Act(session=session, user=user, line_id=reached.line.id, region=reached.region)

    @rx.event
    @off_the_loop
    def switch_line(self, line_id: str):
        with session_scope() as session:
            user = self._user(session)
            permissions.require_line(session, user, int(line_id))
            self.active_line_id = int(line_id)
            self._refresh_identity(session, user)
        # Every page reloads its rows for the new line, at its bare address: the old line's search
        # and open contact (a /contacts/<id> address) mean nothing on the new one.
        path = self.router.url.path or "/"
        return rx.redirect("/" if path.startswith(CONTACT_PATH_PREFIX) else path)

    # ----- sign-in, first run, sign-out -----
    # The forms post natively to api/session.py, which sets or clears the HttpOnly cookie and
    # redirects; these handlers only prepare the pages and check the first-run form.
    @rx.event
    @off_the_loop
    def open_sign_in(self):
        """The sign-in page's on_load: the message of a failed attempt (from the redirect's query)."""
        with session_scope() as session:
            if users.needs_first_admin(session):
                return rx.redirect(SETUP_ROUTE)
            if auth.user_for_token_hash(session, self._session_hash()) is not None:
                return rx.redirect("/")
        query = self.router.url.query_parameters
        self.sign_in_error = sign_in_message(str(query.get("error", "")), str(query.get("retry", "")))
        self.sign_in_email = str(query.get("email", ""))[:MAX_EMAIL_LENGTH]

    @rx.event
    @off_the_loop
    def check_setup(self, form_data: dict):
        """Every field's problem at once; when there is none, the browser posts the form for real."""
        first_run = users.FirstRun.from_form(form_data)
        with session_scope() as session:
            if not users.needs_first_admin(session):
                return rx.redirect(SIGN_IN_ROUTE)
            self.setup_errors = users.first_run_problems(session, first_run)
        if self.setup_errors:
            return None
        return rx.call_script(f"document.getElementById('{SETUP_FORM_ID}').submit()")

    @rx.event
    def sign_out(self):
        # A real POST: the server revokes the session and clears the cookie page scripts cannot touch.
        return rx.call_script(SUBMIT_SIGN_OUT)

    @rx.event
    @off_the_loop
    def setup_guard(self):
        with session_scope() as session:
            if not users.needs_first_admin(session):
                return rx.redirect(SIGN_IN_ROUTE)
        if self.router.url.query_parameters.get("error"):
            self.setup_errors = {"email": "The administrator could not be created; check every field and try again."}


def sign_in_message(error: str, retry: str) -> str:
    """The sentence for the sign-in route's error code (never text taken from the address bar)."""
    if error == "throttled":
        return str(auth.TooManyAttempts(int(retry) if retry.isdigit() else int(auth.FIRST_DELAY.total_seconds())))
    if error == "disabled":
        return str(auth.AccountDisabled())
    if error == "wrong":
        return auth.WRONG_CREDENTIALS
    return ""


def refusal_handler(exception: Exception):
    """The app's backend exception handler: refusals become messages, not crashes."""
    if isinstance(exception, NotSignedIn):
        return [rx.toast.info("Please sign in again."), rx.redirect(SIGN_IN_ROUTE)]
    if isinstance(exception, NoLineShared):
        # The page shows the notice itself (SessionState.no_line); a toast per event would repeat it.
        return None
    if isinstance(exception, PermissionDenied):
        return rx.toast.error(str(exception))
    from reflex.app import default_backend_exception_handler

    return default_backend_exception_handler(exception)
