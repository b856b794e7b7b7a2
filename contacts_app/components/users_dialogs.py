"""The Users page's dialogs, one per purpose, shared by every row: new user, reset password,
disable, add / edit line, share line."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_dialog import form_dialog
from contacts_app.components.form_fields import field_error, form_field
from contacts_app.state.users import UsersState
from contacts_app.user_views import NO_OWNER


def new_user_dialog() -> rx.Component:
    errors = UsersState.dialog_errors
    return form_dialog(
        UsersState,
        "new_user",
        "New User",
        form_field("new-user-email", "email", "Email", errors, "email"),
        form_field(
            "new-user-password",
            "password",
            "Password",
            errors,
            "password",
            "new-password",
            hint="At least 10 characters.",
        ),
        rx.box(
            rx.el.label("Role", html_for="new-user-role", class_name="field-label"),
            rx.select.root(
                rx.select.trigger(id="new-user-role", aria_label="Role", width="100%"),
                rx.select.content(
                    rx.select.item("User", value="user"),
                    rx.select.item("Administrator", value="admin"),
                ),
                name="role",
                default_value="user",
                size="3",
            ),
            rx.text(
                "Administrators manage users, lines and permissions, and reach every line.",
                size="1",
                color_scheme="gray",
            ),
            class_name="field",
        ),
        submit_label="Create User",
        on_submit=UsersState.add_user,
        description="They sign in with this e-mail and password; tell them the password yourself.",
        note_required=True,
    )


def reset_password_dialog() -> rx.Component:
    errors = UsersState.dialog_errors
    return form_dialog(
        UsersState,
        "password",
        "Reset password",
        form_field(
            "reset-password",
            "password",
            "New password",
            errors,
            "password",
            "new-password",
            hint="At least 10 characters.",
        ),
        form_field("reset-confirm", "confirm", "Confirm password", errors, "password", "new-password"),
        submit_label="Set Password",
        on_submit=UsersState.reset_password,
        description=rx.fragment(
            "A new password for ",
            rx.el.strong(UsersState.password_email),
            ". They are signed out everywhere and sign in again with it.",
        ),
    )


def disable_user_dialog() -> rx.Component:
    return confirm_dialog(
        UsersState,
        "disable",
        "Disable user?",
        rx.fragment(
            rx.el.strong(UsersState.disable_email),
            " is signed out everywhere and cannot sign in until you enable them again. Their lines and contacts stay.",
        ),
        "Disable",
        UsersState.confirm_disable,
    )


def line_dialog() -> rx.Component:
    errors = UsersState.dialog_errors
    adding = UsersState.line_id == 0
    return form_dialog(
        UsersState,
        "line",
        rx.cond(adding, "Add Line", "Edit Line"),
        form_field("line-name", "name", "Line name", errors, default_value=UsersState.line_name),
        form_field(
            "line-phone",
            "phone",
            "Phone number",
            errors,
            "tel",
            default_value=UsersState.line_phone,
            hint="The number customers text, e.g. (415) 555-0100.",
        ),
        rx.box(
            rx.el.label("Owner", html_for="line-owner", class_name="field-label"),
            rx.select.root(
                rx.select.trigger(id="line-owner", aria_label="Owner", width="100%"),
                rx.select.content(
                    rx.select.item("No owner", value=NO_OWNER),
                    rx.foreach(
                        UsersState.owner_choices,
                        lambda person: rx.select.item(person.email, value=person.id),
                    ),
                ),
                value=UsersState.line_owner,
                on_change=UsersState.set_line_owner,
                size="3",
            ),
            field_error(
                errors,
                "user",
                otherwise=rx.text(
                    "The owner works on this line; share it to give others access too.", size="1", color_scheme="gray"
                ),
            ),
            class_name="field",
        ),
        submit_label=rx.cond(adding, "Add Line", "Save"),
        on_submit=UsersState.save_line,
        description="A line is one of the business's phone numbers; its contacts belong to it.",
        note_required=True,
    )


def share_dialog() -> rx.Component:
    return form_dialog(
        UsersState,
        "share",
        "Share line",
        rx.cond(
            UsersState.share_choices.length() > 0,
            rx.box(
                rx.el.label("Share with", html_for="share-user", class_name="field-label"),
                rx.select.root(
                    rx.select.trigger(id="share-user", aria_label="Share with", width="100%"),
                    rx.select.content(
                        rx.foreach(
                            UsersState.share_choices,
                            lambda person: rx.select.item(person.email, value=person.id),
                        ),
                    ),
                    value=UsersState.share_user_id,
                    on_change=UsersState.set_share_user,
                    size="3",
                ),
                class_name="field",
            ),
            rx.text(
                "Every user already has this line. Add users with “New User”; administrators reach "
                "every line without sharing.",
                size="2",
                color_scheme="gray",
            ),
        ),
        submit_label="Share",
        on_submit=UsersState.share,
        submit_disabled=UsersState.share_choices.length() == 0,
        description=rx.fragment(
            "Share ",
            rx.el.strong(UsersState.share_line_name),
            " so that another user can switch to it and work on its contacts.",
        ),
    )
