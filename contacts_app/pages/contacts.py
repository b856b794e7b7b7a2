"""The Contacts page: list on the left, details on the right, actions at the top right."""

import reflex as rx

from contacts_app.components.contact_details import contact_details
from contacts_app.components.contact_list import contact_list
from contacts_app.components.dialogs import delete_dialog, discard_dialog, new_contact_dialog, opt_out_dialog
from contacts_app.components.import_dialog import import_dialog
from contacts_app.components.settings_dialog import settings_dialog
from contacts_app.components.top_bar import top_bar
from contacts_app.state.contacts import ContactsState
from contacts_app.state.live import live_watcher


def export_button() -> rx.Component:
    return rx.cond(
        ContactsState.can_export,
        rx.button(
            rx.icon("download", size=16),
            rx.el.span("Export", class_name="button-label"),
            variant="soft",
            size="2",
            aria_label="Export",
            on_click=ContactsState.export,
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


def contacts_page() -> rx.Component:
    return rx.box(
        top_bar(
            export_button(), rx.cond(ContactsState.can_import, import_dialog()), new_contact_dialog(), settings_dialog()
        ),
        rx.box(
            contact_list(),
            contact_details(),
            class_name=rx.cond(ContactsState.has_selection, "contacts-layout has-selection", "contacts-layout"),
        ),
        delete_dialog(),
        opt_out_dialog(),
        discard_dialog(),
        history_listener(),
        # Others' changes and job progress are pushed to the page (no polling).
        live_watcher(),
        class_name="app-shell",
    )
