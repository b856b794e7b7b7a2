"""A carrier's webhooks (inbound texts, delivery statuses): who signed them, and what they change.

Signature first: a request that no connected account's credentials sign changes nothing. The
URL the carrier signed is the public one (CONTACTS_PUBLIC_URL behind a proxy, or the address
the administrator used when connecting), not necessarily the one this server sees.
"""

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from contacts_app.carriers import CARRIERS, carrier_named
from contacts_app.carriers.connections import (
    carrier_of_line,
    configured_public_url,
    credentials_of,
    without_credentials,
)
from contacts_app.carriers.delivery import apply_status_report
from contacts_app.carriers.secrets import SecretKeyInvalid, SecretKeyMissing, SecretUnreadable
from contacts_app.domain.inbound import InboundResult, receive_inbound
from contacts_app.models import CarrierConnection, Line, Message, ProcessedCarrierEvent


class NotSigned(Exception):
    """403: not signed by the carrier account this line is connected to (or no such line)."""

    def __str__(self) -> str:
        return "The request is not signed by the carrier account connected to this number."


@dataclass(frozen=True)
class SeenRequest:
    """The parts of the HTTP request a signature covers."""

    path_and_query: str  # "/api/v1/carriers/twilio/inbound?x=1"
    url_as_received: str  # what this server saw (may be the proxy's internal address)
    headers: Mapping[str, str]  # lower-case names
    params: Mapping[str, str]


def _basic_auth_matches(headers: Mapping[str, str], user: str, password: str | None) -> bool:
    expected = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return hmac.compare_digest(headers.get("authorization", "").encode(), expected.encode())


def _signed_url_candidates(connection: CarrierConnection, request: SeenRequest) -> list[str]:
    """URLs the carrier may have signed; a base with user:password@ also requires that Basic auth.

    CONTACTS_PUBLIC_URL, when set, is the only one (behind a proxy the address seen here is internal).
    Otherwise the address the administrator connected from, or the one this request came to.
    """
    configured = configured_public_url()
    bases = [configured] if configured else [connection.public_base_url]
    candidates: list[str] = []
    for base in filter(None, bases):
        bare, user, password = without_credentials(base)
        if user is not None and not _basic_auth_matches(request.headers, user, password):
            continue
        candidates.append(bare.rstrip("/") + request.path_and_query)
    if not configured:
        candidates.append(request.url_as_received)
    return list(dict.fromkeys(candidates))


def authenticate(
    session: Session, carrier_name: str, line_phone: str, request: SeenRequest
) -> tuple[Line, CarrierConnection]:
    """The line (by its number) and connection whose credentials sign this request; raises NotSigned."""
    if carrier_name not in CARRIERS or not line_phone:
        raise NotSigned()
    line = session.exec(select(Line).where(Line.phone == line_phone)).first()
    found = carrier_of_line(session, line.id) if line is not None else None
    if found is None or found[1].carrier != carrier_name:
        raise NotSigned()
    connection = found[1]
    try:
        credentials = credentials_of(connection)
    except (SecretUnreadable, SecretKeyMissing, SecretKeyInvalid):
        raise NotSigned() from None
    account = request.params.get("AccountSid")
    if account and account != connection.account_sid:
        raise NotSigned()
    carrier = carrier_named(carrier_name)
    for url in _signed_url_candidates(connection, request):
        if carrier.verify_webhook(credentials, url, request.params, request.headers):
            return line, connection
    raise NotSigned()


@dataclass(frozen=True)
class InboundTaken:
    duplicate: bool
    result: InboundResult | None = None


def take_inbound(session: Session, carrier_name: str, request: SeenRequest) -> InboundTaken:
    """A signed inbound text: the same rules as every inbound text, once per carrier message id.

    Raises NotSigned, or InboundInvalid for a text that cannot be read.
    """
    carrier = carrier_named(carrier_name) if carrier_name in CARRIERS else None
    text = carrier.parse_inbound(dict(request.params)) if carrier else None
    if text is None:
        raise NotSigned()
    line, _connection = authenticate(session, carrier_name, text.to_phone, request)
    # The carrier retries a webhook it thinks failed: its message id is taken in once. Two copies
    # racing both pass this check, and the marker's primary key fails the second one's commit.
    if session.get(ProcessedCarrierEvent, (carrier_name, text.carrier_message_id)) is not None:
        return InboundTaken(duplicate=True)
    marker = ProcessedCarrierEvent(carrier=carrier_name, event_id=text.carrier_message_id)
    session.add(marker)
    session.flush()
    result = receive_inbound(session, line, text.from_phone, text.body)
    message = session.get(Message, result.message_id)
    message.provider = carrier_name
    message.provider_message_id = text.carrier_message_id
    marker.message_id = message.id
    session.add_all([message, marker])
    return InboundTaken(duplicate=False, result=result)


def take_status(session: Session, carrier_name: str, request: SeenRequest, query: Mapping[str, str]) -> Message | None:
    """A signed delivery-status callback; the message, or None when it is not one of ours."""
    carrier = carrier_named(carrier_name) if carrier_name in CARRIERS else None
    report = carrier.parse_status(dict(request.params), dict(query)) if carrier else None
    if report is None:
        raise NotSigned()
    line, _connection = authenticate(session, carrier_name, request.params.get("From", ""), request)
    return apply_status_report(session, carrier_name, line, report)
