"""The selected contact on the right (full-screen on phones)."""

import reflex as rx
from reflex.event import EventHandler, no_args_event_spec

from contacts_app.components.consent_panel import consent_panel
from contacts_app.components.contact_form import contact_fields, custom_field_inputs, duplicate_link, tags_input
from contacts_app.components.form_fields import field_error
from contacts_app.state.contacts import ContactsState
from contacts_app.views import HistoryEntry

CONSENT_COLORS = {"not_sent": "gray", "pending": "amber", "confirmed": "green", "declined": "red"}


def consent_badge() -> rx.Component:
    return rx.badge(
        ContactsState.selected.consent_label,
        color_scheme=rx.match(
            ContactsState.selected.consent_status,
            *[(status, color) for status, color in CONSENT_COLORS.items()],
            "gray",
        ),
        variant="soft",
        size="2",
    )


def opt_out_box() -> rx.Component:
    """Tickable until the contact opts out; then locked (only their START lifts it), with the reason beside it."""
    selected = ContactsState.selected
    return rx.cond(
        selected.opted_out,
        rx.hstack(
            rx.icon("lock", size=16, role="img", aria_label="Locked", class_name="lock-icon"),
            rx.checkbox("Opted out", checked=True, disabled=True, size="2"),
            rx.text(selected.opted_out_note, size="2", class_name="muted-note"),
            align="center",
            spacing="2",
            wrap="wrap",
            class_name="locked-opt-out",
        ),
        rx.checkbox("Opted out", checked=False, on_change=ContactsState.request_opt_out, size="2"),
    )


def opt_out_section() -> rx.Component:
    selected = ContactsState.selected
    return rx.box(
        rx.text("Messaging", weight="bold", size="3"),
        opt_out_box(),
        rx.cond(
            selected.opted_out,
            rx.callout(
                "No texts will be sent. Only the contact can lift this, by texting START or UNSTOP.",
                icon="ban",
                color_scheme="red",
                size="1",
            ),
            rx.text(
                "Ticking this opts the contact out permanently, until they reply START or UNSTOP.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.hstack(
            rx.text("Consent message:", size="2"),
            consent_badge(),
            align="center",
            spacing="2",
        ),
        class_name="detail-section",
    )


def lists_section() -> rx.Component:
    return rx.cond(
        ContactsState.can_use_lists,
        rx.box(
            rx.text("Lists", weight="bold", size="3"),
            rx.cond(
                ContactsState.lists.length() > 0,
                rx.vstack(
                    rx.foreach(
                        ContactsState.lists,
                        lambda choice: rx.checkbox(
                            choice.name,
                            checked=ContactsState.contact_list_ids.contains(choice.id),
                            on_change=lambda member: ContactsState.toggle_list_membership(choice.id, member),
                        ),
                    ),
                    spacing="2",
                ),
                rx.text(
                    "No lists yet. Create one on the ",
                    rx.link("Lists", href="/lists"),
                    " page.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            class_name="detail-section",
        ),
    )


def history_item(entry: HistoryEntry) -> rx.Component:
    return rx.el.li(
        rx.text(entry.what, weight="medium", size="2"),
        rx.text(entry.when, " · ", entry.how, size="1", color_scheme="gray"),
        rx.cond(entry.detail != "", rx.text("“", entry.detail, "”", size="1", color_scheme="gray")),
    )


def history_section() -> rx.Component:
    return rx.box(
        rx.text("Consent history", weight="bold", size="3"),
        rx.cond(
            ContactsState.history.length() > 0,
            rx.el.ol(rx.foreach(ContactsState.history, history_item), class_name="timeline"),
            rx.text("No opt-out or consent changes yet.", size="2", color_scheme="gray"),
        ),
        class_name="detail-section",
    )


class EditWatcher(rx.el.Div):
    """Hears any typing in the form inside it (input events bubble), to know it holds unsaved edits."""

    on_input: EventHandler[no_args_event_spec]
    on_change: EventHandler[no_args_event_spec]


def notes_input() -> rx.Component:
    selected = ContactsState.selected
    errors = ContactsState.edit_errors
    return rx.box(
        rx.el.label("Notes", html_for="edit-notes", class_name="field-label"),
        rx.text_area(
            id="edit-notes",
            name="notes",
            default_value=selected.notes,
            rows="4",
            aria_describedby="edit-notes-note",
            width="100%",
        ),
        field_error(
            errors,
            "notes",
            "edit-notes-note",
            rx.text(selected.notes_note, id="edit-notes-note", size="1", color_scheme="gray"),
        ),
        class_name="field",
    )


def edit_form() -> rx.Component:
    selected = ContactsState.selected
    errors = ContactsState.edit_errors
    return EditWatcher.create(
        rx.form(
            contact_fields(
                "edit",
                errors,
                values={"full_name": selected.full_name, "phone": selected.phone, "email": selected.email},
                duplicate=duplicate_link(
                    ContactsState.edit_duplicate_id, ContactsState.edit_duplicate_name, ContactsState.select
                ),
            ),
            rx.text(
                "Email is optional and never used for texting; integrations use it to identify the contact.",
                size="1",
                color_scheme="gray",
            ),
            custom_field_inputs("edit", selected.fields, errors),
            tags_input("edit", errors, selected.tags_text),
            notes_input(),
            rx.button("Update Contact Details", type="submit", size="3", class_name="primary-action"),
            on_submit=ContactsState.update_contact,
            no_validate=True,
            key=ContactsState.form_key,
            class_name="detail-form",
        ),
        on_input=ContactsState.mark_details_dirty,
        # Selects and date pickers report a change rather than typing.
        on_change=ContactsState.mark_details_dirty,
    )


def tags_badges() -> rx.Component:
    return rx.cond(
        ContactsState.selected.tags.length() > 0,
        rx.hstack(
            rx.foreach(ContactsState.selected.tags, lambda tag: rx.badge(tag, variant="surface", size="1")),
            spacing="1",
            wrap="wrap",
        ),
    )


def details_header() -> rx.Component:
    return rx.hstack(
        rx.icon_button(
            rx.icon("arrow-left", size=18),
            variant="ghost",
            aria_label="Back to contacts",
            on_click=ContactsState.close_details,
            class_name="mobile-only",
        ),
        rx.box(
            rx.heading(ContactsState.selected.full_name, size="6", as_="h2"),
            rx.text(ContactsState.selected.phone, size="2", color_scheme="gray"),
            tags_badges(),
            rx.link("Schedule a text", href="/reminders?contact=" + ContactsState.selected.id.to_string(), size="2"),
        ),
        align="center",
        spacing="3",
        class_name="details-header",
    )


def no_selection() -> rx.Component:
    return rx.box(
        rx.cond(
            ContactsState.line_total > 0,
            rx.fragment(
                rx.icon("contact", size=32, color="var(--gray-9)"),
                rx.text("Choose a contact from the list to see and edit its details.", color_scheme="gray"),
            ),
            rx.fragment(
                rx.icon("user-plus", size=32, color="var(--gray-9)"),
                rx.text("Start by adding your customers", weight="bold", size="4"),
                rx.text(
                    "Use “New Contact” for one person, or “Import” to bring in a spreadsheet.", color_scheme="gray"
                ),
            ),
        ),
        class_name="empty-state",
    )


def contact_details() -> rx.Component:
    return rx.box(
        rx.cond(
            ContactsState.has_selection,
            rx.box(
                details_header(),
                rx.box(
                    edit_form(),
                    rx.box(
                        opt_out_section(),
                        consent_panel(),
                        lists_section(),
                        history_section(),
                        class_name="detail-side",
                    ),
                    class_name="detail-body",
                ),
                rx.text(
                    "Added ",
                    ContactsState.selected.created,
                    " · Updated ",
                    ContactsState.selected.updated,
                    size="1",
                    color_scheme="gray",
                ),
                class_name="details",
                role="region",
                aria_label="Contact details",
            ),
            no_selection(),
        ),
        class_name="contact-detail-pane",
    )
