"""The Full Name / Phone / Email fields, shared by the New Contact dialog and the details form."""

import reflex as rx

from contacts_app.components.form_fields import form_field

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
