"""Carrier sending and delivery statuses: the send job's body, status callbacks, carrier opt-outs.

A text for a connected line is stored as a queued Message with an idempotency key and a slot
in the line's sending rate (messaging.py, in the sender's transaction). `deliver` (run by the `texts`
outbox job, sending.py) hands it to the carrier: it claims the row first, so two runs never both send it; an
attempt that got no answer (timeout) is marked uncertain, and the next attempt asks the
carrier whether it has the text before sending it again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.carriers import carrier_named
from contacts_app.carriers.base import FINAL_STATUSES, STATUS_RANK, CarrierRefused, StatusReport
from contacts_app.carriers.connections import STATUS_PATH, carrier_of_line, credentials_of
from contacts_app.carriers.secrets import SecretKeyInvalid, SecretKeyMissing, SecretUnreadable
from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain.consent import Source
from contacts_app.models import Contact, Line, Message, MessageStatus, utcnow

OUTBOX_PROVIDER = "outbox"
# A worker that died mid-request leaves its claim; after this long another run may look and retry.
CLAIM_LEASE = timedelta(minutes=2)
MAX_SEND_ATTEMPTS = 6
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300


class Outcome:
    SUBMITTED = "submitted"
    FAILED = "failed"
    RETRY = "retry"
    SKIPPED = "skipped"  # already sent, or another run holds it


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str
    # With RETRY: how long to wait before the next attempt.
    retry_in: timedelta | None = None
    detail: str = ""


def as_utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def status_callback_url(base_url: str, carrier: str, idempotency_key: str) -> str:
    # The key rides in the callback URL, so a callback finds its message even when the send's answer was lost.
    return f"{base_url.rstrip('/')}{STATUS_PATH.format(carrier=carrier)}?key={idempotency_key}"


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    taken = session.execute(
        update(Message)
        .where(
            col(Message.id) == message_id,
            col(Message.provider_message_id).is_(None),
            col(Message.status) == MessageStatus.QUEUED,
            or_(col(Message.submitting_since).is_(None), col(Message.submitting_since) < now - CLAIM_LEASE),
        )
        .values(submitting_since=now, send_attempts=Message.send_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def due_sends(
    session: Session, now: datetime | None = None, grace: timedelta = timedelta(0), limit: int = 500
) -> list[int]:
    """Queued carrier texts whose slot (rate or retry time) has come, `grace` ago, and that nobody holds."""
    now = now or utcnow()
    return list(
        session.exec(
            select(Message.id)
            .where(
                col(Message.status) == MessageStatus.QUEUED,
                col(Message.idempotency_key).is_not(None),
                # The outbox's texts (a blast on a line without a carrier) stay there: no carrier to hand them to.
                col(Message.provider) != OUTBOX_PROVIDER,
                col(Message.provider_message_id).is_(None),
                col(Message.send_after) <= now - grace,
                or_(col(Message.submitting_since).is_(None), col(Message.submitting_since) < now - CLAIM_LEASE),
            )
            .order_by(col(Message.send_after), col(Message.id))
            .limit(limit)
        )
    )


def deliver(engine: Engine | None, message_id: int) -> DeliveryResult:
    """Hand one queued text to its line's carrier. Safe to run twice or concurrently: it sends at most once."""
    now = utcnow()
    with session_scope(engine) as session:
        message = session.get(Message, message_id)
        if message is None or message.provider_message_id or message.status != MessageStatus.QUEUED:
            return DeliveryResult(Outcome.SKIPPED, detail="already handed over")
        # A claim older than the lease means a worker died mid-request: the carrier may have the text.
        stale_claim = message.submitting_since is not None
        if not _claim(session, message_id, now):
            return DeliveryResult(Outcome.SKIPPED, detail="another run holds it")
        session.refresh(message)
        uncertain = message.send_uncertain or stale_claim
        line = session.get(Line, message.line_id)
        found = carrier_of_line(session, message.line_id)
        if found is None or line is None or not line.phone:
            _fail(session, message, "The line no longer sends through a carrier; nothing was sent.")
            return DeliveryResult(Outcome.FAILED, detail="line not connected")
        line_carrier, connection = found
        try:
            credentials = credentials_of(connection)
        except (SecretUnreadable, SecretKeyMissing, SecretKeyInvalid) as exc:
            _fail(session, message, str(exc))
            return DeliveryResult(Outcome.FAILED, detail="credentials unreadable")
        carrier = carrier_named(connection.carrier)
        request = (
            line.phone,
            message.phone,
            message.body,
            status_callback_url(connection.public_base_url, carrier.name, message.idempotency_key or ""),
            message.idempotency_key or "",
        )
        created_at, attempts = as_utc(message.created_at), message.send_attempts

    # The carrier is asked outside any transaction: a slow answer holds no database lock.
    try:
        submitted = None
        if uncertain:
            submitted = carrier.find_sent(credentials, request[0], request[1], request[2], created_at)
        submitted = submitted or carrier.send(credentials, *request)
    except CarrierRefused as refused:
        return _after_refusal(engine, message_id, refused, attempts)
    with session_scope(engine) as session:
        message = session.get(Message, message_id)
        message.provider_message_id = submitted.carrier_message_id
        message.submitting_since = None
        message.send_uncertain = False
        message.error_reason = None
        session.add(message)
        _move_status(message, submitted.status)
    return DeliveryResult(Outcome.SUBMITTED, detail=submitted.carrier_message_id)


def _after_refusal(engine: Engine | None, message_id: int, refused: CarrierRefused, attempts: int) -> DeliveryResult:
    with session_scope(engine) as session:
        message = session.get(Message, message_id)
        message.submitting_since = None
        message.send_uncertain = message.send_uncertain or refused.uncertain
        if refused.transient and attempts < MAX_SEND_ATTEMPTS:
            # Still queued: say why it waits, so the history is not silent.
            message.error_reason = refused.reason
            message.status_changed_at = utcnow()
            message.send_after = utcnow() + retry_delay(attempts)
            session.add(message)
            return DeliveryResult(Outcome.RETRY, retry_in=retry_delay(attempts), detail=refused.reason)
        reason = refused.reason
        if refused.transient:
            reason = f"Gave up after {attempts} tries: {refused.reason}"
        _fail(session, message, reason, refused.code)
        if refused.recipient_opted_out:
            opt_out_from_carrier(session, message, reason)
    return DeliveryResult(Outcome.FAILED, detail=refused.reason)


def _fail(session: Session, message: Message, reason: str, code: str | None = None) -> None:
    message.submitting_since = None
    message.error_reason = reason
    message.error_code = code
    session.add(message)
    _move_status(message, MessageStatus.FAILED, force=True)


def _move_status(message: Message, status: str, force: bool = False) -> bool:
    """Forward only: a late "sent" never undoes "delivered" (carriers' callbacks arrive out of order)."""
    current = STATUS_RANK.get(message.status, 0)
    if not force and (message.status in FINAL_STATUSES or STATUS_RANK.get(status, 0) <= current):
        return False
    message.status = status
    message.status_changed_at = utcnow()
    return True


def apply_status_report(session: Session, carrier: str, line: Line, report: StatusReport) -> Message | None:
    """A status callback: move the message's status forward; a carrier opt-out opts the contact out."""
    message = session.exec(
        select(Message).where(
            Message.line_id == line.id,
            Message.provider == carrier,
            Message.provider_message_id == report.carrier_message_id,
        )
    ).first()
    if message is None and report.idempotency_key:
        message = session.exec(
            select(Message).where(Message.line_id == line.id, Message.idempotency_key == report.idempotency_key)
        ).first()
        if message is not None and message.provider_message_id is None:
            # The send's answer was lost but the carrier has it: never send it again.
            message.provider_message_id = report.carrier_message_id
            message.send_uncertain = False
    if message is None:
        return None
    if _move_status(message, report.status):
        message.error_code = report.error_code
        message.error_reason = report.error_reason
    session.add(message)
    session.flush()
    if report.recipient_opted_out:
        opt_out_from_carrier(session, message, report.error_reason or "Opted out at the carrier.")
    return message


def opt_out_from_carrier(session: Session, message: Message, detail: str) -> bool:
    """The carrier says the recipient texted STOP to it: the same as an inbound STOP, source "carrier"."""
    contact = session.exec(
        select(Contact).where(Contact.line_id == message.line_id, Contact.phone == message.phone)
    ).first()
    if contact is None:
        return consent.suppress_number(session, message.line_id, message.phone, Source.CARRIER, detail=detail)
    changed = consent.opt_out(session, contact, Source.CARRIER, detail=detail)
    consent.decline_consent(session, contact, Source.CARRIER, detail=detail)
    return changed
