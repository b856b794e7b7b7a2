"""The list on the left: search, count, one page of rows, paging."""

import reflex as rx
from reflex.event import EventHandler, key_event

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.consent_panel import review_filter_option, send_to_selection_button
from contacts_app.domain.contact_filter import SORT_LABELS
from contacts_app.numbers import count, counted
from contacts_app.state.contacts import ContactsState
from contacts_app.state.selection import SelectionState
from contacts_app.views import CONSENT_LABELS, ContactRow


class KeyboardList(rx.el.Ul):
    """A list that hears keys: the arrow keys move from contact to contact."""

    on_key_down: EventHandler[key_event]


def opted_out_badge() -> rx.Component:
    return rx.badge("Opted out", color_scheme="red", variant="soft", size="1")


def row_actions(row: ContactRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                "Action",
                rx.icon("chevron-down", size=14),
                variant="soft",
                color_scheme="gray",
                size="1",
                aria_label=f"Action for {row.full_name}",
            ),
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item("Open", on_click=ContactsState.select(row.id)),
            # Not offered where the plan or an administrator took deleting away (the server refuses it too).
            rx.cond(
                ContactsState.can_delete,
                rx.fragment(
                    rx.dropdown_menu.separator(),
                    rx.dropdown_menu.item(
                        "Delete",
                        color_scheme="red",
                        on_click=ContactsState.ask_delete(row.id, row.full_name),
                    ),
                ),
            ),
        ),
        # Not modal: a modal menu hides the page from screen readers while its controls stay focusable.
        modal=False,
    )


def row_checkbox(row: ContactRow) -> rx.Component:
    checked = SelectionState.all_matching & (SelectionState.selection_count > 0)
    return rx.box(
        rx.checkbox(
            checked=checked | SelectionState.page_checked.contains(row.id),
            aria_label="Select " + row.full_name,
            on_click=SelectionState.toggle(row.id),
        ),
        class_name="row-check",
    )


def contact_row(row: ContactRow) -> rx.Component:
    # A plain list item holding three controls side by side (select, open, actions): an ARIA
    # option may not contain other controls, and a screen reader would not announce them.
    selected = ContactsState.selected.id == row.id
    return rx.el.li(
        row_checkbox(row),
        rx.el.button(
            rx.text(row.full_name, weight="medium", class_name="row-name"),
            rx.hstack(
                rx.text(row.phone, size="2", class_name="row-phone"),
                rx.cond(row.opted_out, opted_out_badge()),
                spacing="2",
                align="center",
            ),
            type="button",
            id="contact-row-" + row.id.to_string(),
            aria_current=rx.cond(selected, "true", "false"),
            on_click=ContactsState.select(row.id),
            class_name="row-open",
        ),
        row_actions(row),
        class_name=rx.cond(selected, "contact-row selected", "contact-row"),
    )


SEARCH_DEBOUNCE_MS = 250


def search_box() -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=16)),
        placeholder="Search name, phone or e-mail",
        aria_label="Search contacts",
        type="search",
        value=ContactsState.query,
        # One wait of 250 ms after the last key. A controlled input is already Reflex's DebounceInput
        # (300 ms by default): an event debounce on top of it made the list wait 550 ms.
        on_change=ContactsState.set_query,
        debounce_timeout=SEARCH_DEBOUNCE_MS,
        on_key_down=ContactsState.move_selection,
        size="3",
        width="100%",
    )


def filter_select(label: str, value: rx.Var, on_change, *items: rx.Component) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, title=label, width="100%"),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        size="1",
    )


def more_filters() -> rx.Component:
    """Sort, opted out, consent, tag and custom field: all kept in the page address."""
    return rx.el.details(
        rx.el.summary(
            "Sort and filter",
            rx.cond(ContactsState.filters_active, rx.badge("on", size="1", variant="soft", margin_left="6px")),
            class_name="filters-summary",
        ),
        rx.grid(
            filter_select(
                "Sort by",
                ContactsState.sort,
                ContactsState.set_sort,
                *[rx.select.item(label, value=sort.value) for sort, label in SORT_LABELS.items()],
            ),
            filter_select(
                "Opted out",
                rx.cond(ContactsState.opted_out_filter == "", "any", ContactsState.opted_out_filter),
                ContactsState.set_opted_out_filter,
                rx.select.item("Opted out or not", value="any"),
                rx.select.item("Opted out", value="yes"),
                rx.select.item("Not opted out", value="no"),
            ),
            filter_select(
                "Consent",
                rx.cond(ContactsState.consent_filter == "", "any", ContactsState.consent_filter),
                ContactsState.set_consent_filter,
                rx.select.item("Any consent", value="any"),
                *[rx.select.item(f"Consent: {label}", value=status.value) for status, label in CONSENT_LABELS.items()],
            ),
            filter_select(
                "Tag",
                rx.cond(ContactsState.tag_filter == "", "any", ContactsState.tag_filter),
                ContactsState.set_tag_filter,
                rx.select.item("Any tag", value="any"),
                rx.foreach(ContactsState.line_tags, lambda tag: rx.select.item("Tag: ", tag, value=tag)),
            ),
            rx.cond(
                ContactsState.custom_fields.length() > 0,
                filter_select(
                    "Custom field",
                    rx.cond(ContactsState.field_filter == "", "any", ContactsState.field_filter),
                    ContactsState.set_field_filter,
                    rx.select.item("Any custom field", value="any"),
                    rx.foreach(
                        ContactsState.custom_fields,
                        lambda field: rx.select.item(field.name, value=field.id.to_string()),
                    ),
                ),
            ),
            rx.cond(
                ContactsState.field_filter != "",
                rx.form(
                    rx.input(
                        name="value",
                        placeholder="Any value (Enter)",
                        aria_label="Custom field value",
                        default_value=ContactsState.field_value_filter,
                        size="1",
                    ),
                    on_submit=ContactsState.set_field_value_filter,
                    key=ContactsState.field_filter + "-" + ContactsState.field_value_filter,
                ),
            ),
            rx.cond(
                ContactsState.filters_active,
                rx.button("Clear filters", variant="ghost", size="1", on_click=ContactsState.clear_filters),
            ),
            columns="2",
            spacing="2",
            class_name="filters-grid",
        ),
        open=ContactsState.filters_active | (ContactsState.sort != "name"),
        class_name="filters",
    )


def list_filter() -> rx.Component:
    return rx.fragment(
        rx.select.root(
            rx.select.trigger(aria_label="Filter by list", width="100%"),
            rx.select.content(
                rx.select.item("All contacts", value="all"),
                review_filter_option(),
                rx.foreach(
                    ContactsState.lists,
                    lambda choice: rx.select.item(choice.name, " (", count(choice.members), ")", value=choice.id),
                ),
            ),
            value=rx.cond(
                ContactsState.review_filter,
                "review",
                rx.cond(ContactsState.list_filter == "", "all", ContactsState.list_filter),
            ),
            on_change=ContactsState.set_list_filter,
            size="2",
        ),
        more_filters(),
    )


def selection_bar() -> rx.Component:
    return rx.cond(
        SelectionState.selection_count > 0,
        rx.box(
            rx.hstack(
                rx.text(count(SelectionState.selection_count), " selected", size="2", weight="medium"),
                rx.cond(
                    ~SelectionState.all_matching & (ContactsState.total > SelectionState.selection_count),
                    rx.button(
                        "Select all ",
                        count(ContactsState.total),
                        " matching",
                        variant="ghost",
                        size="1",
                        on_click=SelectionState.select_all_matching,
                    ),
                ),
                rx.button("Clear", variant="ghost", size="1", color_scheme="gray", on_click=SelectionState.clear),
                send_to_selection_button(),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.hstack(
                rx.input(
                    placeholder="Tag",
                    aria_label="Tag for the selected contacts",
                    value=SelectionState.bulk_tag,
                    on_change=SelectionState.set_bulk_tag,
                    size="1",
                    flex="1 1 120px",
                    min_width="0",
                ),
                rx.button("Add tag", size="1", on_click=SelectionState.add_tag),
                rx.button("Remove tag", size="1", variant="soft", on_click=SelectionState.remove_tag),
                rx.cond(
                    ContactsState.can_delete,
                    rx.button(
                        "Delete",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Delete the selected contacts",
                        on_click=SelectionState.ask_bulk_delete,
                    ),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                ContactsState.lists.length() > 0,
                rx.hstack(
                    rx.box(
                        rx.select.root(
                            rx.select.trigger(placeholder="Choose a list", aria_label="Target list", width="100%"),
                            rx.select.content(
                                rx.foreach(ContactsState.lists, lambda c: rx.select.item(c.name, value=c.id)),
                            ),
                            value=SelectionState.target_list,
                            on_change=SelectionState.set_target_list,
                            size="1",
                        ),
                        flex="1 1 120px",
                        min_width="0",
                    ),
                    rx.button("Add to list", size="1", on_click=SelectionState.add_to_list),
                    rx.button("Remove from list", size="1", variant="soft", on_click=SelectionState.remove_from_list),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                    width="100%",
                ),
                rx.cond(
                    ContactsState.can_use_lists,
                    rx.text(
                        "Create a list on the ",
                        rx.link("Lists", href="/lists"),
                        " page to group these contacts.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
            ),
            class_name="selection-bar",
            role="region",
            aria_label="Selection",
        ),
    )


def page_jump() -> rx.Component:
    """Type a page number to go straight there (400 pages are not 400 clicks)."""
    return rx.form(
        rx.hstack(
            rx.el.label("Page", html_for="page-number", class_name="pager-label"),
            rx.input(
                id="page-number",
                name="page",
                type="number",
                min=1,
                max=ContactsState.page_count,
                default_value=(ContactsState.page + 1).to_string(),
                input_mode="numeric",
                size="1",
                width="64px",
            ),
            rx.text("of ", count(ContactsState.page_count), size="1", color_scheme="gray"),
            rx.button("Go", size="1", variant="soft", type="submit"),
            spacing="1",
            align="center",
        ),
        on_submit=ContactsState.go_to_page,
        key=ContactsState.page.to_string(),
    )


def bulk_delete_dialog() -> rx.Component:
    return confirm_dialog(
        SelectionState,
        "bulk_delete",
        "Delete the selected contacts?",
        rx.fragment(
            "Delete ",
            rx.el.strong(counted(SelectionState.selection_count, "contact")),
            "? Their details, tags and list memberships are removed. Numbers that opted out stay opted out.",
        ),
        "Delete",
        SelectionState.confirm_bulk_delete,
    )


def pager() -> rx.Component:
    return rx.cond(
        ContactsState.page_count > 1,
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron-left", size=16),
                variant="soft",
                aria_label="Previous page",
                disabled=ContactsState.page == 0,
                on_click=ContactsState.previous_page,
            ),
            rx.vstack(
                rx.text(ContactsState.range_label, size="2", color_scheme="gray"),
                page_jump(),
                spacing="1",
                align="center",
            ),
            rx.icon_button(
                rx.icon("chevron-right", size=16),
                variant="soft",
                aria_label="Next page",
                disabled=ContactsState.page + 1 >= ContactsState.page_count,
                on_click=ContactsState.next_page,
            ),
            justify="between",
            align="center",
            class_name="pager",
        ),
    )


def empty_list() -> rx.Component:
    return rx.cond(
        (ContactsState.query == "") & (ContactsState.line_total > 0),
        rx.box(
            rx.text("No contacts in this view.", weight="medium"),
            rx.text("Choose All contacts or clear the filters to see everyone.", size="2", color_scheme="gray"),
            rx.button("Clear filters", variant="soft", size="2", on_click=ContactsState.clear_filters),
            class_name="empty-state",
        ),
        empty_search_or_line(),
    )


def empty_search_or_line() -> rx.Component:
    return rx.cond(
        ContactsState.query != "",
        rx.box(
            rx.text("No contacts match “", ContactsState.query, "”.", weight="medium"),
            rx.text(
                "Try part of the name, the last four digits of the phone, or the e-mail.", size="2", color_scheme="gray"
            ),
            class_name="empty-state",
        ),
        rx.box(
            rx.icon("users", size=32, color="var(--gray-9)"),
            rx.text("No contacts yet", weight="bold", size="4"),
            # Only on a phone, where the list is the whole page: on a wider screen the details pane
            # beside it already says how to start. A phone's top bar reads "New", Import inside "More".
            rx.text(
                "Add your first customer with “New” at the top, "
                "or bring in a spreadsheet from “More”, then “Import contacts…”.",
                size="2",
                color_scheme="gray",
                class_name="mobile-only",
            ),
            class_name="empty-state",
        ),
    )


def contact_list() -> rx.Component:
    return rx.box(
        rx.box(
            search_box(),
            list_filter(),
            rx.hstack(
                rx.text(ContactsState.count_label, size="2", color_scheme="gray", aria_live="polite"),
                rx.cond(
                    ContactsState.rows.length() > 0,
                    rx.button("Select page", variant="ghost", size="1", on_click=SelectionState.select_page),
                ),
                justify="between",
                align="center",
            ),
            class_name="list-header",
        ),
        selection_bar(),
        bulk_delete_dialog(),
        rx.cond(
            ContactsState.rows.length() > 0,
            KeyboardList.create(
                rx.foreach(ContactsState.rows, contact_row),
                aria_label="Contacts",
                on_key_down=ContactsState.move_selection,
                class_name="contact-rows",
            ),
            rx.cond(ContactsState.loaded, empty_list()),
        ),
        pager(),
        class_name="contact-list-pane",
    )
