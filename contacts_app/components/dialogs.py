"""One controlled dialog each for New Contact, delete and opt-out: shared by every row."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.contact_form import contact_fields, custom_field_inputs, duplicate_link, tags_input
from contacts_app.components.form_fields import dialog_buttons
from contacts_app.state.contacts import ContactsState


def new_contact_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            # "New" on a phone, "New Contact" where there is room; its name is "New Contact" at both sizes.
            rx.button(
                rx.icon("plus", size=16),
                rx.el.span("New", rx.el.span(" Contact", class_name="wide-only")),
                aria_label="New Contact",
                size="2",
            ),
        ),
        rx.dialog.content(
            rx.dialog.title("New Contact"),
            rx.dialog.description(
                "Fields marked with ",
                rx.el.span("*", class_name="required-mark"),
                " are required.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                contact_fields(
                    "new",
                    ContactsState.new_errors,
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
                custom_field_inputs("new", ContactsState.custom_fields, ContactsState.new_errors),
                tags_input("new", ContactsState.new_errors),
                dialog_buttons("Add Contact"),
                on_submit=ContactsState.add_contact,
                # Our own messages, beside the field, replace the browser's validation bubbles.
                no_validate=True,
                class_name="dialog-form",
            ),
            max_width="440px",
        ),
        open=ContactsState.new_open,
        on_open_change=ContactsState.set_new_open,
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        "Delete contact?",
        rx.fragment(
            "Delete ",
            rx.el.strong(ContactsState.delete_name),
            "? Their details and list memberships are removed. If they opted out, the line still remembers it.",
        ),
        "Delete",
        ContactsState.confirm_delete,
        ContactsState.delete_open,
        ContactsState.set_delete_open,
    )


def opt_out_dialog() -> rx.Component:
    return confirm_dialog(
        "Opt out this contact?",
        rx.fragment(
            rx.el.strong(ContactsState.selected.full_name),
            " will be opted out permanently and receive no texts until they reply START or UNSTOP. "
            "You cannot undo this yourself.",
        ),
        "Opt Out",
        ContactsState.confirm_opt_out,
        ContactsState.opt_out_open,
        ContactsState.set_opt_out_open,
    )


def discard_dialog() -> rx.Component:
    return confirm_dialog(
        "Discard unsaved changes?",
        rx.fragment(
            "Your changes to ",
            rx.el.strong(ContactsState.selected.full_name),
            " are not saved. Discard them, or keep editing and press Update Contact Details.",
        ),
        "Discard Changes",
        ContactsState.discard_edits,
        ContactsState.discard_open,
        ContactsState.set_discard_open,
    )
