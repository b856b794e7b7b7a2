"""The Blasts page: "New Blast" at the top right; the line's blasts; the open blast's counts and recipients."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_dialog import form_dialog
from contacts_app.components.form_fields import field_error, form_field
from contacts_app.components.top_bar import top_bar
from contacts_app.domain.permissions import Action
from contacts_app.state.blasts import (
    ALL_CONTACTS,
    RECIPIENT_PAGE_SIZE,
    BlastRow,
    BlastsState,
    CountLine,
    ListChoice,
    RecipientLine,
)

REFRESH_MS = 2000


def message_field() -> rx.Component:
    return rx.box(
        rx.el.label("Message", html_for="blast-body", class_name="field-label"),
        rx.text_area(
            id="blast-body",
            value=BlastsState.body,
            on_change=BlastsState.set_body,
            rows="4",
            width="100%",
            aria_describedby="blast-counter",
            placeholder="Hi {first_name}, ...",
        ),
        rx.text(BlastsState.counter, id="blast-counter", size="2", aria_live="polite", class_name="blast-counter"),
        rx.cond(
            BlastsState.counter_first_blast != "",
            rx.text(BlastsState.counter_first_blast, size="1", color_scheme="gray"),
        ),
        rx.text("Merge fields: {first_name}, {full_name}.", size="1", color_scheme="gray"),
        field_error(BlastsState.dialog_errors, "body", "blast-body-error"),
        class_name="field",
    )


def fallback_field() -> rx.Component:
    return rx.box(
        rx.el.label("When a name is empty, use", html_for="blast-fallback", class_name="field-label"),
        rx.input(
            id="blast-fallback",
            value=BlastsState.merge_fallback,
            on_change=BlastsState.set_merge_fallback,
            width="100%",
        ),
        field_error(BlastsState.dialog_errors, "merge_fallback", "blast-fallback-error"),
        class_name="field",
    )


def list_checkbox(choice: ListChoice) -> rx.Component:
    return rx.el.label(
        rx.checkbox(
            checked=BlastsState.chosen_lists.contains(choice.id),
            on_change=lambda checked: BlastsState.toggle_list(choice.id, checked),
            # Radix's checkbox is a button: a wrapping label does not name it for every reader.
            aria_label=choice.name,
        ),
        rx.text(choice.name, " (", choice.members.to_string(), ")", as_="span", size="2"),
        class_name="checkbox-label",
    )


def recipients_field() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Recipients", class_name="field-label"),
        rx.vstack(
            rx.el.label(
                rx.checkbox(
                    checked=BlastsState.chosen_lists.contains(ALL_CONTACTS),
                    on_change=lambda checked: BlastsState.toggle_list(ALL_CONTACTS, checked),
                    aria_label="All contacts",
                ),
                rx.text("All contacts", as_="span", size="2"),
                class_name="checkbox-label",
            ),
            rx.foreach(BlastsState.list_choices, list_checkbox),
            spacing="2",
        ),
        field_error(BlastsState.dialog_errors, "lists", "blast-lists-error"),
        class_name="field blast-recipients",
    )


def when_field() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("When", class_name="field-label"),
        rx.radio_group.root(
            rx.hstack(
                rx.el.label(
                    rx.radio_group.item(value="now"),
                    rx.text("Send now", as_="span", size="2"),
                    class_name="checkbox-label",
                ),
                rx.el.label(
                    rx.radio_group.item(value="later"),
                    rx.text("Schedule", as_="span", size="2"),
                    class_name="checkbox-label",
                ),
                spacing="4",
            ),
            value=rx.cond(BlastsState.schedule, "later", "now"),
            on_change=BlastsState.set_schedule,
        ),
        rx.cond(
            BlastsState.schedule,
            rx.box(
                rx.el.label(
                    "Date and time (", BlastsState.time_zone, ")", html_for="blast-send-at", class_name="field-label"
                ),
                rx.input(
                    id="blast-send-at",
                    type="datetime-local",
                    value=BlastsState.send_at_local,
                    on_change=BlastsState.set_send_at_local,
                ),
                field_error(BlastsState.dialog_errors, "send_at", "blast-send-at-error"),
            ),
        ),
        class_name="field",
    )


def preview_and_count() -> rx.Component:
    return rx.box(
        rx.cond(
            BlastsState.preview_text != "",
            rx.box(
                rx.text("Preview for ", rx.el.strong(BlastsState.preview_name), size="2"),
                rx.text(BlastsState.preview_text, class_name="blast-preview", size="2", white_space="pre-wrap"),
                role="region",
                aria_label="Preview",
            ),
        ),
        rx.box(
            rx.text(BlastsState.recipients.to_string(), " recipients", weight="bold", size="3"),
            rx.cond(
                BlastsState.exclusions.length() > 0,
                rx.el.ul(
                    rx.foreach(BlastsState.exclusions, lambda line: rx.el.li(line)), class_name="blast-exclusions"
                ),
            ),
            role="region",
            aria_label="Recipients count",
        ),
        rx.cond(
            BlastsState.no_carrier,
            rx.callout(
                "No carrier is connected to this line: the texts will wait in the outbox until an administrator "
                "connects one on the Integrations page.",
                icon="info",
                color_scheme="amber",
                size="1",
            ),
        ),
        field_error(BlastsState.dialog_errors, "confirm", "blast-confirm-error"),
        class_name="blast-summary",
    )


def compose_dialog() -> rx.Component:
    return form_dialog(
        BlastsState,
        "compose",
        "New Blast",
        message_field(),
        fallback_field(),
        recipients_field(),
        when_field(),
        preview_and_count(),
        submit_label=BlastsState.confirm_label,
        on_submit=BlastsState.send,
        submit_disabled=(BlastsState.recipients == 0) | (BlastsState.body.strip() == ""),
        # Enter in a small field must not text thousands of people.
        enter_submits=False,
        max_width="560px",
    )


def blast_card(row: BlastRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(row.excerpt, weight="bold", size="3"),
                rx.text(row.when, " · ", row.recipients, " · ", row.status, size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.button(
                "Open",
                size="1",
                variant="soft",
                on_click=BlastsState.open_blast(row.id),
                aria_label="Open blast " + row.id.to_string(),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        role="listitem",
        class_name="list-card",
    )


def count_cell(line: CountLine) -> rx.Component:
    return rx.box(
        rx.text(line.value, weight="bold", size="4"),
        rx.text(line.label, size="1", color_scheme="gray"),
        class_name="blast-count",
        role="listitem",
        aria_label=line.label,
    )


def recipient_row(line: RecipientLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(line.name),
        rx.table.cell(line.phone),
        rx.table.cell(line.status),
        rx.table.cell(line.detail),
    )


def recipients_pager() -> rx.Component:
    return rx.cond(
        BlastsState.recipients_range != "",
        rx.hstack(
            rx.text("Recipients ", BlastsState.recipients_range, size="2", color_scheme="gray"),
            rx.hstack(
                rx.button(
                    "Previous",
                    size="1",
                    variant="soft",
                    disabled=BlastsState.open_page == 0,
                    on_click=BlastsState.turn_recipients_page(-1),
                    aria_label="Previous recipients",
                ),
                rx.button(
                    "Next",
                    size="1",
                    variant="soft",
                    disabled=(BlastsState.open_page + 1) * RECIPIENT_PAGE_SIZE >= BlastsState.open_rows_total,
                    on_click=BlastsState.turn_recipients_page(1),
                    aria_label="Next recipients",
                ),
                spacing="2",
            ),
            justify="between",
            align="center",
            width="100%",
            role="navigation",
            aria_label="Recipient pages",
        ),
    )


def open_blast_panel() -> rx.Component:
    return rx.cond(
        BlastsState.open_id != 0,
        rx.box(
            rx.hstack(
                rx.heading("Blast · ", BlastsState.open_status, size="4", as_="h2"),
                rx.hstack(
                    rx.cond(
                        BlastsState.open_can_cancel,
                        rx.button(
                            "Cancel blast",
                            size="2",
                            color_scheme="red",
                            variant="soft",
                            on_click=BlastsState.ask_cancel,
                        ),
                    ),
                    rx.button("Close", size="2", variant="soft", color_scheme="gray", on_click=BlastsState.close_blast),
                    spacing="2",
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.text(BlastsState.open_when, size="2", color_scheme="gray"),
            rx.text(BlastsState.open_body, size="2", white_space="pre-wrap", class_name="blast-preview"),
            rx.box(
                rx.foreach(BlastsState.open_counts, count_cell),
                class_name="blast-counts",
                role="list",
                aria_label="Counts",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Name"),
                            rx.table.column_header_cell("Phone"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Detail"),
                        )
                    ),
                    rx.table.body(rx.foreach(BlastsState.open_recipients, recipient_row)),
                    aria_label="Recipients",
                    size="1",
                ),
                class_name="table-scroll",
            ),
            recipients_pager(),
            rx.moment(interval=REFRESH_MS, on_change=BlastsState.refresh, display="none"),
            role="region",
            aria_label="Open blast",
            class_name="blast-panel",
        ),
    )


def cancel_dialog() -> rx.Component:
    return confirm_dialog(
        BlastsState,
        "cancel",
        "Cancel blast?",
        rx.fragment("Texts not yet handed to the carrier will not be sent. Texts already sent stay sent."),
        "Cancel blast",
        BlastsState.confirm_cancel,
    )


def settings_dialog() -> rx.Component:
    errors = BlastsState.dialog_errors
    return form_dialog(
        BlastsState,
        "settings",
        "Blast settings",
        rx.el.label(
            rx.checkbox(
                checked=BlastsState.settings_need_consent,
                on_change=BlastsState.set_settings_need_consent,
                aria_label="Send blasts only to contacts who confirmed consent",
            ),
            rx.text("Send blasts only to contacts who confirmed consent", as_="span", size="2"),
            class_name="checkbox-label",
        ),
        form_field(
            "blast-instruction",
            "instruction",
            "Opt-out instruction (added to a contact's first blast)",
            errors,
            default_value=BlastsState.settings_instruction,
            required=False,
        ),
        form_field(
            "blast-time-zone",
            "time_zone",
            "Account time zone",
            errors,
            default_value=BlastsState.settings_time_zone,
            hint="For scheduled blasts, and numbers whose own zone is unclear. E.g. America/Chicago.",
            required=False,
        ),
        rx.el.fieldset(
            rx.el.legend("Send only between (each recipient's time zone)", class_name="field-label"),
            rx.hstack(
                form_field(
                    "blast-window-opens",
                    "send_window_opens",
                    "From",
                    errors,
                    input_type="time",
                    default_value=BlastsState.settings_window_opens,
                ),
                form_field(
                    "blast-window-closes",
                    "send_window_closes",
                    "Until",
                    errors,
                    input_type="time",
                    default_value=BlastsState.settings_window_closes,
                ),
                spacing="3",
                width="100%",
            ),
            rx.text(
                "Within 8 am to 9 pm, the law's limit; narrow it for a state's 8 pm or your own hours. "
                "Texts due outside it wait until it opens.",
                size="1",
                color_scheme="gray",
            ),
            class_name="plain-fieldset",
        ),
        submit_label="Save",
        on_submit=BlastsState.save_settings,
        max_width="480px",
    )


def blasts_page() -> rx.Component:
    return rx.box(
        top_bar(
            rx.cond(
                BlastsState.is_admin & BlastsState.can_blast,
                rx.icon_button(
                    rx.icon("settings", size=18),
                    variant="soft",
                    color_scheme="gray",
                    aria_label="Blast settings",
                    on_click=BlastsState.open_settings,
                ),
            ),
            rx.cond(
                BlastsState.can_blast,
                rx.button(
                    rx.icon("send", size=16),
                    rx.el.span("New Blast", class_name="button-label"),
                    aria_label="New Blast",
                    on_click=BlastsState.open_compose,
                ),
            ),
        ),
        rx.box(
            rx.heading("Blasts", size="6", as_="h1"),
            rx.text(
                "The same text to the contacts of your lists. Opted-out contacts never receive it; texts wait for ",
                BlastsState.sending_window,
                " in each recipient's time zone.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                ~BlastsState.can_blast & BlastsState.loaded,
                rx.callout(BlastsState.refusals.get(Action.BLASTS, ""), icon="lock", color_scheme="gray", role="note"),
            ),
            open_blast_panel(),
            rx.cond(
                BlastsState.rows.length() > 0,
                rx.box(
                    rx.foreach(BlastsState.rows, blast_card), role="list", aria_label="Blasts", class_name="list-cards"
                ),
                rx.cond(
                    BlastsState.loaded & BlastsState.can_blast,
                    rx.box(
                        rx.icon("send", size=32, color="var(--gray-9)"),
                        rx.text("No blasts yet", weight="bold", size="4"),
                        rx.text("Write one with “New Blast” at the top right.", color_scheme="gray"),
                        class_name="empty-state",
                    ),
                ),
            ),
            class_name="page-body",
        ),
        compose_dialog(),
        cancel_dialog(),
        settings_dialog(),
        class_name="app-shell",
    )
