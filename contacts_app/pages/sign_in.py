"""Sign-in, and the first run's "Create administrator" screen."""

import reflex as rx

from contacts_app.components.form_fields import form_field
from contacts_app.state.session import SessionState


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
            form_field("sign-in-email", "email", "Email", input_type="email", autocomplete="username"),
            form_field(
                "sign-in-password", "password", "Password", input_type="password", autocomplete="current-password"
            ),
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
            form_field("setup-email", "email", "Email", errors, "email", "username"),
            form_field("setup-password", "password", "Password", errors, "password", "new-password"),
            form_field("setup-confirm", "confirm", "Confirm password", errors, "password", "new-password"),
            rx.text("At least 10 characters.", size="1", color_scheme="gray"),
            rx.button("Create Administrator", type="submit", size="3", width="100%"),
            on_submit=SessionState.create_admin,
            no_validate=True,
            class_name="dialog-form",
        ),
    )
