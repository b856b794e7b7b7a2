"""The Reminders page: a month calendar (a blue dot above each day with reminders), the chosen day's
reminders, "New Reminder" at the top right, one dialog for new and edit, one for cancel."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_dialog import form_dialog
from contacts_app.components.form_fields import field_error
from contacts_app.components.top_bar import top_bar
from contacts_app.models import ReminderRepeat
from contacts_app.state.reminders import ContactChoice, DayCell, ReminderLine, RemindersState

WATCH_MS = 5000
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def day_button(cell: DayCell) -> rx.Component:
    selected = RemindersState.selected_day == cell.iso
    return rx.el.button(
        rx.box(class_name=rx.cond(cell.reminders > 0, "day-dot", "day-dot empty"), aria_hidden="true"),
        rx.text(cell.day.to_string(), as_="span", size="2"),
        on_click=RemindersState.choose_day(cell.iso),
        aria_label=cell.label,
        aria_pressed=rx.cond(selected, "true", "false"),
        class_name=rx.cond(
            selected, "calendar-day selected", rx.cond(cell.in_month, "calendar-day", "calendar-day outside")
        ),
        type="button",
    )


def month_calendar() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron-left", size=18),
                variant="soft",
                aria_label="Previous month",
                on_click=RemindersState.previous_month,
            ),
            rx.heading(RemindersState.title, size="4", as_="h2"),
            rx.icon_button(
                rx.icon("chevron-right", size=18),
                variant="soft",
                aria_label="Next month",
                on_click=RemindersState.next_month,
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.box(
            *[rx.text(name, size="1", color_scheme="gray", class_name="calendar-weekday") for name in WEEKDAYS],
            rx.foreach(RemindersState.weeks, lambda week: rx.foreach(week, day_button)),
            class_name="calendar-grid",
            role="group",
            aria_label="Calendar",
        ),
        class_name="calendar",
    )


def reminder_card(line: ReminderLine) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(line.time, " · ", line.contact, weight="bold", size="3"),
                rx.text(line.body, size="2"),
                rx.text(
                    line.status,
                    rx.cond(line.repeat != "", " · " + line.repeat, ""),
                    rx.cond(line.detail != "", " · " + line.detail, ""),
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            rx.cond(
                line.editable,
                rx.hstack(
                    rx.button("Edit", size="1", variant="soft", on_click=RemindersState.open_edit(line.id)),
                    rx.button(
                        "Cancel",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=RemindersState.ask_cancel(line.id),
                    ),
                    spacing="2",
                ),
            ),
            justify="between",
            align="start",
            width="100%",
        ),
        role="listitem",
        aria_label=line.time + " " + line.contact,
        class_name="list-card",
    )


def day_list() -> rx.Component:
    return rx.box(
        rx.heading(RemindersState.selected_title, size="4", as_="h2"),
        rx.cond(
            RemindersState.day_reminders.length() > 0,
            rx.box(
                rx.foreach(RemindersState.day_reminders, reminder_card),
                role="list",
                aria_label="Reminders of the day",
                class_name="list-cards",
            ),
            rx.text("No reminders on this day.", size="2", color_scheme="gray"),
        ),
        class_name="reminder-day",
    )


def contact_choice(choice: ContactChoice) -> rx.Component:
    return rx.button(
        choice.label,
        variant="ghost",
        size="2",
        type="button",
        on_click=RemindersState.choose_contact(choice.id, choice.label),
        class_name="contact-choice",
    )


def contact_picker() -> rx.Component:
    return rx.box(
        rx.el.label("Contact", html_for="reminder-contact", class_name="field-label"),
        rx.cond(
            RemindersState.contact_id != 0,
            rx.text("To ", rx.el.strong(RemindersState.contact_name), size="2", role="status"),
        ),
        rx.input(
            id="reminder-contact",
            value=RemindersState.contact_query,
            on_change=RemindersState.set_contact_query,
            placeholder=rx.cond(RemindersState.contact_id != 0, "Choose another contact", "Search by name or number"),
            auto_complete="off",
        ),
        rx.cond(
            RemindersState.contact_choices.length() > 0,
            rx.vstack(
                rx.foreach(RemindersState.contact_choices, contact_choice),
                spacing="1",
                role="group",
                aria_label="Matching contacts",
            ),
        ),
        field_error(RemindersState.dialog_errors, "contact"),
        class_name="field",
    )


def editor_dialog() -> rx.Component:
    new_reminder = RemindersState.editor_id == 0
    return form_dialog(
        RemindersState,
        "editor",
        rx.cond(new_reminder, "New Reminder", "Edit Reminder"),
        contact_picker(),
        rx.box(
            rx.el.label("Message", html_for="reminder-body", class_name="field-label"),
            rx.text_area(
                id="reminder-body",
                value=RemindersState.body,
                on_change=RemindersState.set_body,
                rows="3",
                width="100%",
                placeholder="Hi {first_name}, ...",
            ),
            rx.text(RemindersState.counter, size="2", aria_live="polite"),
            field_error(RemindersState.dialog_errors, "body"),
            class_name="field",
        ),
        rx.hstack(
            rx.box(
                rx.el.label("Date", html_for="reminder-day", class_name="field-label"),
                rx.input(id="reminder-day", type="date", value=RemindersState.day, on_change=RemindersState.set_day),
            ),
            rx.box(
                rx.el.label("Time (", RemindersState.time_zone, ")", html_for="reminder-at", class_name="field-label"),
                rx.input(id="reminder-at", type="time", value=RemindersState.at, on_change=RemindersState.set_at),
            ),
            spacing="3",
            wrap="wrap",
        ),
        field_error(RemindersState.dialog_errors, "when"),
        rx.hstack(
            rx.vstack(
                rx.el.label("Repeat", html_for="reminder-repeat", class_name="field-label"),
                rx.el.select(
                    rx.el.option("Does not repeat", value=ReminderRepeat.NONE.value),
                    rx.el.option("Daily", value=ReminderRepeat.DAILY.value),
                    rx.el.option("Weekly", value=ReminderRepeat.WEEKLY.value),
                    rx.el.option("Monthly", value=ReminderRepeat.MONTHLY.value),
                    id="reminder-repeat",
                    value=RemindersState.repeat,
                    on_change=RemindersState.set_repeat,
                    class_name="native-select",
                ),
                spacing="1",
            ),
            rx.cond(
                RemindersState.repeat != ReminderRepeat.NONE.value,
                rx.vstack(
                    rx.el.label("Until", html_for="reminder-until", class_name="field-label"),
                    rx.input(
                        id="reminder-until",
                        type="date",
                        value=RemindersState.repeat_until,
                        on_change=RemindersState.set_repeat_until,
                    ),
                    spacing="1",
                ),
            ),
            spacing="3",
            wrap="wrap",
        ),
        field_error(RemindersState.dialog_errors, "repeat_until"),
        submit_label=rx.cond(new_reminder, "Schedule", "Save"),
        on_submit=RemindersState.save,
        # Enter in the contact search picks nobody; only the button saves.
        enter_submits=False,
        # The cards behind have a "Cancel" that cancels a reminder; this one only closes.
        cancel_label="Close",
        max_width="520px",
    )


def cancel_dialog() -> rx.Component:
    return confirm_dialog(
        RemindersState,
        "cancel",
        "Cancel reminder?",
        rx.fragment("It will not be sent; a repeating reminder stops."),
        "Cancel reminder",
        RemindersState.confirm_cancel,
    )


def reminders_page() -> rx.Component:
    return rx.box(
        top_bar(
            rx.button(
                rx.icon("calendar-plus", size=16),
                rx.el.span("New Reminder", class_name="button-label"),
                aria_label="New Reminder",
                on_click=RemindersState.open_new,
            )
        ),
        rx.box(
            rx.heading("Reminders", size="6", as_="h1"),
            rx.text(
                "Texts scheduled for one contact, sent at their time in ",
                RemindersState.time_zone,
                ". Opted-out contacts are skipped.",
                size="2",
                color_scheme="gray",
            ),
            rx.box(month_calendar(), day_list(), class_name="reminders-layout"),
            rx.moment(interval=WATCH_MS, on_change=RemindersState.watch, display="none"),
            class_name="page-body",
        ),
        editor_dialog(),
        cancel_dialog(),
        class_name="app-shell",
    )
