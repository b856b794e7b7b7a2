"""The Custom fields page: what else the account keeps about each customer (administrators)."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_fields import form_field
from contacts_app.components.top_bar import top_bar
from contacts_app.domain.custom_fields import KIND_LABELS, MAX_FIELDS
from contacts_app.state.custom_fields import CustomFieldsState, FieldRow


def field_card(row: FieldRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.text(row.name, weight="bold", size="3"),
                rx.text(row.kind_label, size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label="Remove " + row.name,
                on_click=CustomFieldsState.ask_delete(row.id, row.name),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        role="listitem",
        class_name="list-card",
    )


def add_field_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.box(form_field("field-name", "name", "Field name", CustomFieldsState.errors), flex="1 1 200px"),
            rx.box(
                rx.el.label("Kind", html_for="field-kind", class_name="field-label"),
                rx.el.select(
                    *[rx.el.option(label, value=kind) for kind, label in KIND_LABELS.items()],
                    id="field-kind",
                    name="kind",
                    class_name="native-select",
                ),
                class_name="field",
                flex="0 0 140px",
            ),
            rx.button("Add Field", type="submit", size="3"),
            align="end",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        on_submit=CustomFieldsState.create_field,
        no_validate=True,
        key=CustomFieldsState.form_version.to_string(),
        class_name="detail-section",
    )


def fields_page() -> rx.Component:
    return rx.box(
        top_bar(),
        rx.box(
            rx.heading("Custom fields", size="6", as_="h1"),
            rx.text(
                f"Up to {MAX_FIELDS} more things to keep about every contact, such as Company or Birthday. "
                "They show in each contact's details and in New Contact, and the REST API reads and writes "
                "them as “fields”.",
                size="2",
                color_scheme="gray",
            ),
            add_field_form(),
            rx.cond(
                CustomFieldsState.fields.length() > 0,
                rx.box(
                    rx.foreach(CustomFieldsState.fields, field_card),
                    role="list",
                    aria_label="Custom fields",
                    class_name="list-cards",
                ),
                rx.cond(
                    CustomFieldsState.loaded,
                    rx.text("No custom fields yet.", size="2", color_scheme="gray"),
                ),
            ),
            class_name="page-body",
        ),
        confirm_dialog(
            CustomFieldsState,
            "delete",
            "Remove field?",
            rx.fragment(
                "Remove ",
                rx.el.strong(CustomFieldsState.delete_name),
                "? Every contact's value of it is deleted too.",
            ),
            "Remove",
            CustomFieldsState.confirm_delete,
        ),
        class_name="app-shell",
    )
