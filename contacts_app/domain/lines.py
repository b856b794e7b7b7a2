"""The account's lines (business phone numbers): added, renamed, owned and shared by administrators.

Which lines a user may work on is decided in `permissions.py` (`lines_for_user`, `require_line`).
A line has at most one owner; sharing gives other users the same access to its contacts.
"""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from contacts_app.domain.permissions import Action, require
from contacts_app.models import Account, Line, LineAccess, LineAccessKind, User
from contacts_app.phones import PhoneError, normalize_phone

MAX_LINE_NAME_LENGTH = 100


@dataclass
class LineInvalid(Exception):
    """One message per field (name, phone, user)."""

    errors: dict[str, str]
    # The name or number is another line's (the API answers 409 Conflict).
    duplicate: bool = False

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class LineNotFound(LookupError):
    pass


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str


@dataclass
class LineSummary:
    id: int
    name: str
    phone: str | None
    owner: UserRef | None = None
    shared_with: list[UserRef] = field(default_factory=list)


def _account_line(session: Session, admin: User, line_id: int) -> Line:
    require(session, admin, Action.MANAGE_USERS)
    line = session.get(Line, line_id)
    if line is None or line.account_id != admin.account_id:
        raise LineNotFound(f"Line {line_id} does not exist.")
    return line


def _account_user(session: Session, admin: User, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.account_id != admin.account_id:
        raise LineInvalid({"user": f"User {user_id} does not exist."})
    return user


def _clean_name(session: Session, account_id: int, raw: str | None, line_id: int | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise LineInvalid({"name": "Line name is required."})
    if len(name) > MAX_LINE_NAME_LENGTH:
        raise LineInvalid({"name": f"Line name is too long (the limit is {MAX_LINE_NAME_LENGTH} characters)."})
    # The number switcher tells lines apart by name.
    same = session.exec(
        select(Line.id).where(Line.account_id == account_id, func.lower(Line.name) == name.lower())
    ).first()
    if same is not None and same != line_id:
        raise LineInvalid({"name": f"There is already a line called “{name}”."}, duplicate=True)
    return name


def _clean_phone(session: Session, account_id: int, raw: str | None, line_id: int | None) -> str:
    account = session.get(Account, account_id)
    try:
        phone = normalize_phone(raw or "", account.default_region if account else "US")
    except PhoneError as exc:
        raise LineInvalid({"phone": str(exc)}) from None
    # Unique in the whole install: an inbound text's "To" must pick exactly one line.
    same = session.exec(select(Line).where(Line.phone == phone)).first()
    if same is not None and same.id != line_id:
        where = f"line “{same.name}”" if same.account_id == account_id else "another account's line"
        raise LineInvalid({"phone": f"{phone} is already the number of {where}."}, duplicate=True)
    return phone


def add_line(session: Session, admin: User, name: str, phone: str, owner_id: int | None = None) -> Line:
    require(session, admin, Action.MANAGE_USERS)
    owner_error: dict[str, str] = {}
    if owner_id is not None:
        try:
            _account_user(session, admin, owner_id)
        except LineInvalid as invalid:
            owner_error = invalid.errors
    line = provision_line(session, admin.account_id, name, phone, more_errors=owner_error)
    if owner_id is not None:
        assign_owner(session, admin, line.id, owner_id)
    return line


def provision_line(
    session: Session, account_id: int, name: str, phone: str, more_errors: dict[str, str] | None = None
) -> Line:
    """A new line of the account with its number; for `add_line` and for operators (no user asks).

    Raises LineInvalid naming every bad field (and `more_errors`, the caller's own checks).
    """
    errors: dict[str, str] = dict(more_errors or {})
    clean: dict[str, str] = {}
    duplicates = []
    for key, check, raw in (("name", _clean_name, name), ("phone", _clean_phone, phone)):
        try:
            clean[key] = check(session, account_id, raw, None)
        except LineInvalid as invalid:
            errors.update(invalid.errors)
            duplicates.append(invalid.duplicate)
    if errors:
        raise LineInvalid(errors, duplicate=len(errors) == len(duplicates) and all(duplicates))
    line = Line(account_id=account_id, name=clean["name"], phone=clean["phone"])
    session.add(line)
    session.flush()
    return line


def set_line_number(session: Session, account_id: int, line_id: int, phone: str) -> Line:
    """Give one of the account's lines its number (operators provisioning numbers; the API)."""
    line = session.get(Line, line_id)
    if line is None or line.account_id != account_id:
        raise LineNotFound(f"Line {line_id} does not exist.")
    line.phone = _clean_phone(session, account_id, phone, line.id)
    session.add(line)
    session.flush()
    return line


def update_line(session: Session, admin: User, line_id: int, name: str | None = None, phone: str | None = None) -> Line:
    """Rename the line and/or change its number; None leaves a field as it is."""
    line = _account_line(session, admin, line_id)
    if name is not None:
        line.name = _clean_name(session, line.account_id, name, line.id)
    if phone is not None:
        line.phone = _clean_phone(session, line.account_id, phone, line.id)
    session.add(line)
    session.flush()
    return line


def assign_owner(session: Session, admin: User, line_id: int, user_id: int | None) -> None:
    """Make `user_id` the line's one owner (None: nobody). The previous owner loses access unless shared."""
    line = _account_line(session, admin, line_id)
    if user_id is not None:
        _account_user(session, admin, user_id)
    for access in session.exec(
        select(LineAccess).where(LineAccess.line_id == line.id, LineAccess.kind == LineAccessKind.OWNER)
    ):
        if access.user_id != user_id:
            session.delete(access)
    if user_id is not None:
        access = session.get(LineAccess, (line.id, user_id)) or LineAccess(line_id=line.id, user_id=user_id, kind="")
        access.kind = LineAccessKind.OWNER
        session.add(access)
    session.flush()


def share_line(session: Session, admin: User, line_id: int, user_id: int) -> bool:
    """Share the line with a user; False when they already own it or have it shared."""
    line = _account_line(session, admin, line_id)
    _account_user(session, admin, user_id)
    if session.get(LineAccess, (line.id, user_id)) is not None:
        return False
    session.add(LineAccess(line_id=line.id, user_id=user_id, kind=LineAccessKind.SHARED))
    session.flush()
    return True


def unshare_line(session: Session, admin: User, line_id: int, user_id: int) -> bool:
    """Stop sharing; False when it was not shared with them (an owner is changed with assign_owner)."""
    line = _account_line(session, admin, line_id)
    access = session.get(LineAccess, (line.id, user_id))
    if access is None or access.kind != LineAccessKind.SHARED:
        return False
    session.delete(access)
    session.flush()
    return True


def list_lines(session: Session, admin: User) -> list[LineSummary]:
    """Every line of the account with its owner and shares, in name order, for the Users page."""
    require(session, admin, Action.MANAGE_USERS)
    lines = session.exec(
        select(Line).where(Line.account_id == admin.account_id).order_by(func.lower(Line.name), col(Line.id))
    ).all()
    summaries = {line.id: LineSummary(id=line.id, name=line.name, phone=line.phone) for line in lines}
    rows = session.exec(
        select(LineAccess, User)
        .join(User, col(User.id) == LineAccess.user_id)
        .where(col(LineAccess.line_id).in_(list(summaries)))
        .order_by(col(User.email))
    ).all()
    for access, user in rows:
        ref = UserRef(id=user.id, email=user.email)
        if access.kind == LineAccessKind.OWNER:
            summaries[access.line_id].owner = ref
        else:
            summaries[access.line_id].shared_with.append(ref)
    return list(summaries.values())
