"""The Contacts page: list on the left, details on the right, actions at the top right."""

import reflex as rx

from contacts_app.components.consent_panel import consent_request_dialog
from contacts_app.components.contact_details import contact_details
from contacts_app.components.contact_list import contact_list
from contacts_app.components.dialogs import delete_dialog, discard_dialog, new_contact_dialog, opt_out_dialog
from contacts_app.components.import_dialog import import_dialog
from contacts_app.components.settings_dialog import settings_dialog
from contacts_app.components.top_bar import top_bar
from contacts_app.state.contacts import ContactsState
from contacts_app.state.importer import ImportState
from contacts_app.state.live import live_watcher
from contacts_app.state.session import NO_LINE_SHARED, SessionState
from contacts_app.state.settings import SettingsState
from contacts_app.state.users import EDIT_LINE_PARAM


def export_button() -> rx.Component:
    return rx.cond(
        ContactsState.can_export,
        rx.button(
            rx.icon("download", size=16),
            "Export",
            variant="outline",
            color_scheme="gray",
            size="2",
            on_click=ContactsState.export,
            class_name="desktop-only",
        ),
    )


# Back and Forward between the addresses the page wrote with history.pushState reach the server
# through this hidden button: the router only hears of its own navigations.
LISTEN_FOR_BACK_AND_FORWARD = """
if (!window.__contactsHistoryListener) {
  window.__contactsHistoryListener = true;
  window.addEventListener('popstate', () => document.getElementById('history-popped')?.click());
}
"""


def history_listener() -> rx.Component:
    return rx.el.button(
        id="history-popped",
        type="button",
        tab_index=-1,
        aria_hidden="true",
        on_click=ContactsState.history_popped,
        on_mount=rx.call_script(LISTEN_FOR_BACK_AND_FORWARD),
        style={"display": "none"},
    )


def more_menu() -> rx.Component:
    """On a phone, Export, Import and Settings sit in one labelled menu instead of bare icons."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button("More", rx.icon("chevron-down", size=14), variant="soft", color_scheme="gray", size="2"),
            class_name="mobile-only",
        ),
        rx.dropdown_menu.content(
            rx.cond(
                ContactsState.can_export,
                rx.dropdown_menu.item(rx.icon("download", size=16), "Export contacts", on_click=ContactsState.export),
            ),
            rx.cond(
                ContactsState.can_import,
                rx.dropdown_menu.item(
                    rx.icon("upload", size=16), "Import contacts…", on_click=ImportState.set_open(True)
                ),
            ),
            rx.dropdown_menu.item(
                rx.icon("settings", size=16), "Settings…", on_click=SettingsState.set_settings_open(True)
            ),
            align="end",
        ),
        # Not modal: a modal menu hides the page from screen readers while its controls stay focusable.
        modal=False,
    )


def line_number_banner() -> rx.Component:
    """Until the active line has its number, administrators (who can set it) are told and led there."""
    return rx.cond(
        SessionState.line_needs_number,
        rx.callout.root(
            rx.callout.icon(rx.icon("phone-off", size=16)),
            rx.callout.text(
                rx.el.strong(SessionState.active_line_label),
                " has no phone number yet: customers' texts cannot reach it and consent requests wait "
                "until it has one. ",
                rx.link("Set its number", href=f"/users?{EDIT_LINE_PARAM}=" + SessionState.active_line_id.to_string()),
            ),
            color_scheme="amber",
            size="1",
            role="status",
            aria_label="Line without a number",
            class_name="line-banner",
        ),
    )


def no_line_notice() -> rx.Component:
    """All a user with no line sees: why, and who can change it (nothing else could work)."""
    return rx.center(
        rx.callout(NO_LINE_SHARED, icon="info", size="2", role="status"),
        class_name="no-line-notice",
        padding="48px 16px",
    )


def contacts_page() -> rx.Component:
    return rx.cond(
        ContactsState.no_line,
        rx.box(top_bar(), no_line_notice(), class_name="app-shell"),
        contacts_workspace(),
    )


def contacts_workspace() -> rx.Component:
    return rx.box(
        top_bar(
            export_button(),
            rx.cond(ContactsState.can_import, import_dialog()),
            new_contact_dialog(),
            settings_dialog(),
            more_menu(),
        ),
        line_number_banner(),
        rx.box(
            contact_list(),
            contact_details(),
            class_name=rx.cond(ContactsState.has_selection, "contacts-layout has-selection", "contacts-layout"),
        ),
        delete_dialog(),
        opt_out_dialog(),
        discard_dialog(),
        consent_request_dialog(),
        history_listener(),
        # Others' changes and job progress are pushed to the page (no polling).
        live_watcher(),
        class_name="app-shell",
    )
