"""Sign-in, and the first run's "Create administrator" screen."""

import reflex as rx

from contacts_app.components.contact_form import required_mark
from contacts_app.state.session import SessionState


def labelled_input(input_id: str, label: str, input_type: str, autocomplete: str, error: rx.Var | None = None):
    return rx.box(
        rx.el.label(label, required_mark(), html_for=input_id, class_name="field-label"),
        rx.input(id=input_id, name=input_id.rsplit("-", 1)[1], type=input_type, auto_complete=autocomplete, size="3"),
        rx.cond(error != "", rx.text(error, class_name="field-error", role="alert", size="2"))
        if error is not None
        else rx.fragment(),
        class_name="field",
    )


def auth_card(title: str, intro: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("contact", size=24, color="var(--accent-9)"),
                    rx.heading(title, size="6", as_="h1"),
                    align="center",
                    spacing="2",
                ),
                rx.text(intro, size="2", color_scheme="gray"),
                *children,
                spacing="4",
                width="100%",
            ),
            class_name="auth-card",
        ),
        class_name="auth-page",
    )


def sign_in_page() -> rx.Component:
    return auth_card(
        "Sign in",
        "Sign in to manage your business's contacts.",
        rx.form(
            labelled_input("sign-in-email", "Email", "email", "username"),
            labelled_input("sign-in-password", "Password", "password", "current-password"),
            rx.cond(
                SessionState.sign_in_error != "",
                rx.callout(SessionState.sign_in_error, icon="circle-alert", color_scheme="red", role="alert"),
            ),
            rx.button("Sign In", type="submit", size="3", width="100%"),
            on_submit=SessionState.sign_in,
            no_validate=True,
            class_name="dialog-form",
        ),
    )


def setup_page() -> rx.Component:
    errors = SessionState.setup_errors
    return auth_card(
        "Create administrator",
        "Welcome! Create the first account: it administers users, phone lines and permissions.",
        rx.form(
            labelled_input("setup-email", "Email", "email", "username", errors.get("email", "")),
            labelled_input("setup-password", "Password", "password", "new-password", errors.get("password", "")),
            labelled_input("setup-confirm", "Confirm password", "password", "new-password", errors.get("confirm", "")),
            rx.text("At least 10 characters.", size="1", color_scheme="gray"),
            rx.button("Create Administrator", type="submit", size="3", width="100%"),
            on_submit=SessionState.create_admin,
            no_validate=True,
            class_name="dialog-form",
        ),
    )
