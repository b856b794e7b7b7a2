"""The Lists page: "New List" at the top right; each list with its member count, rename and delete."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_dialog import form_dialog
from contacts_app.components.form_fields import form_field
from contacts_app.components.top_bar import top_bar
from contacts_app.domain.permissions import Action
from contacts_app.numbers import counted
from contacts_app.state.lists import ListRow, ListsState


def list_card(row: ListRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(
                rx.vstack(
                    rx.text(row.name, weight="bold", size="3"),
                    rx.cond(row.description != "", rx.text(row.description, size="2", color_scheme="gray")),
                    rx.text(
                        counted(row.members, "contact"),
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                ),
                href="/?list=" + row.id.to_string(),
                underline="none",
                color="inherit",
                aria_label="Open " + row.name,
                class_name="list-link",
            ),
            rx.hstack(
                rx.cond(
                    ListsState.can_export,
                    rx.button("Export", size="1", variant="soft", on_click=ListsState.export(row.id, row.name)),
                ),
                rx.button(
                    "Rename",
                    size="1",
                    variant="soft",
                    on_click=ListsState.open_rename(row.id, row.name, row.description),
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=ListsState.ask_delete(row.id, row.name),
                ),
                spacing="2",
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        role="listitem",
        class_name="list-card",
    )


def list_editor() -> rx.Component:
    errors = ListsState.dialog_errors
    new_list = ListsState.edit_id == 0
    return form_dialog(
        ListsState,
        "edit",
        rx.cond(new_list, "New List", "Rename List"),
        form_field("list-name", "name", "Name", errors, default_value=ListsState.edit_name),
        form_field(
            "list-description",
            "description",
            "Description",
            errors,
            default_value=ListsState.edit_description,
            required=False,
        ),
        submit_label=rx.cond(new_list, "Create List", "Save"),
        on_submit=ListsState.save,
        note_required=True,
        max_width="420px",
    )


def delete_list_dialog() -> rx.Component:
    return confirm_dialog(
        ListsState,
        "delete",
        "Delete list?",
        rx.fragment("Delete the list ", rx.el.strong(ListsState.delete_name), "? Its contacts stay in your contacts."),
        "Delete",
        ListsState.confirm_delete,
    )


def lists_page() -> rx.Component:
    return rx.box(
        top_bar(
            rx.cond(
                ListsState.can_use_lists, rx.button(rx.icon("plus", size=16), "New List", on_click=ListsState.open_new)
            )
        ),
        rx.box(
            rx.heading("Lists", size="6", as_="h1"),
            rx.text(
                "Lists segment your contacts for text blasts. Deleting a list keeps its contacts.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                ~ListsState.can_use_lists & ListsState.loaded,
                rx.callout(ListsState.refusals.get(Action.LISTS, ""), icon="lock", color_scheme="gray", role="note"),
            ),
            rx.cond(
                ListsState.rows.length() > 0,
                rx.box(
                    rx.foreach(ListsState.rows, list_card), role="list", aria_label="Lists", class_name="list-cards"
                ),
                rx.cond(
                    ListsState.loaded & ListsState.can_use_lists,
                    rx.box(
                        rx.icon("list", size=32, color="var(--gray-9)"),
                        rx.text("No lists yet", weight="bold", size="4"),
                        rx.text("Create one with “New List” at the top right.", color_scheme="gray"),
                        class_name="empty-state",
                    ),
                ),
            ),
            class_name="page-body",
        ),
        list_editor(),
        delete_list_dialog(),
        class_name="app-shell",
    )
