"""Users of the account: the first administrator, and what administrators do on the Users page.

Sign-in and sessions are in `auth.py`; who may do what is decided in `permissions.py`.
"""

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, col, select

from contacts_app.domain import auth
from contacts_app.domain.account import BusinessNameInvalid, clean_business_name, set_business_name
from contacts_app.domain.contacts import email_problem, ensure_default_line
from contacts_app.domain.permissions import OVERRIDE_FIELD, Action, require
from contacts_app.models import Account, Role, User

MIN_PASSWORD_LENGTH = 10
# Argon2 takes any length; a cap keeps a megabyte "password" from being a cheap way to load the server.
MAX_PASSWORD_LENGTH = 1024
# The per-user switches an administrator sets, by the names the Users page and API use.
PERMISSION_FIELDS = tuple(OVERRIDE_FIELD.values())


@dataclass
class UserInvalid(Exception):
    """One message per field (email, password, role, permissions)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class UserNotFound(LookupError):
    pass


class FirstAdminExists(Exception):
    def __str__(self) -> str:
        return "An administrator already exists; sign in instead."


def needs_first_admin(session: Session) -> bool:
    """True on a fresh install: nobody can sign in yet, so the app shows "Create administrator"."""
    return session.exec(select(func.count()).select_from(User)).one() == 0


def clean_email(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text:
        raise UserInvalid({"email": "E-mail is required."})
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserInvalid({"email": email_problem(text)}) from None


def password_problem(password: str | None) -> str | None:
    if not password:
        return "Password is required."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password is too long (the limit is {MAX_PASSWORD_LENGTH} characters)."
    return None


def create_user(
    session: Session, email: str, password: str, role: str | None = None, account_id: int | None = None
) -> User:
    """Add a user; the install's first user is always an administrator.

    Without `account_id` the user joins the install's account (created, with its first line, if
    there is none). Raises UserInvalid naming each bad field. Callers other than first run and
    the command line go through `add_user`, which checks that an administrator asks.
    """
    errors: dict[str, str] = {}
    try:
        address = clean_email(email)
    except UserInvalid as invalid:
        errors.update(invalid.errors)
        address = None
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if role is not None and role not in list(Role):
        errors["role"] = f"The role must be one of {', '.join(Role)}."
    if address and session.exec(select(User.id).where(User.email == address)).first() is not None:
        errors["email"] = f"A user with the e-mail address {address} already exists."
    if errors:
        raise UserInvalid(errors)
    if needs_first_admin(session):
        role = Role.ADMIN
    if account_id is None:
        account_id = ensure_default_line(session).account_id
    elif session.get(Account, account_id) is None:
        raise UserNotFound(f"Account {account_id} does not exist.")
    user = User(
        account_id=account_id, email=address, password_hash=auth.hash_password(password), role=role or Role.USER
    )
    session.add(user)
    session.flush()
    return user


def create_first_admin(session: Session, email: str, password: str) -> User:
    """The "Create administrator" screen: refused once any user exists (a second browser, a replay)."""
    if not needs_first_admin(session):
        raise FirstAdminExists()
    return create_user(session, email, password, Role.ADMIN)


@dataclass(frozen=True)
class FirstRun:
    """What the first-run screen asks: the business, and its first administrator."""

    business_name: str
    email: str
    password: str
    confirm: str

    @classmethod
    def from_form(cls, form: dict) -> "FirstRun":
        return cls(*(str(form.get(key, "")) for key in ("business_name", "email", "password", "confirm")))


def first_run_problems(session: Session, first_run: FirstRun) -> dict[str, str]:
    """Every field's problem at once (field -> message); empty when the form may be sent."""
    errors: dict[str, str] = {}
    try:
        clean_business_name(first_run.business_name)
    except BusinessNameInvalid as invalid:
        errors["business_name"] = str(invalid)
    try:
        clean_email(first_run.email)
    except UserInvalid as invalid:
        errors.update(invalid.errors)
    problem = password_problem(first_run.password)
    if problem:
        errors["password"] = problem
    if first_run.password != first_run.confirm:
        errors["confirm"] = "The two passwords differ."
    return errors


def set_up_first_admin(session: Session, first_run: FirstRun) -> User:
    """Name the business and create its administrator; FirstAdminExists once anybody exists."""
    if not needs_first_admin(session):
        raise FirstAdminExists()
    errors = first_run_problems(session, first_run)
    if errors:
        raise UserInvalid(errors)
    admin = create_user(session, first_run.email, first_run.password, Role.ADMIN)
    set_business_name(session, admin.account_id, first_run.business_name)
    return admin


# --- The Users page (administrators only) ----------------------------------------------


def _managed_user(session: Session, admin: User, user_id: int) -> User:
    require(session, admin, Action.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None or user.account_id != admin.account_id:
        raise UserNotFound(f"User {user_id} does not exist.")
    return user


def add_user(session: Session, admin: User, email: str, password: str, role: str = Role.USER) -> User:
    require(session, admin, Action.MANAGE_USERS)
    return create_user(session, email, password, role, account_id=admin.account_id)


def list_users(session: Session, admin: User) -> list[User]:
    require(session, admin, Action.MANAGE_USERS)
    return list(session.exec(select(User).where(User.account_id == admin.account_id).order_by(col(User.email))))


def _other_active_admins(session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(User.account_id == user.account_id, User.role == Role.ADMIN, User.id != user.id)
        .where(col(User.disabled).is_(False))
    ).one()


def set_role(session: Session, admin: User, user_id: int, role: str) -> User:
    user = _managed_user(session, admin, user_id)
    if role not in list(Role):
        raise UserInvalid({"role": f"The role must be one of {', '.join(Role)}."})
    if user.role == Role.ADMIN and role != Role.ADMIN and _other_active_admins(session, user) == 0:
        raise UserInvalid({"role": "The account needs at least one administrator."})
    user.role = role
    session.add(user)
    session.flush()
    return user


def set_permissions(session: Session, admin: User, user_id: int, overrides: dict[str, bool | None]) -> User:
    """Take features away (False) or give them back (None or True: as the plan allows).

    Keys are PERMISSION_FIELDS (can_delete, can_delete_all, can_use_lists, can_import, can_export, can_blast);
    keys not given stay as they are.
    """
    user = _managed_user(session, admin, user_id)
    unknown = sorted(set(overrides) - set(PERMISSION_FIELDS))
    if unknown:
        raise UserInvalid({"permissions": f"Unknown permission {', '.join(unknown)}."})
    for field, value in overrides.items():
        setattr(user, field, None if value is None else bool(value))
    session.add(user)
    session.flush()
    return user


def set_disabled(session: Session, admin: User, user_id: int, disabled: bool) -> User:
    """Disable (signs the user out everywhere) or re-enable a user."""
    user = _managed_user(session, admin, user_id)
    if disabled and user.id == admin.id:
        raise UserInvalid({"disabled": "You cannot disable your own account."})
    if disabled and user.role == Role.ADMIN and _other_active_admins(session, user) == 0:
        raise UserInvalid({"disabled": "The account needs at least one administrator."})
    user.disabled = disabled
    session.add(user)
    session.flush()
    if disabled:
        auth.revoke_sessions(session, user.id)
    return user


def reset_password(session: Session, admin: User, user_id: int, password: str) -> User:
    """An administrator sets a user's password; the user's sessions end."""
    user = _managed_user(session, admin, user_id)
    return _set_password(session, user, password)


def change_password(
    session: Session, user: User, current_password: str, new_password: str, keep_token: str | None = None
) -> User:
    """A user changes their own password; their other sessions end, this one (`keep_token`) stays."""
    if not auth.verify_password(user.password_hash, current_password or ""):
        raise UserInvalid({"current_password": "The current password is incorrect."})
    return _set_password(session, user, new_password, keep_token)


def _set_password(session: Session, user: User, password: str, keep_token: str | None = None) -> User:
    problem = password_problem(password)
    if problem:
        raise UserInvalid({"password": problem})
    user.password_hash = auth.hash_password(password)
    session.add(user)
    session.flush()
    auth.revoke_sessions(session, user.id, keep_token=keep_token)
    return user
