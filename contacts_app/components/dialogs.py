"""One controlled dialog each for New Contact, delete, opt-out and discard: shared by every row."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.contact_form import contact_fields, custom_field_inputs, duplicate_link, tags_input
from contacts_app.components.form_dialog import form_dialog
from contacts_app.state.contacts import ContactsState


def new_contact_dialog() -> rx.Component:
    errors = ContactsState.dialog_errors
    return form_dialog(
        ContactsState,
        "new",
        "New Contact",
        contact_fields(
            "new",
            errors,
            duplicate=duplicate_link(
                ContactsState.new_duplicate_id,
                ContactsState.new_duplicate_name,
                ContactsState.open_duplicate,
            ),
        ),
        rx.text(
            "Email is optional and never used for texting; integrations use it to identify the contact.",
            size="1",
            color_scheme="gray",
        ),
        custom_field_inputs("new", ContactsState.custom_fields, errors),
        tags_input("new", errors),
        submit_label="Add Contact",
        on_submit=ContactsState.add_contact,
        note_required=True,
        # "New" on a phone, "New Contact" where there is room; its name is "New Contact" at both sizes.
        trigger=rx.button(
            rx.icon("plus", size=16),
            rx.el.span("New", rx.el.span(" Contact", class_name="wide-only")),
            aria_label="New Contact",
            size="2",
        ),
        on_open=ContactsState.open_new_contact,
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        ContactsState,
        "delete",
        "Delete contact?",
        rx.fragment(
            "Delete ",
            rx.el.strong(ContactsState.delete_name),
            "? Their details and list memberships are removed. If they opted out, the line still remembers it.",
        ),
        "Delete",
        ContactsState.confirm_delete,
    )


def opt_out_dialog() -> rx.Component:
    return confirm_dialog(
        ContactsState,
        "opt_out",
        "Opt out this contact?",
        rx.fragment(
            rx.el.strong(ContactsState.selected.full_name),
            " will be opted out permanently and receive no texts until they reply START or UNSTOP. "
            "You cannot undo this yourself.",
        ),
        "Opt Out",
        ContactsState.confirm_opt_out,
    )


def discard_dialog() -> rx.Component:
    return confirm_dialog(
        ContactsState,
        "discard",
        "Discard unsaved changes?",
        rx.fragment(
            "Your changes to ",
            rx.el.strong(ContactsState.selected.full_name),
            " are not saved. Discard them, or keep editing and press Update Contact Details.",
        ),
        "Discard Changes",
        ContactsState.discard_edits,
    )
