"""The Integrations page (administrators): consent message, API keys, webhook endpoints and their deliveries.

Every handler checks on the server that the user is an administrator (`_admin`); the page's
guard only keeps others from seeing it. Secrets are held in state only until dismissed.
"""

from dataclasses import dataclass

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import api_keys, consent_history_csv, webhooks
from contacts_app.domain import consent_message as consent_text
from contacts_app.domain.events import EVENT_TYPES
from contacts_app.domain.permissions import PermissionDenied
from contacts_app.models import ApiKey, Role, User, WebhookDelivery, WebhookEndpoint
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import NotSignedIn, SessionState, off_the_loop
from contacts_app.views import show_time

ADMIN_ONLY = "Only an administrator can manage integrations."
SHOWN_DELIVERIES = 50
RESPONSE_PREVIEW_CHARS = 120


@dataclass
class ApiKeyRow:
    id: int = 0
    name: str = ""
    prefix: str = ""
    created: str = ""
    last_used: str = ""
    revoked: bool = False


@dataclass
class EndpointRow:
    id: int = 0
    url: str = ""
    events: str = ""
    created: str = ""


@dataclass
class DeliveryRow:
    id: int = 0
    event_type: str = ""
    url: str = ""
    status: str = ""
    attempts: int = 0
    last_response: str = ""
    when: str = ""


def api_key_row(key: ApiKey) -> ApiKeyRow:
    return ApiKeyRow(
        id=key.id or 0,
        name=key.name,
        prefix=key.prefix,
        created=show_time(key.created_at),
        last_used=show_time(key.last_used_at) or "never",
        revoked=key.revoked_at is not None,
    )


def endpoint_row(endpoint: WebhookEndpoint) -> EndpointRow:
    return EndpointRow(
        id=endpoint.id or 0,
        url=endpoint.url,
        events=", ".join(endpoint.events.split()),
        created=show_time(endpoint.created_at),
    )


def delivery_row(delivery: WebhookDelivery, urls: dict[int, str]) -> DeliveryRow:
    if delivery.last_status_code is not None:
        response = f"HTTP {delivery.last_status_code}"
        body = " ".join((delivery.last_response or "").split())[:RESPONSE_PREVIEW_CHARS]
        response += f": {body}" if body else ""
    else:
        response = delivery.last_error or "—"
    return DeliveryRow(
        id=delivery.id or 0,
        event_type=delivery.event_type,
        url=urls.get(delivery.endpoint_id, ""),
        status=delivery.status,
        attempts=delivery.attempts,
        last_response=response,
        when=show_time(delivery.last_attempt_at or delivery.created_at),
    )


class IntegrationsState(DialogState, SessionState):
    """Dialog: "delete_endpoint". The page's forms sit on the page."""

    loaded: bool = False

    consent_message: str = ""
    default_consent_message: str = consent_text.DEFAULT_CONSENT_MESSAGE
    consent_error: str = ""
    consent_version: int = 0

    keys: list[ApiKeyRow] = []
    key_error: str = ""
    # The key just created, in plain text; shown once, gone on dismiss or reload.
    new_key: str = ""
    new_key_name: str = ""
    key_form_version: int = 0

    endpoints: list[EndpointRow] = []
    endpoint_errors: dict[str, str] = {}
    chosen_events: list[str] = list(EVENT_TYPES)
    endpoint_form_version: int = 0
    # A secret just made (new endpoint or rotation), shown once.
    new_secret: str = ""
    new_secret_url: str = ""

    delete_endpoint_id: int = 0
    delete_endpoint_url: str = ""

    deliveries: list[DeliveryRow] = []

    @rx.var
    def consent_key(self) -> str:
        return str(self.consent_version)

    @rx.var
    def key_form_key(self) -> str:
        return str(self.key_form_version)

    @rx.var
    def endpoint_form_key(self) -> str:
        return str(self.endpoint_form_version)

    # ----- every handler -----
    def _admin(self, session) -> User:
        user = self._user(session)
        if user.role != Role.ADMIN or user.disabled:
            raise PermissionDenied("integrations", ADMIN_ONLY)
        return user

    def _load_all(self, session, account_id: int) -> None:
        self.consent_message = consent_text.consent_message_template(session, account_id)
        self.keys = [api_key_row(key) for key in api_keys.list_api_keys(session, account_id)]
        self._load_endpoints(session, account_id)
        self.loaded = True

    def _load_endpoints(self, session, account_id: int) -> None:
        endpoints = webhooks.list_endpoints(session, account_id)
        self.endpoints = [endpoint_row(endpoint) for endpoint in endpoints]
        urls = {endpoint.id: endpoint.url for endpoint in endpoints}
        self.deliveries = [
            delivery_row(delivery, urls)
            for delivery in webhooks.list_deliveries(session, account_id, limit=SHOWN_DELIVERIES)
        ]

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            try:
                user = self._user(session)
            except NotSignedIn:
                return self._redirect_if_signed_out(session)
            # Before the line checks: someone who is no administrator has no business here at all.
            if user.role != Role.ADMIN:
                return [rx.toast.error(ADMIN_ONLY), rx.redirect("/")]
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            self.new_key = self.new_secret = ""
            self._load_all(session, user.account_id)
            self.consent_version += 1

    # ----- consent message -----
    @rx.event
    @off_the_loop
    def save_consent_message(self, form_data: dict):
        try:
            with session_scope() as session:
                user = self._admin(session)
                self.consent_message = consent_text.set_consent_message(
                    session, user.account_id, str(form_data.get("consent_message", ""))
                )
        except consent_text.ConsentMessageInvalid as invalid:
            self.consent_error = str(invalid)
            return
        self.consent_error = ""
        self.consent_version += 1
        return rx.toast.success("Consent message saved.")

    @rx.event
    @off_the_loop
    def restore_default_consent_message(self):
        with session_scope() as session:
            user = self._admin(session)
            self.consent_message = consent_text.set_consent_message(session, user.account_id, None)
        self.consent_error = ""
        self.consent_version += 1
        return rx.toast.success("The default consent message is back.")

    # ----- API keys -----
    @rx.event
    @off_the_loop
    def create_key(self, form_data: dict):
        try:
            with session_scope() as session:
                user = self._admin(session)
                plaintext = api_keys.create_api_key(
                    session, user.account_id, str(form_data.get("name", "")), actor=user.email
                )
                self.keys = [api_key_row(key) for key in api_keys.list_api_keys(session, user.account_id)]
        except api_keys.ApiKeyInvalid as invalid:
            self.key_error = str(invalid)
            return
        self.key_error = ""
        self.new_key = plaintext
        self.new_key_name = " ".join(str(form_data.get("name", "")).split())
        self.key_form_version += 1

    @rx.event
    def dismiss_new_key(self):
        self.new_key = ""

    @rx.event
    @off_the_loop
    def revoke_key(self, key_id: int):
        try:
            with session_scope() as session:
                user = self._admin(session)
                key = api_keys.revoke_api_key(session, user.account_id, key_id)
                name = key.name
                self.keys = [api_key_row(key) for key in api_keys.list_api_keys(session, user.account_id)]
        except api_keys.ApiKeyNotFound:
            return rx.toast.error("That API key no longer exists.")
        return rx.toast.success(f"API key “{name}” revoked; requests with it now get 401.")

    # ----- webhook endpoints -----
    @rx.event
    def toggle_event(self, event_type: str, chosen: bool):
        others = [event for event in self.chosen_events if event != event_type]
        self.chosen_events = [event for event in EVENT_TYPES if event in others or (chosen and event == event_type)]

    @rx.event
    @off_the_loop
    def add_endpoint(self, form_data: dict):
        try:
            with session_scope() as session:
                user = self._admin(session)
                endpoint, secret = webhooks.create_endpoint(
                    session, user.account_id, str(form_data.get("url", "")), list(self.chosen_events)
                )
                url = endpoint.url
                self._load_endpoints(session, user.account_id)
        except webhooks.WebhookInvalid as invalid:
            self.endpoint_errors = invalid.errors
            return
        self.endpoint_errors = {}
        self.new_secret, self.new_secret_url = secret, url
        self.chosen_events = list(EVENT_TYPES)
        self.endpoint_form_version += 1

    @rx.event
    @off_the_loop
    def rotate_secret(self, endpoint_id: int):
        try:
            with session_scope() as session:
                user = self._admin(session)
                secret = webhooks.rotate_secret(session, user.account_id, endpoint_id)
                url = webhooks.get_endpoint(session, user.account_id, endpoint_id).url
        except webhooks.WebhookNotFound:
            return rx.toast.error("That endpoint no longer exists.")
        self.new_secret, self.new_secret_url = secret, url
        return rx.toast.success("New secret made; the old one stops working now.")

    @rx.event
    @off_the_loop
    def send_test_event(self, endpoint_id: int):
        try:
            with session_scope() as session:
                user = self._admin(session)
                webhooks.queue_test_event(session, user.account_id, endpoint_id)
                url = webhooks.get_endpoint(session, user.account_id, endpoint_id).url
                self._load_endpoints(session, user.account_id)
        except webhooks.WebhookNotFound:
            return rx.toast.error("That endpoint no longer exists.")
        except webhooks.WebhookInvalid as invalid:
            return rx.toast.error(str(invalid))
        return rx.toast.success(f"Test event queued for {url}; its answer shows in the delivery log.")

    @rx.event
    def dismiss_new_secret(self):
        self.new_secret = ""

    @rx.event
    def ask_delete_endpoint(self, endpoint_id: int, url: str):
        self.delete_endpoint_id, self.delete_endpoint_url = endpoint_id, url
        self._open_dialog("delete_endpoint")

    @rx.event
    @off_the_loop
    def confirm_delete_endpoint(self):
        endpoint_id, self.delete_endpoint_id = self.delete_endpoint_id, 0
        self._close_dialog()
        try:
            with session_scope() as session:
                user = self._admin(session)
                webhooks.delete_endpoint(session, user.account_id, endpoint_id)
        except webhooks.WebhookNotFound:
            pass
        with session_scope() as session:
            self._load_endpoints(session, self._admin(session).account_id)
        return rx.toast.success("Endpoint deleted, with its delivery log.")

    # ----- deliveries -----
    @rx.event
    @off_the_loop
    def refresh_deliveries(self, _tick: str = ""):
        with session_scope() as session:
            try:
                user = self._user(session)
            except NotSignedIn:
                return
            if user.role != Role.ADMIN:
                return
            self._load_endpoints(session, user.account_id)

    @rx.event
    @off_the_loop
    def resend(self, delivery_id: int):
        try:
            with session_scope() as session:
                user = self._admin(session)
                webhooks.resend_delivery(session, user.account_id, delivery_id)
                self._load_endpoints(session, user.account_id)
        except webhooks.WebhookNotFound:
            return rx.toast.error("That delivery no longer exists.")
        return rx.toast.success("Queued to be sent again.")

    # ----- consent history -----
    @rx.event
    @off_the_loop
    def export_consent_history(self):
        with session_scope() as session:
            user = self._admin(session)
            data = consent_history_csv.export_history_csv(session, user.account_id)
        return rx.download(data=data, filename="consent-history.csv")
