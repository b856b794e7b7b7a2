"""An account's carrier connection: credentials (encrypted), the lines that use it, its webhook URLs."""

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from sqlmodel import Session, col, select

from contacts_app.carriers import carrier_named
from contacts_app.carriers.base import Credentials
from contacts_app.carriers.secrets import SecretKeyMissing as SecretKeyMissing  # re-exported for the doors
from contacts_app.carriers.secrets import decrypt_secret, encrypt_secret, has_secret_key, last4
from contacts_app.models import CarrierConnection, Line, LineCarrier, utcnow

PUBLIC_URL_ENV = "CONTACTS_PUBLIC_URL"
TWILIO = "twilio"
INBOUND_PATH = "/api/v1/carriers/{carrier}/inbound"
STATUS_PATH = "/api/v1/carriers/{carrier}/status"
DEFAULT_MESSAGES_PER_SECOND = 1.0
MAX_MESSAGES_PER_SECOND = 100.0
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
API_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")
AUTH_TOKEN = re.compile(r"^[0-9a-zA-Z]{32}$")


@dataclass
class ConnectionInvalid(Exception):
    """One message per field."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class ConnectionNotFound(Exception):
    def __str__(self) -> str:
        return "No Twilio account is connected yet."


@dataclass(frozen=True)
class TwilioInput:
    account_sid: str = ""
    auth_token: str = ""
    api_key_sid: str = ""
    api_key_secret: str = ""


def get_connection(session: Session, account_id: int, carrier: str = TWILIO) -> CarrierConnection | None:
    return session.exec(
        select(CarrierConnection).where(
            CarrierConnection.account_id == account_id, CarrierConnection.carrier == carrier
        )
    ).first()


def save_twilio_connection(
    session: Session, account_id: int, entered: TwilioInput, public_base_url: str, actor: str | None = None
) -> CarrierConnection:
    """Create or update the account's Twilio connection.

    A secret field left blank keeps the saved one: saved secrets are never shown again, so an
    administrator changing only the SID must not have to retype them.
    """
    if not has_secret_key():
        raise SecretKeyMissing()
    existing = get_connection(session, account_id)
    sid = entered.account_sid.strip()
    token = entered.auth_token.strip()
    key_sid = entered.api_key_sid.strip()
    key_secret = entered.api_key_secret.strip()
    errors: dict[str, str] = {}
    if not ACCOUNT_SID.match(sid):
        errors["account_sid"] = (
            "Account SID: starts with AC followed by 32 letters and digits (Twilio Console, Account Info)."
        )
    if token and not AUTH_TOKEN.match(token):
        errors["auth_token"] = "Auth token: 32 letters and digits (Twilio Console, Account Info)."
    if key_sid and not API_KEY_SID.match(key_sid):
        errors["api_key_sid"] = "API key SID: starts with SK followed by 32 letters and digits."
    has_token = bool(token or (existing and existing.auth_token_encrypted))
    has_key_secret = bool(key_secret or (existing and existing.api_key_secret_encrypted and key_sid))
    if key_sid and not has_key_secret:
        errors["api_key_secret"] = "API key secret: required with an API key SID."
    if key_secret and not key_sid:
        errors["api_key_sid"] = "API key SID: required with an API key secret."
    if not has_token and not key_sid:
        errors["auth_token"] = "Auth token: required (or an API key SID and secret)."
    if errors:
        raise ConnectionInvalid(errors)

    connection = existing or CarrierConnection(account_id=account_id, carrier=TWILIO, account_sid=sid)
    connection.account_sid = sid
    if token:
        connection.auth_token_encrypted = encrypt_secret(token)
        connection.auth_token_last4 = last4(token)
    if key_secret:
        connection.api_key_secret_encrypted = encrypt_secret(key_secret)
        connection.api_key_secret_last4 = last4(key_secret)
    if key_sid:
        connection.api_key_sid = key_sid
    elif not key_secret:
        connection.api_key_sid = connection.api_key_secret_encrypted = connection.api_key_secret_last4 = None
    connection.public_base_url = public_base_url.rstrip("/")
    connection.created_by = connection.created_by or actor
    connection.updated_at = utcnow()
    session.add(connection)
    session.flush()
    return connection


def delete_connection(session: Session, account_id: int) -> None:
    """Disconnect: the account's lines go back to the outbox; the credentials are deleted."""
    connection = get_connection(session, account_id)
    if connection is None:
        raise ConnectionNotFound()
    for line_carrier in session.exec(select(LineCarrier).where(LineCarrier.connection_id == connection.id)):
        session.delete(line_carrier)
    session.delete(connection)
    session.flush()


def credentials_of(connection: CarrierConnection) -> Credentials:
    """Decrypted for one call; raises SecretUnreadable when the key that saved them is gone."""
    return Credentials(
        account_id=connection.account_sid,
        auth_token=decrypt_secret(connection.auth_token_encrypted) if connection.auth_token_encrypted else None,
        api_key_id=connection.api_key_sid,
        api_key_secret=(
            decrypt_secret(connection.api_key_secret_encrypted) if connection.api_key_secret_encrypted else None
        ),
    )


def set_line_carrier(
    session: Session, account_id: int, line_id: int, connected: bool, messages_per_second: float | None = None
) -> LineCarrier | None:
    """Send the line's texts through the account's Twilio connection (connected) or the outbox."""
    line = session.get(Line, line_id)
    if line is None or line.account_id != account_id:
        raise ConnectionInvalid({"line": f"Line {line_id} is not a line of this account."})
    current = session.get(LineCarrier, line_id)
    if not connected:
        if current is not None:
            session.delete(current)
            session.flush()
        return None
    connection = get_connection(session, account_id)
    if connection is None:
        raise ConnectionNotFound()
    if not line.phone:
        raise ConnectionInvalid({"line": f"{line.name} has no phone number; give it its Twilio number first."})
    rate = DEFAULT_MESSAGES_PER_SECOND if messages_per_second is None else float(messages_per_second)
    if not 0 < rate <= MAX_MESSAGES_PER_SECOND:
        raise ConnectionInvalid(
            {"rate": f"Texts per second: between 0.1 and {MAX_MESSAGES_PER_SECOND:g} (a US long code: 1)."}
        )
    current = current or LineCarrier(line_id=line_id, connection_id=connection.id)
    current.connection_id = connection.id
    current.messages_per_second = rate
    session.add(current)
    session.flush()
    return current


def connected_lines(session: Session, account_id: int) -> dict[int, LineCarrier]:
    rows = session.exec(
        select(LineCarrier).join(Line, col(Line.id) == LineCarrier.line_id).where(Line.account_id == account_id)
    )
    return {row.line_id: row for row in rows}


def carrier_of_line(session: Session, line_id: int) -> tuple[LineCarrier, CarrierConnection] | None:
    """The line's carrier connection, or None when the line sends through the outbox."""
    line_carrier = session.get(LineCarrier, line_id)
    if line_carrier is None:
        return None
    connection = session.get(CarrierConnection, line_carrier.connection_id)
    return (line_carrier, connection) if connection is not None else None


def check_line(session: Session, account_id: int, line_id: int) -> str | None:
    """Ask the carrier whether the credentials work and the line's number is in that account."""
    connection = get_connection(session, account_id)
    if connection is None:
        raise ConnectionNotFound()
    line = session.get(Line, line_id)
    if line is None or line.account_id != account_id:
        raise ConnectionInvalid({"line": f"Line {line_id} is not a line of this account."})
    if not line.phone:
        return f"{line.name} has no phone number."
    return carrier_named(connection.carrier).check_connection(credentials_of(connection), line.phone)


# --- Public URLs ---------------------------------------------------------------------------


def configured_public_url() -> str:
    return os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")


def public_base_url(request_origin: str) -> str:
    """CONTACTS_PUBLIC_URL (behind a proxy, the address the world uses), else the browser's address."""
    return configured_public_url() or request_origin.rstrip("/")


def webhook_urls(base_url: str, carrier: str = TWILIO) -> tuple[str, str]:
    """(inbound, status callback) URLs to paste into the carrier's console."""
    base = base_url.rstrip("/")
    return base + INBOUND_PATH.format(carrier=carrier), base + STATUS_PATH.format(carrier=carrier)


def without_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(url without user:password@, user, password): Twilio signs the URL without them."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.username, parts.password


def reserve_send_slot(session: Session, line_id: int) -> datetime:
    """The line's next free moment at its rate; each text takes 1/rate seconds of it.

    Locked (FOR UPDATE on PostgreSQL; SQLite writes one at a time) so two senders never share a slot.
    """
    line_carrier = session.exec(select(LineCarrier).where(LineCarrier.line_id == line_id).with_for_update()).one()
    now = utcnow()
    last = line_carrier.next_send_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite hands datetimes back without a zone
    slot = max(now, last) if last is not None else now
    line_carrier.next_send_at = slot + timedelta(seconds=1 / line_carrier.messages_per_second)
    session.add(line_carrier)
    return slot
