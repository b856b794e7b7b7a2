"""The Integrations page's carrier section: connect Twilio, choose lines, paste the webhook URLs, check."""

import reflex as rx

from contacts_app.components.form_fields import field_error
from contacts_app.state.carrier import CarrierLineRow, CarrierState


def _error(name: str) -> rx.Component:
    return field_error(CarrierState.carrier_errors, name, f"twilio-{name}-error")


def _field(
    name: str,
    label: str,
    input_type: str = "text",
    hint: str = "",
    placeholder=None,
    default_value: rx.Var | str = "",
) -> rx.Component:
    input_id = f"twilio-{name.replace('_', '-')}"
    return rx.box(
        rx.el.label(label, html_for=input_id, class_name="field-label"),
        rx.input(
            id=input_id,
            name=name,
            type=input_type,
            auto_complete="off" if input_type == "text" else "new-password",
            default_value=default_value,
            placeholder=placeholder if placeholder is not None else "",
            aria_invalid=rx.cond(CarrierState.carrier_errors.contains(name), "true", "false"),
            aria_describedby=f"twilio-{name}-error",
            size="2",
            width="100%",
        ),
        _error(name),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        class_name="field",
    )


def _url_row(label: str, url: rx.Var, note: str) -> rx.Component:
    return rx.box(
        rx.text(label, weight="medium", size="2"),
        rx.hstack(
            rx.el.code(url, class_name="secret-value", aria_label=label, flex="1", min_width="0"),
            rx.button(
                rx.icon("copy", size=14),
                "Copy",
                size="1",
                variant="soft",
                type="button",
                aria_label="Copy " + label,
                on_click=[rx.set_clipboard(url), rx.toast.success("Copied.")],
            ),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.text(note, size="1", color_scheme="gray"),
    )


def _line_item(row: CarrierLineRow) -> rx.Component:
    return rx.el.li(
        rx.box(
            rx.el.label(
                rx.checkbox(
                    checked=row.connected,
                    on_change=lambda on: CarrierState.toggle_line(row.id, on),
                    aria_label="Send " + row.name + " through Twilio",
                ),
                rx.text(row.name, " · ", row.phone, as_="span", size="2", weight="medium"),
                class_name="checkbox-label",
            ),
            rx.cond(
                row.check_result != "",
                rx.text(
                    row.check_result,
                    size="1",
                    color_scheme=rx.cond(row.check_ok, "green", "red"),
                    role="status",
                    class_name="wrap-anywhere",
                ),
            ),
            min_width="0",
        ),
        rx.cond(
            row.connected,
            rx.hstack(
                rx.el.label("Texts/second", html_for="rate-" + row.id.to_string(), class_name="field-label"),
                rx.input(
                    id="rate-" + row.id.to_string(),
                    type="number",
                    min="0.1",
                    step="0.1",
                    default_value=row.rate,
                    on_blur=lambda value: CarrierState.set_line_rate(row.id, value),
                    width="5em",
                    size="1",
                ),
                rx.button(
                    "Check connection",
                    size="1",
                    variant="soft",
                    loading=CarrierState.checking_line_id == row.id,
                    aria_label="Check connection of " + row.name,
                    on_click=CarrierState.check_line(row.id),
                ),
                align="center",
                spacing="2",
                flex="none",
                wrap="wrap",
            ),
        ),
        class_name="integration-row",
    )


def carrier_section() -> rx.Component:
    return rx.box(
        rx.heading("Carrier: Twilio", size="4", as_="h2"),
        rx.text(
            "Lines you connect send their texts through your Twilio account and receive replies from it. "
            "Other lines keep texts in the outbox.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            CarrierState.secret_key_missing,
            rx.callout(
                "Credentials cannot be saved: the server has no CONTACTS_SECRET_KEY. Set it (README, "
                "“Connect your carrier”) and restart the app.",
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                role="alert",
            ),
        ),
        rx.cond(
            CarrierState.twilio_connected,
            rx.hstack(
                rx.text(
                    "Connected to ",
                    rx.el.code(CarrierState.account_sid),
                    rx.cond(
                        CarrierState.auth_token_hint != "", rx.fragment(" · auth token ", CarrierState.auth_token_hint)
                    ),
                    rx.cond(
                        CarrierState.api_key_sid != "",
                        rx.fragment(
                            " · API key ", rx.el.code(CarrierState.api_key_sid), " ", CarrierState.api_key_hint
                        ),
                    ),
                    size="2",
                    class_name="wrap-anywhere",
                ),
                rx.button(
                    "Disconnect Twilio",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    type="button",
                    on_click=CarrierState.disconnect_twilio,
                ),
                align="center",
                justify="between",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
        ),
        rx.form(
            _field(
                "account_sid",
                "Account SID",
                default_value=CarrierState.account_sid,
                placeholder="AC…",
                hint="Twilio Console, Account Info.",
            ),
            _field(
                "auth_token",
                "Auth token",
                input_type="password",
                placeholder=rx.cond(
                    CarrierState.auth_token_hint != "",
                    "Saved " + CarrierState.auth_token_hint + ": leave blank to keep",
                    "",
                ),
                hint="Signs the texts Twilio posts to this app. Stored encrypted; never shown again.",
            ),
            rx.el.details(
                rx.el.summary("Send with an API key instead (optional)", class_name="field-label"),
                _field("api_key_sid", "API key SID", default_value=CarrierState.api_key_sid, placeholder="SK…"),
                _field(
                    "api_key_secret",
                    "API key secret",
                    input_type="password",
                    placeholder=rx.cond(
                        CarrierState.api_key_hint != "",
                        "Saved " + CarrierState.api_key_hint + ": leave blank to keep",
                        "",
                    ),
                ),
                class_name="carrier-api-key",
            ),
            _error("form"),
            rx.button(
                rx.cond(CarrierState.twilio_connected, "Save Twilio credentials", "Connect Twilio"),
                type="submit",
                size="2",
                class_name="primary-action",
            ),
            on_submit=CarrierState.save_twilio,
            no_validate=True,
            key=CarrierState.carrier_form_key,
            class_name="dialog-form",
        ),
        rx.cond(
            CarrierState.twilio_connected,
            rx.fragment(
                rx.el.ul(
                    rx.foreach(CarrierState.carrier_lines, _line_item),
                    class_name="integration-list",
                    aria_label="Lines and Twilio",
                ),
                _url_row(
                    "Inbound URL",
                    CarrierState.inbound_url,
                    "Twilio Console → Phone Numbers → your number → Messaging → “A message comes in”: "
                    "Webhook, HTTP POST.",
                ),
                _url_row(
                    "Status callback URL",
                    CarrierState.status_url,
                    "Set on every text the app sends; paste it into a Messaging Service's status callback "
                    "if you use one.",
                ),
                rx.cond(
                    ~CarrierState.public_url_configured,
                    rx.text(
                        "These use the address this page was opened at. Behind a proxy or tunnel, set "
                        "CONTACTS_PUBLIC_URL to the address Twilio reaches, and restart.",
                        size="1",
                        color_scheme="amber",
                    ),
                ),
            ),
        ),
        on_mount=CarrierState.load_carrier,
        class_name="detail-section integration-section",
        role="region",
        aria_label="Carrier: Twilio",
    )
