"""The Contacts page: list on the left, details on the right, actions at the top right."""

import reflex as rx

from contacts_app.components.contact_details import contact_details
from contacts_app.components.contact_list import contact_list
from contacts_app.components.dialogs import delete_dialog, new_contact_dialog, opt_out_dialog
from contacts_app.state.contacts import ContactsState


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("contact", size=22, color="var(--accent-9)"),
            rx.heading("Contacts", size="5", as_="h1"),
            align="center",
            spacing="2",
        ),
        rx.hstack(new_contact_dialog(), spacing="2", align="center"),
        justify="between",
        align="center",
        class_name="top-bar",
    )


def contacts_page() -> rx.Component:
    return rx.box(
        top_bar(),
        rx.box(
            contact_list(),
            contact_details(),
            class_name=rx.cond(ContactsState.has_selection, "contacts-layout has-selection", "contacts-layout"),
        ),
        delete_dialog(),
        opt_out_dialog(),
        class_name="app-shell",
    )
