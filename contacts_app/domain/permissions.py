"""Who may do what, on which line: the one place that decides.

An action is allowed when the account's plan includes the feature AND an administrator has not
taken it away from the user. Administrators get everything the plan includes. Every state event
handler asks here (`require`) before acting, and every API route asks `plan_refusal` (an API key
acts for the account, not for a user); hiding a button is not security. The command line is the
operator's, run with the database in hand, and asks nobody.

Line access: a user reaches the lines they own and the lines shared with them; an administrator
reaches every line of the account (they assign lines, so keeping one from them would only be a
detour). Nobody reaches a line of another account.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from contacts_app.models import AccountPlan, Line, LineAccess, LineAccessKind, Role, User, utcnow


class Action(StrEnum):
    DELETE_CONTACT = "delete_contact"
    DELETE_ALL = "delete_all"
    LISTS = "lists"
    IMPORT = "import"
    EXPORT = "export"
    BLASTS = "blasts"
    MANAGE_USERS = "manage_users"


@dataclass(frozen=True)
class PlanFeatures:
    delete: bool = True
    delete_all: bool = True
    lists: bool = True
    blasts: bool = True


# Account types. Import and export are in every plan; the features below are what differ.
# Text Blasting is an upgrade: every plan but basic.
PLANS: dict[str, PlanFeatures] = {
    "basic": PlanFeatures(delete=True, delete_all=False, lists=False, blasts=False),
    "standard": PlanFeatures(delete=True, delete_all=False, lists=True, blasts=True),
    "business": PlanFeatures(),
}
# An account without a plan row (every install from before plans existed) keeps every feature.
DEFAULT_PLAN = "business"

NOT_SIGNED_IN = "Please sign in first."
USER_DISABLED = "Your account is disabled; ask your administrator."
LINE_NOT_YOURS = "This line is not yours or shared with you."
ADMIN_ONLY = "Only an administrator can manage users and lines."
PLAN_LACKS = {
    Action.DELETE_CONTACT: "Your plan does not include deleting contacts.",
    Action.DELETE_ALL: "Your plan does not include Delete All.",
    Action.LISTS: "Your plan does not include Lists.",
    Action.BLASTS: "Your plan does not include Text Blasting.",
}
TURNED_OFF = {
    Action.DELETE_CONTACT: "Your administrator has turned off deleting contacts for your account.",
    Action.DELETE_ALL: "Your administrator has turned off Delete All for your account.",
    Action.LISTS: "Your administrator has turned off Lists for your account.",
    Action.IMPORT: "Your administrator has turned off importing contacts for your account.",
    Action.EXPORT: "Your administrator has turned off exporting contacts for your account.",
    Action.BLASTS: "Your administrator has turned off Blasts for your account.",
}
# The user's override column of each action an administrator can take away.
OVERRIDE_FIELD = {
    Action.DELETE_CONTACT: "can_delete",
    Action.DELETE_ALL: "can_delete_all",
    Action.LISTS: "can_use_lists",
    Action.IMPORT: "can_import",
    Action.EXPORT: "can_export",
    Action.BLASTS: "can_blast",
}


class PermissionDenied(Exception):
    """The action is refused; `str()` is the one-line reason to show."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class LineNotAvailable(PermissionDenied):
    """The line is not the user's, or does not exist: both look the same from outside (API: 404)."""

    def __init__(self, line_id: int) -> None:
        super().__init__("line", LINE_NOT_YOURS)
        self.line_id = line_id


class UnknownPlan(ValueError):
    pass


# --- Plans ------------------------------------------------------------------------------


def plan_of(session: Session, account_id: int) -> tuple[str, PlanFeatures]:
    row = session.get(AccountPlan, account_id)
    if row is None:
        return DEFAULT_PLAN, PLANS[DEFAULT_PLAN]
    return row.name, PlanFeatures(
        delete=row.allows_delete, delete_all=row.allows_delete_all, lists=row.allows_lists, blasts=row.allows_blasts
    )


def set_account_plan(session: Session, account_id: int, name: str, features: PlanFeatures | None = None) -> AccountPlan:
    """Put the account on a plan: a named one of PLANS, or any name with explicit features."""
    if features is None:
        if name not in PLANS:
            raise UnknownPlan(f"There is no plan called “{name}”; the plans are {', '.join(PLANS)}.")
        features = PLANS[name]
    row = session.get(AccountPlan, account_id) or AccountPlan(account_id=account_id, name=name)
    row.name = name
    row.allows_delete = features.delete
    row.allows_delete_all = features.delete_all
    row.allows_lists = features.lists
    row.allows_blasts = features.blasts
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def plan_refusal(features: PlanFeatures, action: str) -> str | None:
    """Why the plan leaves `action` out, or None when the plan includes it (import, export: always)."""
    if action in (Action.DELETE_CONTACT, Action.DELETE_ALL) and not features.delete:
        return PLAN_LACKS[Action.DELETE_CONTACT]
    if action == Action.DELETE_ALL and not features.delete_all:
        return PLAN_LACKS[Action.DELETE_ALL]
    if action == Action.LISTS and not features.lists:
        return PLAN_LACKS[Action.LISTS]
    if action == Action.BLASTS and not features.blasts:
        return PLAN_LACKS[Action.BLASTS]
    return None


def _override_refusal(user: User, action: str) -> str | None:
    # Whoever may not delete one contact may not delete them all either.
    needed = (Action.DELETE_CONTACT, Action.DELETE_ALL) if action == Action.DELETE_ALL else (action,)
    for each in needed:
        field = OVERRIDE_FIELD.get(each)
        if field is not None and getattr(user, field) is False:
            return TURNED_OFF[each]
    return None


# --- Deciding ---------------------------------------------------------------------------


def explain(session: Session, user: User | None, action: str, line_id: int | None = None) -> str | None:
    """Why `user` may not take `action` (on `line_id`, when given), or None when they may."""
    if action not in list(Action):
        raise ValueError(f"Unknown action {action!r}.")
    if user is None:
        return NOT_SIGNED_IN
    if user.disabled:
        return USER_DISABLED
    if line_id is not None and not can_reach_line(session, user, line_id):
        return LINE_NOT_YOURS
    return _decide(session, user, action)


def _decide(session: Session, user: User, action: str, features: PlanFeatures | None = None) -> str | None:
    """`explain` for a signed-in user who reaches the line; `features`: the account's plan, when already read."""
    if action == Action.MANAGE_USERS:
        return None if user.role == Role.ADMIN else ADMIN_ONLY
    if features is None:
        _, features = plan_of(session, user.account_id)
    refusal = plan_refusal(features, action)
    if refusal is not None or user.role == Role.ADMIN:
        return refusal
    return _override_refusal(user, action)


def can(session: Session, user: User | None, action: str, line_id: int | None = None) -> bool:
    return explain(session, user, action, line_id) is None


def require(session: Session, user: User | None, action: str, line_id: int | None = None) -> None:
    """Raise PermissionDenied (LineNotAvailable for someone else's line) unless the action is allowed."""
    reason = explain(session, user, action, line_id)
    if reason == LINE_NOT_YOURS and line_id is not None:
        raise LineNotAvailable(line_id)
    if reason is not None:
        raise PermissionDenied(action, reason)


def permissions_for(session: Session, user: User | None, line_id: int | None = None) -> dict[str, str | None]:
    """Every action's refusal reason (None: allowed), for a page to offer or grey out its controls."""
    if user is None or user.disabled or (line_id is not None and not can_reach_line(session, user, line_id)):
        return {action: explain(session, user, action, line_id) for action in Action}
    # The plan is read once, not once per action: every page open asks for all of them.
    _, features = plan_of(session, user.account_id)
    return {action: _decide(session, user, action, features) for action in Action}


# --- Lines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AvailableLine:
    id: int
    name: str
    phone: str | None
    # "owner", "shared", or "admin" for an administrator's line that is neither.
    access: str


def lines_for_user(session: Session, user: User | None) -> list[AvailableLine]:
    """The lines the user may switch to: their own first, then shared ones (administrators: all)."""
    if user is None or user.disabled:
        return []
    rows = session.exec(
        select(Line, LineAccess.kind)
        .outerjoin(LineAccess, (col(LineAccess.line_id) == Line.id) & (col(LineAccess.user_id) == user.id))
        .where(Line.account_id == user.account_id)
        .order_by(col(Line.id))
    ).all()
    lines = [
        AvailableLine(id=line.id, name=line.name, phone=line.phone, access=kind or "admin")
        for line, kind in rows
        if kind is not None or user.role == Role.ADMIN
    ]
    order = {LineAccessKind.OWNER: 0, LineAccessKind.SHARED: 1, "admin": 2}
    return sorted(lines, key=lambda line: (order[line.access], line.name.lower(), line.id))


def can_reach_line(session: Session, user: User | None, line_id: int) -> bool:
    if user is None or user.disabled:
        return False
    line = session.get(Line, line_id)
    if line is None or line.account_id != user.account_id:
        return False
    if user.role == Role.ADMIN:
        return True
    return session.get(LineAccess, (line_id, user.id)) is not None


def require_line(session: Session, user: User | None, line_id: int) -> Line:
    """The line, if the user may work on it; LineNotAvailable otherwise (also for a line that does not exist)."""
    if user is not None and user.disabled:
        raise PermissionDenied("line", USER_DISABLED)
    if not can_reach_line(session, user, line_id):
        raise LineNotAvailable(line_id)
    return session.get(Line, line_id)


def default_line_for_user(session: Session, user: User | None) -> int | None:
    """The line a fresh sign-in opens on: the user's own, else the first they can reach."""
    lines = lines_for_user(session, user)
    return lines[0].id if lines else None
