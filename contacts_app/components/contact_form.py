"""The Full Name / Phone / Email fields, shared by the New Contact dialog and the details form."""

import reflex as rx

FIELDS = (
    # name, label, required, input type, autocomplete
    ("full_name", "Full Name", True, "text", "name"),
    ("phone", "Phone", True, "tel", "tel"),
    ("email", "Email", False, "email", "email"),
)


def required_mark() -> rx.Component:
    return rx.el.span(" *", class_name="required-mark", aria_hidden="true")


def field(
    prefix: str,
    name: str,
    label: str,
    required: bool,
    input_type: str,
    autocomplete: str,
    errors: rx.Var,
    default_value: rx.Var | str = "",
    extra: rx.Component | None = None,
) -> rx.Component:
    input_id = f"{prefix}-{name}"
    error = errors[name].to(str)
    return rx.box(
        rx.el.label(label, required_mark() if required else rx.fragment(), html_for=input_id, class_name="field-label"),
        rx.input(
            id=input_id,
            name=name,
            type=input_type,
            auto_complete=autocomplete,
            default_value=default_value,
            aria_required="true" if required else "false",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=f"{input_id}-error",
            size="3",
            width="100%",
        ),
        rx.cond(
            errors.contains(name),
            rx.text(error, id=f"{input_id}-error", class_name="field-error", role="alert", size="2"),
        ),
        extra if extra is not None else rx.fragment(),
        class_name="field",
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
            field(
                prefix,
                name,
                label,
                required,
                input_type,
                autocomplete,
                errors,
                default_value=values.get(name, ""),
                extra=duplicate if name == "phone" else None,
            )
            for name, label, required, input_type, autocomplete in FIELDS
        ],
        spacing="3",
        width="100%",
    )
