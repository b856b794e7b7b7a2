"""One controlled dialog shape for every form: title, description, fields, Cancel and the submit button."""

import reflex as rx

from contacts_app.state.dialogs import DialogState


def required_note() -> rx.Component:
    return rx.fragment("Fields marked with ", rx.el.span("*", class_name="required-mark"), " are required.")


def form_dialog(
    state: type[DialogState],
    name: str,
    title: str | rx.Var,
    *fields: rx.Component,
    submit_label: str | rx.Var,
    on_submit,
    description: rx.Component | str | None = None,
    note_required: bool = False,
    submit_disabled: rx.Var | bool = False,
    cancel_label: str = "Cancel",
    enter_submits: bool = True,
    trigger: rx.Component | None = None,
    on_open=None,
    max_width: str = "440px",
) -> rx.Component:
    """The dialog `name` of `state` (open while `state.dialog == name`), narrowing to fit a 390 px phone.

    `on_submit` gets the form's values; a `trigger` button opens it through `on_open`. Editors whose fields
    are all controlled and where Enter in a small field must not send (a blast, a reminder) pass
    `enter_submits=False`: their button alone submits.
    """
    said = [description] if description is not None else []
    if note_required:
        said += [" ", required_note()] if said else [required_note()]
    buttons = rx.hstack(
        rx.dialog.close(rx.button(cancel_label, type="button", variant="soft", color_scheme="gray")),
        rx.button(
            submit_label,
            disabled=submit_disabled,
            **({"type": "submit"} if enter_submits else {"type": "button", "on_click": on_submit}),
        ),
        justify="end",
        spacing="3",
        margin_top="0.5em",
    )
    if enter_submits:
        # Our own messages, beside each field, replace the browser's validation bubbles.
        body = rx.form(
            *fields, buttons, on_submit=on_submit, no_validate=True, key=state.dialog_version, class_name="dialog-form"
        )
    else:
        body = rx.box(*fields, buttons, key=state.dialog_version, class_name="dialog-form")
    return rx.dialog.root(
        # on_open on the trigger itself: Reflex wraps a child that has its own on_click in a (role-less) box.
        *([rx.dialog.trigger(trigger, on_click=on_open)] if trigger is not None else []),
        rx.dialog.content(
            rx.dialog.title(title),
            *([rx.dialog.description(*said, size="2", color_scheme="gray")] if said else []),
            body,
            max_width=max_width,
        ),
        open=state.dialog == name,
        on_open_change=state.dialog_open_change(name),
    )
