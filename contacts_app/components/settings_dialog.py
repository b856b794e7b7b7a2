"""The gear icon and its Settings modal: Delete All with a typed confirmation and progress."""

import reflex as rx

from contacts_app.components.form_fields import NO_ERRORS, form_field
from contacts_app.numbers import count, counted
from contacts_app.state.account import AccountState
from contacts_app.state.contacts import ContactsState
from contacts_app.state.session import SessionState
from contacts_app.state.settings import CONFIRM_WORD, SettingsState


def delete_all_section() -> rx.Component:
    return rx.box(
        rx.text("Delete all contacts", weight="bold", size="3"),
        rx.text(
            "Removes every contact of ",
            rx.el.strong(SessionState.active_line_label),
            " (",
            counted(SettingsState.delete_count, "contact"),
            "), for example when a number is reassigned or after an unintended import. Opt-outs are kept.",
            size="2",
        ),
        rx.cond(
            SettingsState.delete_all_reason != "",
            rx.text(SettingsState.delete_all_reason, size="2", color_scheme="gray", role="note"),
        ),
        rx.button(
            "Delete",
            color_scheme="red",
            disabled=(SettingsState.delete_all_reason != "") | (SettingsState.delete_count == 0),
            on_click=SettingsState.ask_delete_all,
            class_name="primary-action",
        ),
        class_name="detail-section",
    )


def business_name_form() -> rx.Component:
    errors = rx.cond(
        AccountState.business_name_error != "", {"business_name": AccountState.business_name_error}, NO_ERRORS
    )
    return rx.form(
        rx.hstack(
            rx.box(
                form_field(
                    "business-name",
                    "business_name",
                    "Business name",
                    errors,
                    autocomplete="organization",
                    default_value=AccountState.business_name,
                    hint="Consent requests start with it ({business} in the message).",
                ),
                flex="1",
            ),
            rx.button("Save", type="submit", variant="soft", margin_top="24px"),
            align="start",
            spacing="2",
            width="100%",
        ),
        key=AccountState.business_form_version.to_string(),
        on_submit=AccountState.save_business_name,
        on_mount=AccountState.load_business_name,
        no_validate=True,
    )


def account_section() -> rx.Component:
    """Account-wide settings: the business name here; the rest on their own pages."""
    return rx.cond(
        SessionState.is_admin,
        rx.box(
            rx.text("Account", weight="bold", size="3"),
            business_name_form(),
            rx.text(
                "The consent message, API keys and webhooks are on the ",
                rx.link("Integrations", href="/integrations"),
                " page; users, lines and permissions on the ",
                rx.link("Users", href="/users"),
                " page.",
                size="2",
            ),
            class_name="detail-section",
        ),
    )


def confirm_step() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(
                "Delete all ",
                rx.el.strong(counted(SettingsState.delete_count, "contact")),
                " of ",
                rx.el.strong(SessionState.active_line_label),
                "? This CANNOT BE UNDONE.",
            ),
            icon="triangle-alert",
            color_scheme="red",
            role="alert",
        ),
        rx.text(
            "Want a copy first? ",
            rx.link("Export first", href="#", on_click=ContactsState.export),
            size="2",
        ),
        rx.box(
            rx.el.label(f"Type {CONFIRM_WORD} to confirm", html_for="confirm-delete-all", class_name="field-label"),
            rx.input(
                id="confirm-delete-all",
                value=SettingsState.confirm_text,
                on_change=SettingsState.set_confirm_text,
                auto_complete="off",
                size="3",
            ),
            class_name="field",
        ),
        rx.hstack(
            rx.button("Back", variant="soft", color_scheme="gray", on_click=SettingsState.back_to_settings),
            rx.button(
                "Delete All Contacts",
                color_scheme="red",
                disabled=SettingsState.confirm_text != CONFIRM_WORD,
                on_click=SettingsState.delete_all,
            ),
            justify="end",
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def progress_step() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(SettingsState.delete_step == "running", "Deleting… ", "Deleted "),
            count(SettingsState.deleted),
            " of ",
            counted(SettingsState.delete_total, "contact"),
            role="status",
        ),
        rx.progress(value=SettingsState.delete_percent, max=100, aria_label="Delete All progress"),
        rx.cond(
            SettingsState.delete_step == "running",
            rx.text("You can close this window; the list empties as the deletion goes.", size="1", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


def settings_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("settings", size=16), "Settings", variant="soft", color_scheme="gray", class_name="desktop-only"
            ),
        ),
        rx.dialog.content(
            rx.dialog.title("Settings"),
            rx.dialog.description("Settings of the active phone line.", size="2", color_scheme="gray"),
            rx.box(
                rx.match(
                    SettingsState.delete_step,
                    ("confirm", confirm_step()),
                    ("running", progress_step()),
                    ("done", progress_step()),
                    rx.vstack(delete_all_section(), account_section(), spacing="3", width="100%"),
                ),
                margin_top="12px",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="16px",
            ),
            max_width="480px",
        ),
        open=SettingsState.dialog == "settings",
        on_open_change=SettingsState.set_settings_open,
    )
