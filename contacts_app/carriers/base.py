"""What a carrier module provides: the interface every carrier (Twilio, Telnyx, Vonage...) implements.

A carrier module is one file in contacts_app/carriers/ with a class implementing `Carrier`,
registered in `contacts_app.carriers.CARRIERS`. Everything else (the message table, statuses
that never move backwards, opt-outs, retries, the sending rate, the Integrations page, the
webhook routes' duplicate check) is shared and needs no change for a new carrier.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from contacts_app.models import MessageStatus

# How far along a text is: a status never moves to a lower rank (carriers' callbacks come out of order).
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.UNDELIVERED: 2,
    MessageStatus.FAILED: 2,
}
FINAL_STATUSES = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED, MessageStatus.CANCELLED}
)


@dataclass(frozen=True)
class Credentials:
    """Decrypted for the length of one call; never stored, logged or put in state."""

    account_id: str
    auth_token: str | None = field(default=None, repr=False)
    api_key_id: str | None = None
    api_key_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Submitted:
    """The carrier took the text."""

    carrier_message_id: str
    status: str  # MessageStatus


@dataclass
class CarrierRefused(Exception):
    """The carrier answered with an error.

    transient: trying again later may work (rate limit, carrier outage); uncertain: no answer came
    (timeout), so the carrier may have the text and must be asked before sending again.
    """

    reason: str
    code: str | None = None
    transient: bool = False
    uncertain: bool = False
    # The recipient opted out at the carrier (Twilio 21610): the app opts them out too.
    recipient_opted_out: bool = False

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class StatusReport:
    """A delivery-status callback, in the app's words."""

    carrier_message_id: str
    status: str  # MessageStatus
    error_code: str | None = None
    error_reason: str | None = None
    recipient_opted_out: bool = False
    # The app's idempotency key, when the carrier echoes it back (Twilio: the callback URL's query).
    idempotency_key: str | None = None


@dataclass(frozen=True)
class InboundText:
    carrier_message_id: str
    account_id: str
    from_phone: str
    to_phone: str
    body: str


class Carrier(Protocol):
    name: str  # registry key, stored on connections and messages
    label: str  # shown to people: "Twilio"

    def send(
        self,
        credentials: Credentials,
        from_phone: str,
        to_phone: str,
        body: str,
        status_callback_url: str,
        idempotency_key: str,
    ) -> Submitted:
        """Hand one text to the carrier; raises CarrierRefused."""
        ...

    def find_sent(
        self, credentials: Credentials, from_phone: str, to_phone: str, body: str, since: datetime
    ) -> Submitted | None:
        """After an attempt with no answer: the text, if the carrier has it (so it is not sent twice)."""
        ...

    def check_connection(self, credentials: Credentials, phone: str) -> str | None:
        """None when the credentials work and `phone` is a number of that carrier account; else what is wrong."""
        ...

    def verify_webhook(self, credentials: Credentials, url: str, params: dict[str, str], headers: dict) -> bool:
        """Whether a webhook request really comes from the carrier (its signature over `url` and `params`)."""
        ...

    def parse_status(self, params: dict[str, str], query: dict[str, str]) -> StatusReport | None: ...

    def parse_inbound(self, params: dict[str, str]) -> InboundText | None: ...

    def webhook_reply(self) -> tuple[str, str]:
        """(media type, body) of the answer the carrier expects to an inbound webhook."""
        ...
