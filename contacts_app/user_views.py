"""Plain rows the Users page shows: users with their permission switches, lines, the plan's summary.

No Reflex, no database: built from domain objects, like views.py for the Contacts page.
"""

from dataclasses import dataclass, field

from contacts_app.domain import permissions
from contacts_app.domain.permissions import PlanFeatures
from contacts_app.models import Role, User

# The switches shown for each user, in this order: (User column, label).
PERMISSION_SWITCHES = (
    ("can_delete", "Delete"),
    ("can_delete_all", "Delete All"),
    ("can_use_lists", "Lists"),
    ("can_import", "Import"),
    ("can_export", "Export"),
    ("can_blast", "Blasts"),
)
ROLE_LABELS = {Role.ADMIN: "Administrator", Role.USER: "User"}
NO_OWNER = "none"


def plan_includes(features: PlanFeatures, column: str) -> bool:
    """Whether the account's plan offers the feature a switch (a User column) controls."""
    action = next(action for action, field in permissions.OVERRIDE_FIELD.items() if field == column)
    return permissions.plan_refusal(features, action) is None


@dataclass
class PermissionSwitch:
    column: str = ""
    label: str = ""
    checked: bool = False
    disabled: bool = False


@dataclass
class UserRow:
    id: int = 0
    email: str = ""
    role: str = ""
    role_label: str = ""
    is_admin: bool = False
    disabled: bool = False
    is_me: bool = False
    switches: list[PermissionSwitch] = field(default_factory=list)
    # One line under the switches: why some are greyed out ("" when none are).
    note: str = ""


@dataclass
class Person:
    id: str = ""
    email: str = ""


@dataclass
class LineRow:
    id: int = 0
    name: str = ""
    phone: str = ""
    owner_id: str = NO_OWNER
    owner_email: str = ""
    shared_with: list[Person] = field(default_factory=list)


def user_row(user: User, me: User, plan_name: str, features: PlanFeatures) -> UserRow:
    is_admin = user.role == Role.ADMIN
    # Whoever may not delete one contact may not delete them all either (permissions._override_refusal).
    needs_delete = not is_admin and user.can_delete is False and plan_includes(features, "can_delete_all")
    switches = []
    missing = []
    for column, label in PERMISSION_SWITCHES:
        in_plan = plan_includes(features, column)
        if not in_plan:
            missing.append(label)
        blocked = needs_delete and column == "can_delete_all"
        switches.append(
            PermissionSwitch(
                column=column,
                label=label,
                checked=in_plan and not blocked and (is_admin or getattr(user, column) is not False),
                # Administrators have everything the plan includes; only users' switches can be turned off.
                disabled=is_admin or not in_plan or blocked,
            )
        )
    notes = []
    if missing:
        notes.append(f"Not in the {plan_name} plan: {', '.join(missing)}.")
    if needs_delete:
        notes.append("Delete All needs Delete.")
    if is_admin:
        notes.append("Administrators have every feature of the plan.")
    return UserRow(
        id=user.id,
        email=user.email,
        role=user.role,
        role_label=ROLE_LABELS.get(user.role, user.role),
        is_admin=is_admin,
        disabled=user.disabled,
        is_me=user.id == me.id,
        switches=switches,
        note=" ".join(notes),
    )


def plan_summary(features: PlanFeatures) -> str:
    offered = {label: plan_includes(features, column) for column, label in PERMISSION_SWITCHES}
    included = [name for name, on in offered.items() if on]
    missing = [name for name, on in offered.items() if not on]
    text = f"Includes {', '.join(included)}."
    return text + (f" Not included: {', '.join(missing)}." if missing else "")
