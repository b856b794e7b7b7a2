"""The selected contact's consent panel: send a consent request, the review flag, and the texts."""

import reflex as rx

from contacts_app.components.confirm_dialog import confirm_dialog
from contacts_app.domain.keywords import POSSIBLE_OPT_OUT_LABEL
from contacts_app.state.consent import ConsentState, MessageEntry
from contacts_app.state.contacts import REVIEW_FILTER, ContactsState
from contacts_app.state.selection import SelectionState


def review_callout() -> rx.Component:
    return rx.cond(
        ConsentState.needs_review,
        rx.callout.root(
            rx.callout.icon(rx.icon("flag", size=16)),
            rx.box(
                rx.text(POSSIBLE_OPT_OUT_LABEL, weight="bold", size="2"),
                rx.cond(
                    ConsentState.review_message != "",
                    rx.text("“", ConsentState.review_message, "”", size="2", class_name="review-quote"),
                ),
                rx.text(
                    ConsentState.review_when,
                    " · Not a keyword, so nothing changed. If they meant to opt out, tick “Opted out”.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.button(
                    "Mark reviewed",
                    size="1",
                    variant="soft",
                    on_click=ConsentState.mark_reviewed,
                    margin_top="6px",
                    align_self="start",
                ),
                class_name="review-body",
            ),
            color_scheme="amber",
            size="1",
            role="alert",
        ),
    )


def send_request() -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.icon("send", size=14),
            "Send consent request",
            size="2",
            variant="soft",
            disabled=ConsentState.send_refusal != "",
            on_click=ConsentState.ask_consent_request,
        ),
        rx.cond(
            ConsentState.send_refusal != "",
            rx.text(ConsentState.send_refusal, size="1", color_scheme="gray"),
            rx.text(
                "Texts the consent message (Integrations) and marks consent pending until they reply YES.",
                size="1",
                color_scheme="gray",
            ),
        ),
        spacing="1",
        align="start",
    )


def message_item(message: MessageEntry) -> rx.Component:
    return rx.el.li(
        rx.text(message.body, size="2", class_name="message-body"),
        rx.text(
            rx.cond(message.inbound, "From them", "To them"),
            " · ",
            message.when,
            " · ",
            rx.el.span(message.status, class_name="message-status"),
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            message.reason != "",
            rx.text(message.reason, size="1", color_scheme=rx.cond(message.failed, "red", "gray")),
        ),
        class_name=rx.cond(message.inbound, "message inbound", "message outbound"),
    )


def message_history() -> rx.Component:
    return rx.box(
        rx.text("Messages", weight="medium", size="2"),
        rx.cond(
            ConsentState.messages.length() > 0,
            rx.el.ol(rx.foreach(ConsentState.messages, message_item), class_name="messages", aria_label="Messages"),
            rx.text("No texts to or from this number yet.", size="2", color_scheme="gray"),
        ),
        class_name="message-history",
    )


def consent_panel() -> rx.Component:
    # Keyed by the contact: opening another contact mounts the panel afresh, which loads its texts.
    return rx.box(
        rx.text("Consent and messages", weight="bold", size="3"),
        review_callout(),
        send_request(),
        message_history(),
        key=ContactsState.selected.id.to_string(),
        on_mount=ConsentState.load,
        class_name="detail-section",
        role="region",
        aria_label="Consent and messages",
    )


def send_to_selection_button() -> rx.Component:
    return rx.button(
        "Send consent request",
        size="1",
        variant="soft",
        on_click=ConsentState.ask_consent_requests,
        disabled=SelectionState.selection_count == 0,
    )


def consent_request_dialog() -> rx.Component:
    """Asked before any consent request goes out: who is texted, who is skipped and why, and the text."""
    return confirm_dialog(
        ConsentState,
        "ask",
        ConsentState.ask_title,
        rx.fragment(
            rx.el.strong(ConsentState.ask_summary),
            rx.el.br(),
            "The text: “",
            ConsentState.ask_message,
            "”",
            rx.cond(
                ConsentState.ask_outbox,
                rx.fragment(rx.el.br(), "No carrier is connected: the texts wait in the outbox."),
            ),
        ),
        ConsentState.ask_confirm_label,
        ConsentState.confirm_consent_requests,
        destructive=False,
    )


def review_filter_option() -> rx.Component:
    return rx.select.item("Needs review", value=REVIEW_FILTER)
