"""Twilio, through the official `twilio` library: sending, connection checks, signed webhooks.

CONTACTS_TWILIO_API_BASE (e.g. http://127.0.0.1:8089) sends the library's API calls to another
host that speaks Twilio's REST API: the tests' stand-in, or a staging mock. It goes through the
library's supported custom HTTP client; unset, calls go to Twilio itself.
"""

import json
import os
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from contacts_app.carriers.base import CarrierRefused, Credentials, InboundText, StatusReport, Submitted
from contacts_app.models import MessageStatus

API_BASE_ENV = "CONTACTS_TWILIO_API_BASE"
REQUEST_TIMEOUT_SECONDS = 15
# Twilio's message statuses in the app's words; "accepted"/"sending" are still on their way out.
STATUS_FROM_TWILIO = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
OPTED_OUT_CODE = "21610"
# The codes people meet most, said plainly (https://www.twilio.com/docs/api/errors).
ERROR_REASONS = {
    "20003": "Twilio refused the credentials (wrong Account SID, auth token or API key).",
    "20404": "Twilio does not know this resource.",
    "20429": "Twilio is limiting requests; it will be tried again.",
    "21211": "The number is not a valid phone number.",
    "21408": "Sending to this country is not enabled in the Twilio account.",
    "21606": "The line's number cannot send texts through this Twilio account.",
    "21608": "A Twilio trial account can only text verified numbers.",
    "21610": "The recipient replied STOP to this number at the carrier: they are opted out.",
    "21612": "Twilio cannot route texts from this number to that number.",
    "21614": "The number is not a mobile number.",
    "30003": "The phone is switched off or out of reach.",
    "30004": "The recipient's carrier blocked the text.",
    "30005": "The number does not exist or is no longer in service.",
    "30006": "The number is a landline or its carrier does not take texts.",
    "30007": "The carrier filtered the text as spam.",
    "30008": "The carrier did not say why it was not delivered.",
    "30034": "The line's number is not registered for US business texting (A2P 10DLC).",
}
TRANSIENT_HTTP = frozenset({429, 500, 502, 503, 504})


class RebasedHttpClient(TwilioHttpClient):
    """The library's HTTP client, aimed at another host that speaks Twilio's API (tests, staging)."""

    def __init__(self, api_base: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    def request(self, method: str, url: str, **kwargs):
        base = urlsplit(self.api_base)
        parts = urlsplit(url)
        url = urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))
        return super().request(method, url, **kwargs)


def _client(credentials: Credentials) -> Client:
    api_base = os.environ.get(API_BASE_ENV, "").strip()
    http_client = (
        RebasedHttpClient(api_base, timeout=REQUEST_TIMEOUT_SECONDS)
        if api_base
        else TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
    )
    if credentials.api_key_id and credentials.api_key_secret:
        username, password = credentials.api_key_id, credentials.api_key_secret
    else:
        username, password = credentials.account_id, credentials.auth_token
    return Client(username, password, account_sid=credentials.account_id, http_client=http_client)


def reason_for(code: str | int | None, fallback: str = "") -> str:
    code = str(code) if code not in (None, "") else None
    if code in ERROR_REASONS:
        return ERROR_REASONS[code]
    if code:
        return f"{fallback or 'Twilio refused it'} (Twilio error {code})."
    return fallback or "Twilio did not say why."


def _as_rest_error(exc: Exception) -> Exception:
    """A list call's failure comes as TwilioException("Unable to fetch page", response): read it like a REST error."""
    if isinstance(exc, TwilioRestException) or not isinstance(exc, TwilioException) or len(exc.args) < 2:
        return exc
    response = exc.args[1]
    status = getattr(response, "status_code", None)
    if status is None:
        return exc
    try:
        payload = json.loads(response.text)
    except (TypeError, ValueError):
        payload = {}
    return TwilioRestException(status, "", str(payload.get("message", "")), payload.get("code", status))


def _refusal(exc: Exception) -> CarrierRefused:
    exc = _as_rest_error(exc)
    if isinstance(exc, TwilioRestException):
        code = str(exc.code) if exc.code else None
        transient = exc.status in TRANSIENT_HTTP
        # The library prefixes its own words ("Unable to create record: ..."): keep Twilio's.
        message = str(exc.msg).split(": ", 1)[-1] if exc.msg else ""
        return CarrierRefused(
            reason=reason_for(code, message) if not transient else f"Twilio answered HTTP {exc.status}; will retry.",
            code=code,
            transient=transient,
            recipient_opted_out=code == OPTED_OUT_CODE,
        )
    if isinstance(exc, requests.ConnectTimeout | requests.ConnectionError) and not isinstance(
        exc, requests.ReadTimeout
    ):
        # The request never reached Twilio: safe to send again.
        return CarrierRefused(reason="Twilio could not be reached; will retry.", transient=True)
    if isinstance(exc, requests.Timeout):
        return CarrierRefused(
            reason="Twilio did not answer in time; will check and retry.", transient=True, uncertain=True
        )
    return CarrierRefused(reason=f"Twilio could not be asked: {type(exc).__name__}.", transient=True, uncertain=True)


def _submitted(message) -> Submitted:
    return Submitted(
        carrier_message_id=message.sid, status=STATUS_FROM_TWILIO.get(str(message.status), MessageStatus.QUEUED)
    )


class TwilioCarrier:
    name = "twilio"
    label = "Twilio"

    def send(
        self,
        credentials: Credentials,
        from_phone: str,
        to_phone: str,
        body: str,
        status_callback_url: str,
        idempotency_key: str,
    ) -> Submitted:
        try:
            message = _client(credentials).messages.create(
                to=to_phone, from_=from_phone, body=body, status_callback=status_callback_url
            )
        except (TwilioException, requests.RequestException) as exc:
            raise _refusal(exc) from None
        return _submitted(message)

    def find_sent(
        self, credentials: Credentials, from_phone: str, to_phone: str, body: str, since: datetime
    ) -> Submitted | None:
        try:
            recent = _client(credentials).messages.list(
                to=to_phone, from_=from_phone, date_sent_after=since - timedelta(days=1), limit=50
            )
        except (TwilioException, requests.RequestException) as exc:
            raise _refusal(exc) from None
        for message in recent:
            if message.body == body:
                return _submitted(message)
        return None

    def check_connection(self, credentials: Credentials, phone: str) -> str | None:
        try:
            numbers = _client(credentials).incoming_phone_numbers.list(phone_number=phone, limit=1)
        except (TwilioException, requests.RequestException) as raised:
            return self._connection_problem(_as_rest_error(raised))
        if not numbers:
            return f"{phone} is not a phone number of Twilio account {credentials.account_id}."
        return None

    @staticmethod
    def _connection_problem(exc: Exception) -> str:
        if isinstance(exc, TwilioRestException):
            if exc.status in (401, 403) or str(exc.code) == "20003":
                return (
                    "Twilio refused these credentials: check the Account SID and the auth token "
                    "(or the API key SID and secret) in the Twilio Console."
                )
            return f"Twilio answered HTTP {exc.status}: {reason_for(exc.code, str(exc.msg))}"
        return f"Twilio could not be reached ({type(exc).__name__}). Try again in a minute."

    def verify_webhook(self, credentials: Credentials, url: str, params: dict[str, str], headers: dict) -> bool:
        signature = headers.get("x-twilio-signature", "")
        if not signature or not credentials.auth_token:
            return False
        return RequestValidator(credentials.auth_token).validate(url, params, signature)

    def parse_status(self, params: dict[str, str], query: dict[str, str]) -> StatusReport | None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        twilio_status = params.get("MessageStatus") or params.get("SmsStatus")
        if not sid or not twilio_status:
            return None
        status = STATUS_FROM_TWILIO.get(twilio_status)
        if status is None:
            return None
        code = params.get("ErrorCode") or None
        failed = status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
        return StatusReport(
            carrier_message_id=sid,
            status=status,
            error_code=code,
            error_reason=reason_for(code) if (code or failed) else None,
            recipient_opted_out=code == OPTED_OUT_CODE,
            idempotency_key=query.get("key"),
        )

    def parse_inbound(self, params: dict[str, str]) -> InboundText | None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        if not sid or not params.get("From") or not params.get("To"):
            return None
        return InboundText(
            carrier_message_id=sid,
            account_id=params.get("AccountSid", ""),
            from_phone=params["From"],
            to_phone=params["To"],
            body=params.get("Body", ""),
        )

    def webhook_reply(self) -> tuple[str, str]:
        # Empty TwiML: take the text, answer nothing (keyword replies are the app's business).
        return "text/xml", '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
