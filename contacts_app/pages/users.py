"""The Users page (administrators): the plan, each user with role and permission switches,
and each line with its owner and shares."""

import reflex as rx

from contacts_app.components.top_bar import top_bar
from contacts_app.components.users_dialogs import (
    disable_user_dialog,
    line_dialog,
    new_user_dialog,
    reset_password_dialog,
    share_dialog,
)
from contacts_app.domain.accounts import PLAN_SET_BY_PROVIDER
from contacts_app.domain.permissions import PLANS
from contacts_app.state.users import UsersState
from contacts_app.user_views import LineRow, PermissionSwitch, Person, UserRow


def section_header(title: str, button: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="4", as_="h2"),
        button,
        justify="between",
        align="center",
        width="100%",
        class_name="section-header",
    )


def plan_card() -> rx.Component:
    """The account's plan and region: what the command line's set-plan and set-region change."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("badge-check")),
        rx.box(
            rx.callout.text(rx.el.strong("Plan: ", UsersState.plan_name), " — ", UsersState.plan_summary),
            rx.cond(
                UsersState.plan_editable,
                rx.hstack(
                    rx.el.label("Account type", html_for="account-plan", class_name="field-label"),
                    rx.select(
                        list(PLANS),
                        value=UsersState.plan_key,
                        on_change=UsersState.choose_plan,
                        id="account-plan",
                        size="1",
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text(PLAN_SET_BY_PROVIDER, size="1", color_scheme="gray"),
            ),
            rx.form(
                rx.el.label(
                    "Region for numbers written without a country code",
                    html_for="account-region",
                    class_name="field-label",
                ),
                rx.hstack(
                    rx.input(
                        id="account-region",
                        name="region",
                        default_value=UsersState.region,
                        max_length=2,
                        size="1",
                        width="5em",
                        aria_invalid=rx.cond(UsersState.region_error != "", "true", "false"),
                    ),
                    rx.button("Save region", type="submit", size="1", variant="soft"),
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    UsersState.region_error != "",
                    rx.text(UsersState.region_error, class_name="field-error", role="alert", size="1"),
                ),
                on_submit=UsersState.save_region,
                key=UsersState.region_key,
                class_name="account-settings-form",
            ),
            class_name="account-settings",
        ),
        color_scheme="gray",
        variant="surface",
        size="1",
        aria_label="Plan",
    )


def permission_switch(user: UserRow, switch: PermissionSwitch) -> rx.Component:
    return rx.checkbox(
        switch.label,
        checked=switch.checked,
        disabled=switch.disabled,
        on_change=UsersState.set_permission(user.id, switch.column),
        size="2",
    )


def user_menu(user: UserRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                "Action",
                rx.icon("chevron-down", size=14),
                variant="soft",
                color_scheme="gray",
                size="1",
                aria_label="Action for " + user.email,
            ),
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item("Reset password…", on_click=UsersState.open_reset_password(user.id, user.email)),
            rx.cond(
                user.is_admin,
                rx.dropdown_menu.item("Make user", on_click=UsersState.set_role(user.id, "user")),
                rx.dropdown_menu.item("Make administrator", on_click=UsersState.set_role(user.id, "admin")),
            ),
            rx.cond(
                ~user.is_me,
                rx.fragment(
                    rx.dropdown_menu.separator(),
                    rx.cond(
                        user.disabled,
                        rx.dropdown_menu.item("Enable", on_click=UsersState.set_disabled(user.id, False)),
                        rx.dropdown_menu.item(
                            "Disable…", color_scheme="red", on_click=UsersState.ask_disable(user.id, user.email)
                        ),
                    ),
                ),
            ),
        ),
        # Not modal: a modal menu hides the page from screen readers while its controls stay focusable.
        modal=False,
    )


def user_card(user: UserRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.hstack(
                rx.text(user.email, weight="bold", class_name="card-title"),
                rx.badge(user.role_label, color_scheme=rx.cond(user.is_admin, "indigo", "gray"), variant="soft"),
                rx.cond(user.is_me, rx.badge("You", color_scheme="green", variant="soft")),
                rx.cond(user.disabled, rx.badge("Disabled", color_scheme="red", variant="soft")),
                spacing="2",
                align="center",
                wrap="wrap",
                min_width="0",
            ),
            user_menu(user),
            justify="between",
            align="start",
            width="100%",
        ),
        rx.box(
            rx.foreach(user.switches, lambda switch: permission_switch(user, switch)),
            role="group",
            aria_label="Permissions of " + user.email,
            class_name="permission-switches",
        ),
        rx.cond(user.note != "", rx.text(user.note, size="1", color_scheme="gray")),
        role="listitem",
        aria_label=user.email,
        class_name=rx.cond(user.disabled, "list-card user-card disabled", "list-card user-card"),
    )


def shared_chip(line: LineRow, person: Person) -> rx.Component:
    return rx.badge(
        person.email,
        rx.icon_button(
            rx.icon("x", size=12),
            size="1",
            variant="ghost",
            color_scheme="gray",
            aria_label="Stop sharing with " + person.email,
            on_click=UsersState.unshare(line.id, person.id, line.name, person.email),
        ),
        variant="surface",
        color_scheme="gray",
        size="2",
        class_name="share-chip",
    )


def line_card(line: LineRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(line.name, weight="bold", class_name="card-title"),
                rx.text(rx.cond(line.phone != "", line.phone, "No number"), size="2", color_scheme="gray"),
                spacing="0",
                min_width="0",
            ),
            rx.hstack(
                rx.button("Share", size="1", variant="soft", on_click=UsersState.open_share(line.id)),
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    aria_label="Edit " + line.name,
                    on_click=UsersState.open_edit_line(line.id, line.name, line.phone, line.owner_id),
                ),
                spacing="2",
                flex="none",
            ),
            justify="between",
            align="start",
            width="100%",
        ),
        rx.text(
            "Owner: ",
            rx.cond(line.owner_email != "", line.owner_email, "nobody (administrators only)"),
            size="2",
        ),
        rx.hstack(
            rx.text("Shared with:", size="2"),
            rx.cond(
                line.shared_with.length() > 0,
                rx.foreach(line.shared_with, lambda person: shared_chip(line, person)),
                rx.text("nobody", size="2", color_scheme="gray"),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        role="listitem",
        aria_label=line.name,
        class_name="list-card line-card",
    )


def users_page() -> rx.Component:
    return rx.box(
        top_bar(),
        rx.box(
            rx.heading("Users and lines", size="6", as_="h1"),
            plan_card(),
            section_header("Users", rx.button(rx.icon("plus", size=16), "New User", on_click=UsersState.open_new_user)),
            rx.text(
                "Unchecked features are taken away from that user; the server refuses them too.",
                size="2",
                color_scheme="gray",
            ),
            rx.box(rx.foreach(UsersState.users, user_card), role="list", aria_label="Users", class_name="list-cards"),
            section_header(
                "Phone lines", rx.button(rx.icon("plus", size=16), "Add Line", on_click=UsersState.open_new_line)
            ),
            rx.text(
                "Each user works on the lines they own or that are shared with them, and switches between them "
                "at the top.",
                size="2",
                color_scheme="gray",
            ),
            rx.box(
                rx.foreach(UsersState.lines, line_card), role="list", aria_label="Phone lines", class_name="list-cards"
            ),
            class_name="page-body",
        ),
        new_user_dialog(),
        reset_password_dialog(),
        disable_user_dialog(),
        line_dialog(),
        share_dialog(),
        class_name="app-shell",
    )
