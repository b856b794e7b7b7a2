"""Sign-in, and the first run's "Create administrator" screen."""

import reflex as rx

from contacts_app.api import session as api_session
from contacts_app.components.form_fields import form_field
from contacts_app.state.session import SETUP_FORM_ID, SessionState

SIGN_IN_FORM_ID = "sign-in-form"


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
    # Posted natively to the server, which sets the HttpOnly session cookie (api/session.py).
    return auth_card(
        "Sign in",
        "Sign in to manage your business's contacts.",
        rx.form(
            form_field(
                "sign-in-email",
                "email",
                "Email",
                input_type="email",
                autocomplete="username",
                default_value=SessionState.sign_in_email,
            ),
            form_field(
                "sign-in-password", "password", "Password", input_type="password", autocomplete="current-password"
            ),
            rx.cond(
                SessionState.sign_in_error != "",
                rx.callout(SessionState.sign_in_error, icon="circle-alert", color_scheme="red", role="alert"),
            ),
            rx.button("Sign In", type="submit", size="3", width="100%"),
            # A new message (after a failed attempt) re-mounts the form with the e-mail filled in.
            key=SessionState.sign_in_error + SessionState.sign_in_email,
            id=SIGN_IN_FORM_ID,
            action=api_session.SIGN_IN_ROUTE,
            method="post",
            on_submit=rx.call_script(f"document.getElementById('{SIGN_IN_FORM_ID}').submit()"),
            no_validate=True,
            class_name="dialog-form",
        ),
    )


def setup_page() -> rx.Component:
    errors = SessionState.setup_errors
    return auth_card(
        "Create administrator",
        "Welcome! Name your business and create the first account: it administers users, phone lines and permissions.",
        rx.form(
            form_field(
                "setup-business",
                "business_name",
                "Business name",
                errors,
                autocomplete="organization",
                hint="Consent requests to your customers start with it.",
            ),
            form_field("setup-email", "email", "Email", errors, "email", "username"),
            form_field(
                "setup-password",
                "password",
                "Password",
                errors,
                "password",
                "new-password",
                hint="At least 10 characters.",
            ),
            form_field("setup-confirm", "confirm", "Confirm password", errors, "password", "new-password"),
            rx.button("Create Administrator", type="submit", size="3", width="100%"),
            id=SETUP_FORM_ID,
            action=api_session.SETUP_ROUTE,
            method="post",
            on_submit=SessionState.check_setup,
            no_validate=True,
            class_name="dialog-form",
        ),
    )
