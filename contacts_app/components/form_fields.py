"""One labelled input with its error beside it, and that error on its own: every form uses these."""

import reflex as rx

NO_ERRORS: dict[str, str] = {}


def required_mark() -> rx.Component:
    return rx.el.span(" *", class_name="required-mark", aria_hidden="true")


def field_error(
    errors: rx.Var | dict,
    name: str | rx.Var,
    error_id: str | rx.Var | None = None,
    otherwise: rx.Component | None = None,
) -> rx.Component:
    """`errors[name]` under its field, read out as an alert (`error_id` names it for the input's
    aria-describedby); while there is none, `otherwise` (a hint) or nothing."""
    errors = rx.Var.create(errors)
    named = {"id": error_id} if error_id is not None else {}
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name].to(str), class_name="field-error", role="alert", size="2", **named),
        otherwise if otherwise is not None else rx.fragment(),
    )


def form_field(
    input_id: str,
    name: str,
    label: str,
    errors: rx.Var | dict = NO_ERRORS,
    input_type: str = "text",
    autocomplete: str = "off",
    default_value: rx.Var | str = "",
    hint: str = "",
    required: bool = True,
    extra: rx.Component | None = None,
) -> rx.Component:
    """`errors` maps field names to messages; the field's own shows under it (or else the hint)."""
    errors = rx.Var.create(errors)
    has_error = errors.contains(name)
    return rx.box(
        rx.el.label(label, required_mark() if required else rx.fragment(), html_for=input_id, class_name="field-label"),
        rx.input(
            id=input_id,
            name=name,
            type=input_type,
            auto_complete=autocomplete,
            default_value=default_value,
            aria_required="true" if required else "false",
            aria_invalid=rx.cond(has_error, "true", "false"),
            aria_describedby=f"{input_id}-error",
            size="3",
            width="100%",
        ),
        field_error(errors, name, f"{input_id}-error", rx.text(hint, size="1", color_scheme="gray") if hint else None),
        extra if extra is not None else rx.fragment(),
        class_name="field",
    )
