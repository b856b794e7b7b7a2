"""The Full Name / Phone / Email fields, shared by the New Contact dialog and the details form."""

import reflex as rx

from contacts_app.components.form_fields import field_error, form_field
from contacts_app.views import FieldValue

FIELDS = (
    # name, label, required, input type, autocomplete
    ("full_name", "Full Name", True, "text", "name"),
    ("phone", "Phone", True, "tel", "tel"),
    ("email", "Email", False, "email", "email"),
)


def duplicate_link(duplicate_id: rx.Var, duplicate_name: rx.Var, on_open) -> rx.Component:
    return rx.cond(
        duplicate_id > 0,
        rx.button(
            "Open ",
            duplicate_name,
            type="button",
            variant="ghost",
            size="2",
            on_click=on_open(duplicate_id),
            class_name="duplicate-link",
        ),
    )


def contact_fields(
    prefix: str,
    errors: rx.Var,
    values: dict | None = None,
    duplicate: rx.Component | None = None,
) -> rx.Component:
    values = values or {}
    return rx.vstack(
        *[
            form_field(
                f"{prefix}-{name}",
                name,
                label,
                errors,
                input_type,
                autocomplete,
                default_value=values.get(name, ""),
                required=required,
                extra=duplicate if name == "phone" else None,
            )
            for name, label, required, input_type, autocomplete in FIELDS
        ],
        spacing="3",
        width="100%",
    )


def custom_field_input(prefix: str, field: FieldValue, errors: rx.Var) -> rx.Component:
    """One custom field's labelled input, of its kind; named field:<name> for the form's data."""
    input_id = f"{prefix}-field-" + field.id.to_string()
    error_id = input_id + "-error"
    has_error = errors.contains(field.key)
    return rx.box(
        rx.el.label(field.name, html_for=input_id, class_name="field-label"),
        rx.match(
            field.kind,
            (
                "yes_no",
                rx.el.select(
                    rx.el.option("—", value=""),
                    rx.el.option("Yes", value="yes"),
                    rx.el.option("No", value="no"),
                    id=input_id,
                    name=field.key,
                    default_value=field.value,
                    aria_invalid=rx.cond(has_error, "true", "false"),
                    aria_describedby=error_id,
                    class_name="native-select",
                ),
            ),
            rx.input(
                id=input_id,
                name=field.key,
                type=rx.match(field.kind, ("date", "date"), "text"),
                input_mode=rx.match(field.kind, ("number", "decimal"), "text"),
                default_value=field.value,
                aria_invalid=rx.cond(has_error, "true", "false"),
                aria_describedby=error_id,
                size="3",
                width="100%",
            ),
        ),
        field_error(errors, field.key, error_id),
        class_name="field",
    )


def custom_field_inputs(prefix: str, fields: rx.Var, errors: rx.Var) -> rx.Component:
    return rx.foreach(fields, lambda field: custom_field_input(prefix, field, errors))


def tags_input(prefix: str, errors: rx.Var, value: rx.Var | str = "") -> rx.Component:
    return rx.box(
        rx.el.label("Tags", html_for=f"{prefix}-tags", class_name="field-label"),
        rx.input(
            id=f"{prefix}-tags",
            name="tags",
            default_value=value,
            placeholder="vip, spring sale",
            aria_describedby=f"{prefix}-tags-hint",
            size="3",
            width="100%",
        ),
        field_error(
            errors,
            "tags",
            f"{prefix}-tags-hint",
            rx.text(
                "Words to find and group contacts by, separated by commas.",
                id=f"{prefix}-tags-hint",
                size="1",
                color_scheme="gray",
            ),
        ),
        class_name="field",
    )
