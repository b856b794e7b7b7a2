"""One controlled "are you sure?" dialog shape, used by every destructive or permanent action."""

import reflex as rx

from contacts_app.state.dialogs import DialogState


def confirm_dialog(
    state: type[DialogState],
    name: str,
    title: str | rx.Var,
    description: rx.Component,
    confirm_label: str | rx.Var,
    on_confirm,
    destructive: bool = True,
) -> rx.Component:
    """The dialog `name` of `state`. The confirm button is red for what destroys, in the accent colour
    for what only sends."""
    confirm_colour = {"color_scheme": "red"} if destructive else {}
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm_label, on_click=on_confirm, **confirm_colour)),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
            max_width="420px",
        ),
        open=state.dialog == name,
        on_open_change=state.dialog_open_change(name),
    )
