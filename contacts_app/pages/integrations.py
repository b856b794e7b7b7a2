"""The Integrations page (administrators): consent message, API keys, webhooks and their delivery log."""

import reflex as rx

from contacts_app.components.carrier_section import carrier_section
from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.components.form_fields import field_error
from contacts_app.components.top_bar import top_bar
from contacts_app.domain.events import EVENT_TYPES
from contacts_app.numbers import counted
from contacts_app.state.integrations import ApiKeyRow, DeliveryRow, EndpointRow, IntegrationsState

DELIVERY_REFRESH_MS = 3000
API_DOCS_URL = "/api/docs"
STATUS_COLORS = {"succeeded": "green", "pending": "amber", "failed": "red"}


def shown_once(title: str, value, note: str, on_dismiss) -> rx.Component:
    """A secret in plain text, once: select it and copy it now."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round", size=16)),
        rx.box(
            rx.text(title, weight="bold", size="2"),
            rx.el.code(value, class_name="secret-value", aria_label=title),
            rx.text(note, size="1", color_scheme="gray"),
            rx.hstack(
                rx.button(
                    rx.icon("copy", size=14),
                    "Copy",
                    size="1",
                    on_click=[rx.set_clipboard(value), rx.toast.success(title + " copied.")],
                ),
                rx.button("Done, I copied it", size="1", variant="soft", on_click=on_dismiss),
                spacing="2",
                margin_top="6px",
                wrap="wrap",
            ),
            class_name="secret-body",
        ),
        color_scheme="green",
        size="1",
        role="status",
    )


def section(title: str, description: str | rx.Component, *children: rx.Component, label: str) -> rx.Component:
    return rx.box(
        rx.heading(title, size="4", as_="h2"),
        rx.text(description, size="2", color_scheme="gray"),
        *children,
        class_name="detail-section integration-section",
        role="region",
        aria_label=label,
    )


# ----- consent message -----
def consent_message_section() -> rx.Component:
    return section(
        "Consent message",
        "Texted by “Send consent request”. {business} becomes your business name; it must mention STOP.",
        rx.form(
            rx.el.label("Message", html_for="consent-message", class_name="field-label"),
            rx.text_area(
                id="consent-message",
                name="consent_message",
                default_value=IntegrationsState.consent_message,
                rows="3",
                aria_invalid=rx.cond(IntegrationsState.consent_error != "", "true", "false"),
            ),
            rx.cond(
                IntegrationsState.consent_error != "",
                rx.text(IntegrationsState.consent_error, class_name="field-error", role="alert", size="2"),
            ),
            rx.text("Default: ", IntegrationsState.default_consent_message, size="1", color_scheme="gray"),
            rx.hstack(
                rx.button("Save message", type="submit", size="2"),
                rx.button(
                    "Restore default",
                    type="button",
                    size="2",
                    variant="soft",
                    color_scheme="gray",
                    on_click=IntegrationsState.restore_default_consent_message,
                ),
                spacing="2",
                wrap="wrap",
            ),
            on_submit=IntegrationsState.save_consent_message,
            key=IntegrationsState.consent_key,
            class_name="dialog-form",
        ),
        rx.hstack(
            rx.button(
                rx.icon("download", size=14),
                "Export consent history",
                size="2",
                variant="soft",
                on_click=IntegrationsState.export_consent_history,
            ),
            rx.text("Every opt-out and consent change of every line, as CSV.", size="1", color_scheme="gray"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        label="Consent message",
    )


# ----- API keys -----
def key_item(key: ApiKeyRow) -> rx.Component:
    return rx.el.li(
        rx.box(
            rx.text(key.name, weight="medium", size="2", class_name="wrap-anywhere"),
            rx.text(
                rx.el.code(key.prefix, "…"),
                " · created ",
                key.created,
                " · last used ",
                key.last_used,
                size="1",
                color_scheme="gray",
            ),
            min_width="0",
        ),
        rx.cond(
            key.revoked,
            rx.badge("Revoked", color_scheme="gray", variant="soft"),
            rx.button(
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label="Revoke " + key.name,
                on_click=IntegrationsState.revoke_key(key.id),
            ),
        ),
        class_name="integration-row",
    )


def api_keys_section() -> rx.Component:
    return section(
        "API keys",
        rx.fragment(
            "For the REST API (documentation at ",
            rx.link("/api/docs", href=API_DOCS_URL, is_external=True),
            "): send Authorization: Bearer KEY. A key acts for the whole account.",
        ),
        rx.cond(
            IntegrationsState.new_key != "",
            shown_once(
                "New API key",
                IntegrationsState.new_key,
                "Copy it now (select it, then Ctrl+C or ⌘C): it is stored only as a hash and cannot be shown again.",
                IntegrationsState.dismiss_new_key,
            ),
        ),
        rx.form(
            rx.el.label("Key name", html_for="api-key-name", class_name="field-label"),
            rx.hstack(
                rx.input(id="api-key-name", name="name", placeholder="e.g. Zapier", size="2", flex="1", min_width="0"),
                rx.button("Create API key", type="submit", size="2"),
                spacing="2",
                width="100%",
            ),
            rx.cond(
                IntegrationsState.key_error != "",
                rx.text(IntegrationsState.key_error, class_name="field-error", role="alert", size="2"),
            ),
            on_submit=IntegrationsState.create_key,
            no_validate=True,
            key=IntegrationsState.key_form_key,
            class_name="dialog-form",
        ),
        rx.cond(
            IntegrationsState.keys.length() > 0,
            rx.el.ul(
                rx.foreach(IntegrationsState.keys, key_item), class_name="integration-list", aria_label="API keys"
            ),
            rx.text("No API keys yet.", size="2", color_scheme="gray"),
        ),
        label="API keys",
    )


# ----- webhooks -----
def endpoint_item(endpoint: EndpointRow) -> rx.Component:
    return rx.el.li(
        rx.box(
            rx.text(endpoint.url, weight="medium", size="2", class_name="wrap-anywhere"),
            rx.text(endpoint.events, size="1", color_scheme="gray"),
            min_width="0",
        ),
        rx.hstack(
            rx.button(
                "Send test event",
                size="1",
                variant="soft",
                aria_label="Send a test event to " + endpoint.url,
                on_click=IntegrationsState.send_test_event(endpoint.id),
            ),
            rx.button(
                "Rotate secret",
                size="1",
                variant="soft",
                aria_label="Rotate secret of " + endpoint.url,
                on_click=IntegrationsState.rotate_secret(endpoint.id),
            ),
            rx.button(
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label="Delete " + endpoint.url,
                on_click=IntegrationsState.ask_delete_endpoint(endpoint.id, endpoint.url),
            ),
            spacing="2",
            flex="none",
        ),
        class_name="integration-row",
    )


def event_checkbox(event_type: str) -> rx.Component:
    return rx.el.label(
        rx.checkbox(
            aria_label=event_type,
            checked=IntegrationsState.chosen_events.contains(event_type),
            on_change=lambda chosen: IntegrationsState.toggle_event(event_type, chosen),
        ),
        rx.text(event_type, as_="span", size="2"),
        class_name="checkbox-label",
    )


def webhooks_section() -> rx.Component:
    errors = IntegrationsState.endpoint_errors
    return section(
        "Webhooks",
        "Events are POSTed to your URL, signed as Standard Webhooks says (webhook-id, webhook-timestamp, "
        "webhook-signature), and retried with backoff for a day.",
        rx.cond(
            IntegrationsState.new_secret != "",
            shown_once(
                "Signing secret",
                IntegrationsState.new_secret,
                "For " + IntegrationsState.new_secret_url + ". Copy it now: it is not shown again.",
                IntegrationsState.dismiss_new_secret,
            ),
        ),
        rx.form(
            rx.el.label("Endpoint URL", html_for="webhook-url", class_name="field-label"),
            rx.input(
                id="webhook-url",
                name="url",
                placeholder="https://example.com/webhooks/contacts",
                size="2",
                aria_invalid=rx.cond(errors.contains("url"), "true", "false"),
            ),
            field_error(errors, "url"),
            rx.el.fieldset(
                rx.el.legend("Events", class_name="field-label"),
                rx.box(*[event_checkbox(event_type) for event_type in EVENT_TYPES], class_name="event-choices"),
                class_name="event-fieldset",
            ),
            field_error(errors, "events"),
            rx.button("Add endpoint", type="submit", size="2", class_name="primary-action"),
            on_submit=IntegrationsState.add_endpoint,
            no_validate=True,
            key=IntegrationsState.endpoint_form_key,
            class_name="dialog-form",
        ),
        rx.cond(
            IntegrationsState.endpoints.length() > 0,
            rx.el.ul(
                rx.foreach(IntegrationsState.endpoints, endpoint_item),
                class_name="integration-list",
                aria_label="Webhook endpoints",
            ),
            rx.text("No endpoints yet.", size="2", color_scheme="gray"),
        ),
        label="Webhooks",
    )


def delivery_item(delivery: DeliveryRow) -> rx.Component:
    return rx.el.li(
        rx.box(
            rx.hstack(
                rx.text(delivery.event_type, weight="medium", size="2"),
                rx.badge(
                    delivery.status,
                    color_scheme=rx.match(delivery.status, *STATUS_COLORS.items(), "gray"),
                    variant="soft",
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                delivery.when,
                " · ",
                counted(delivery.attempts, "attempt"),
                " · ",
                delivery.url,
                size="1",
                color_scheme="gray",
                class_name="wrap-anywhere",
            ),
            rx.text(delivery.last_response, size="1", class_name="wrap-anywhere delivery-response"),
            min_width="0",
        ),
        rx.button(
            "Resend",
            size="1",
            variant="soft",
            aria_label="Resend " + delivery.event_type,
            on_click=IntegrationsState.resend(delivery.id),
            flex="none",
        ),
        class_name="integration-row",
    )


def deliveries_section() -> rx.Component:
    return section(
        "Delivery log",
        "The latest deliveries, newest first; it refreshes by itself.",
        rx.cond(
            IntegrationsState.deliveries.length() > 0,
            rx.el.ul(
                rx.foreach(IntegrationsState.deliveries, delivery_item),
                class_name="integration-list",
                aria_label="Deliveries",
            ),
            rx.text("Nothing delivered yet.", size="2", color_scheme="gray"),
        ),
        rx.moment(interval=DELIVERY_REFRESH_MS, on_change=IntegrationsState.refresh_deliveries, display="none"),
        label="Delivery log",
    )


def delete_endpoint_dialog() -> rx.Component:
    return confirm_dialog(
        IntegrationsState,
        "delete_endpoint",
        "Delete endpoint?",
        rx.fragment(
            "Stop sending events to ",
            rx.el.strong(IntegrationsState.delete_endpoint_url, class_name="wrap-anywhere"),
            " and delete its delivery log?",
        ),
        "Delete",
        IntegrationsState.confirm_delete_endpoint,
    )


def integrations_page() -> rx.Component:
    return rx.box(
        top_bar(),
        rx.box(
            rx.heading("Integrations", size="6", as_="h1"),
            rx.cond(
                IntegrationsState.loaded,
                rx.fragment(
                    consent_message_section(),
                    carrier_section(),
                    api_keys_section(),
                    webhooks_section(),
                    deliveries_section(),
                ),
            ),
            class_name="page-body integrations-body",
        ),
        delete_endpoint_dialog(),
        class_name="app-shell",
    )
