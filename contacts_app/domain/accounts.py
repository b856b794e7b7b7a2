"""Accounts of a hosted installation: each business with its lines, users, plan and region.

A single-business install never sees this module: its first-run screen makes the one account
(`users.create_first_admin`). A provider hosting many businesses makes each one here, from the
command line, in one transaction: the account, its first line and its first administrator.
Everything else in the app is already scoped by `account_id` (users, lines, keys, endpoints).
"""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from contacts_app.domain.contacts import DEFAULT_LINE_NAME, RegionInvalid, set_account_region
from contacts_app.domain.permissions import Action, PermissionDenied, UnknownPlan, require, set_account_plan
from contacts_app.domain.users import UserInvalid, create_user
from contacts_app.models import Account, Line, Role, User

MAX_ACCOUNT_NAME_LENGTH = 200


@dataclass
class AccountInvalid(Exception):
    """One message per field (name, email, password, plan, region)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class AccountNotFound(LookupError):
    pass


@dataclass(frozen=True)
class NewAccount:
    account: Account
    line: Line
    admin: User


def clean_account_name(session: Session, raw: str | None, account_id: int | None = None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise AccountInvalid({"name": "The business name is required."})
    if len(name) > MAX_ACCOUNT_NAME_LENGTH:
        raise AccountInvalid({"name": f"The business name is too long (the limit is {MAX_ACCOUNT_NAME_LENGTH})."})
    # Operators pick accounts by name (`--account`), so two may not share one.
    same = session.exec(select(Account.id).where(func.lower(Account.name) == name.lower())).first()
    if same is not None and same != account_id:
        raise AccountInvalid({"name": f"There is already an account called “{name}”."})
    return name


def create_account(
    session: Session,
    name: str,
    admin_email: str,
    password: str,
    plan: str | None = None,
    region: str | None = None,
    line_name: str = DEFAULT_LINE_NAME,
) -> NewAccount:
    """The account, its first line and its administrator, or AccountInvalid naming every bad field."""
    errors: dict[str, str] = {}
    try:
        clean_name = clean_account_name(session, name)
    except AccountInvalid as invalid:
        errors.update(invalid.errors)
        clean_name = ""
    account = Account(name=clean_name or "?")
    session.add(account)
    session.flush()
    try:
        admin = create_user(session, admin_email, password, Role.ADMIN, account_id=account.id)
    except UserInvalid as invalid:
        errors.update(invalid.errors)
    if plan is not None:
        try:
            set_account_plan(session, account.id, plan)
        except UnknownPlan as exc:
            errors["plan"] = str(exc)
    if region is not None:
        try:
            set_account_region(session, account.id, region)
        except RegionInvalid as exc:
            errors["region"] = str(exc)
    if errors:
        # The caller's transaction rolls the half-made account back with the exception.
        raise AccountInvalid(errors)
    line = Line(account_id=account.id, name=line_name)
    session.add(line)
    session.flush()
    return NewAccount(account=account, line=line, admin=admin)


def list_accounts(session: Session) -> list[Account]:
    return list(session.exec(select(Account).order_by(col(Account.id))))


def find_account(session: Session, wanted: str) -> Account:
    """An account by its id or its name (any case)."""
    text = " ".join(wanted.split())
    for account in list_accounts(session):
        if str(account.id) == text or account.name.lower() == text.lower():
            return account
    raise AccountNotFound(f"There is no account “{wanted}”.")


# --- Account settings an administrator changes on the Users page ---------------------------

PLAN_SET_BY_PROVIDER = "Your provider sets this account's plan."


def administrators_choose_the_plan(session: Session) -> bool:
    """On a single-business install the administrator is the operator and picks the plan; where a
    provider hosts several businesses, the plan is the provider's (`contacts-app set-plan`)."""
    return len(session.exec(select(Account.id).limit(2)).all()) <= 1


def choose_plan(session: Session, admin: User, plan: str) -> None:
    require(session, admin, Action.MANAGE_USERS)
    if not administrators_choose_the_plan(session):
        raise PermissionDenied(Action.MANAGE_USERS, PLAN_SET_BY_PROVIDER)
    set_account_plan(session, admin.account_id, plan)


def choose_region(session: Session, admin: User, region: str) -> str:
    """Raises RegionInvalid with a message for the field."""
    require(session, admin, Action.MANAGE_USERS)
    return set_account_region(session, admin.account_id, region)
