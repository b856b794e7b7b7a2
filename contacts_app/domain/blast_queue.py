"""Queueing a blast: one queued Message per recipient, written batch by batch, exactly once.

`queue_blast` is the whole job and safe to run again at any point: it claims the blast (a stale
claim means the worker died and another run takes over), then writes the texts in batches of
contacts in id order, each batch in one transaction with the blast's cursor, so a re-run resumes
after the last batch written. The idempotency key `blast:<id>:<phone>` is unique, so even two runs
racing on one batch write each text once. The `texts` outbox then hands the rows over.

Each text's `send_after` honours the recipient's quiet hours (held until their window opens,
never dropped) and, on a carrier line, the line's rate (1/rate seconds apart).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, literal, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.carriers.connections import carrier_of_line
from contacts_app.carriers.delivery import as_utc
from contacts_app.db import session_scope
from contacts_app.domain import blast_text
from contacts_app.domain.account_zone import account_time_zone
from contacts_app.domain.blasts import SkipReason, audience, blasts_need_consent, count_recipients, list_ids_of
from contacts_app.domain.messaging import OUTBOX
from contacts_app.domain.quiet_hours import SendingWindow, account_window, next_allowed_send, zone_finder
from contacts_app.models import (
    Blast,
    BlastSkip,
    BlastStatus,
    ConsentStatus,
    Contact,
    Line,
    LineCarrier,
    Message,
    MessageDirection,
    MessageStatus,
    utcnow,
)

BATCH_SIZE = 5000
# A queueing run refreshes its claim every batch; one this old belongs to a worker that died.
QUEUE_LEASE = timedelta(minutes=2)
_SKIP = BlastSkip.__table__


@dataclass(frozen=True)
class QueueResult:
    queued: int  # texts written by this run
    done: bool  # every text of the blast is in the queue (or it was cancelled)


def idempotency_key(blast_id: int, phone: str) -> str:
    return f"blast:{blast_id}:{phone}"


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)


def claim_blast(engine: Engine | None, blast_id: int, now: datetime) -> bool:
    """Take the blast if it is due and nobody live holds it."""
    with session_scope(engine) as session:
        taken = session.execute(
            update(Blast)
            .where(
                col(Blast.id) == blast_id,
                or_(
                    and_(Blast.status == BlastStatus.SCHEDULED, col(Blast.send_at) <= now),
                    and_(
                        Blast.status == BlastStatus.QUEUEING,
                        or_(col(Blast.queueing_since).is_(None), col(Blast.queueing_since) < now - QUEUE_LEASE),
                    ),
                ),
            )
            .values(status=BlastStatus.QUEUEING, queueing_since=now)
            .execution_options(synchronize_session=False)
        )
        return taken.rowcount == 1


def due_blast_ids(session: Session, now: datetime | None = None) -> list[int]:
    """Blasts whose time has come, and blasts whose queueing worker died."""
    now = now or utcnow()
    return list(
        session.exec(
            select(Blast.id)
            .where(
                or_(
                    and_(Blast.status == BlastStatus.SCHEDULED, col(Blast.send_at) <= now),
                    and_(
                        Blast.status == BlastStatus.QUEUEING,
                        or_(col(Blast.queueing_since).is_(None), col(Blast.queueing_since) < now - QUEUE_LEASE),
                    ),
                )
            )
            .order_by(col(Blast.send_at))
        )
    )


def next_blast_at(engine: Engine | None = None) -> datetime | None:
    """When a blast next comes due: the earliest scheduled one, or a queueing one whose claim lapses."""
    with session_scope(engine) as session:
        scheduled = session.exec(select(func.min(Blast.send_at)).where(Blast.status == BlastStatus.SCHEDULED)).one()
        claimed = session.exec(select(func.min(Blast.queueing_since)).where(Blast.status == BlastStatus.QUEUEING)).one()
    moments = [as_utc(scheduled)] if scheduled is not None else []
    if claimed is not None:
        moments.append(as_utc(claimed) + QUEUE_LEASE)
    return min(moments, default=None)


def queue_due_blasts(engine: Engine | None = None) -> int:
    """The scheduler's step (the `blasts` outbox, contacts_app/jobs/sends.py): queue every due blast."""
    with session_scope(engine) as session:
        due = due_blast_ids(session)
    return sum(queue_blast(engine, blast_id).queued for blast_id in due)


def _eligible(blast: Blast, needs_consent: bool):
    conditions = [audience(blast.line_id, list_ids_of(blast), blast.all_contacts), ~col(Contact.opted_out)]
    if needs_consent:
        conditions.append(Contact.consent_status == ConsentStatus.CONFIRMED)
    return and_(*conditions)


def _count_and_record_skips(session: Session, blast: Blast, needs_consent: bool) -> None:
    """The first run's tally: who is left out and why (a skip row each), duplicates, removals."""
    count = count_recipients(session, blast.line_id, list_ids_of(blast), blast.all_contacts, needs_consent)
    session.execute(delete(BlastSkip).where(col(BlastSkip.blast_id) == blast.id))
    left_out = col(Contact.opted_out)
    if needs_consent:
        left_out = left_out | (Contact.consent_status != ConsentStatus.CONFIRMED)
    reason = case((col(Contact.opted_out), literal(SkipReason.OPTED_OUT)), else_=literal(SkipReason.NO_CONSENT))
    rows = select(literal(blast.id), Contact.id, Contact.phone, reason).where(
        audience(blast.line_id, list_ids_of(blast), blast.all_contacts), left_out
    )
    session.execute(_insert(session, _SKIP).from_select(["blast_id", "contact_id", "phone", "reason"], rows))
    blast.recipients = count.recipients
    blast.skipped_opted_out = count.opted_out
    blast.skipped_no_consent = count.no_consent
    blast.duplicates = count.duplicates
    blast.removed_since_written = max(0, blast.confirmed_count - count.recipients)
    session.add(blast)


def _already_blasted(session: Session, blast: Blast) -> set[str]:
    """Numbers of the line that received an earlier blast (they got the opt-out instruction then)."""
    return set(
        session.exec(
            select(Message.phone)
            .where(
                Message.line_id == blast.line_id,
                Message.direction == MessageDirection.OUTBOUND,
                col(Message.blast_id).is_not(None),
                Message.blast_id != blast.id,
                col(Message.status).not_in([MessageStatus.CANCELLED, MessageStatus.FAILED]),
            )
            .distinct()
        )
    )


class _Slots:
    """send_after for each text: the recipient's quiet hours, and on a carrier line its rate."""

    def __init__(self, account_zone: str, window: SendingWindow, now: datetime, rate: float | None) -> None:
        self.find_zone = zone_finder(account_zone, now)
        self.window = window
        self.now = now
        self.gap = timedelta(seconds=1 / rate) if rate else None
        # Texts held until the same opening go out at the line's rate from then on.
        self.held_at: dict[datetime, int] = {}
        # Without a rate every text's moment is `now`: its window depends on the zone alone.
        self.allowed_now: dict[str, datetime] = {}

    def assign(self, phone: str, line_cursor: datetime) -> tuple[datetime, datetime | None, datetime]:
        """(send_after, held_until or None, the line's cursor after this text)."""
        zone = self.find_zone(phone)
        if self.gap:
            slot = max(line_cursor, self.now)
            allowed = next_allowed_send(slot, zone, self.window)
        else:
            slot = self.now
            allowed = self.allowed_now.get(zone)
            if allowed is None:
                allowed = self.allowed_now[zone] = next_allowed_send(slot, zone, self.window)
        if allowed > slot:
            waiting = self.held_at.get(allowed, 0)
            self.held_at[allowed] = waiting + 1
            return allowed + (self.gap or timedelta(0)) * waiting, allowed, line_cursor
        return slot, None, slot + self.gap if self.gap else line_cursor


# The columns `_write_texts` fills, in order, with their PostgreSQL types.
_TEXT_COLUMNS = (
    ("line_id", "integer"),
    ("contact_id", "integer"),
    ("direction", "varchar"),
    ("phone", "varchar"),
    ("body", "text"),
    ("status", "varchar"),
    ("provider", "varchar"),
    ("created_at", "timestamptz"),
    ("idempotency_key", "varchar"),
    ("send_attempts", "integer"),
    ("send_after", "timestamptz"),
    ("send_uncertain", "boolean"),
    ("status_changed_at", "timestamptz"),
    ("blast_id", "integer"),
    ("held_until", "timestamptz"),
)
_DATETIME_COLUMNS = [index for index, (_, kind) in enumerate(_TEXT_COLUMNS) if kind == "timestamptz"]


def _write_texts(session: Session, rows: list[tuple]) -> None:
    """Insert a batch of texts, skipping any whose idempotency key is taken (a re-run's batch).

    Straight to the driver: per-row statements and SQLAlchemy's per-value processing cost more than
    the whole rest of a 100,000-text blast (benchmarks/blast_bench.py)."""
    connection = session.connection()
    names = ", ".join(name for name, _ in _TEXT_COLUMNS)
    conflict = "ON CONFLICT (idempotency_key) DO NOTHING"
    if connection.dialect.name == "postgresql":
        # One statement per batch: each column as an array, unnested into rows.
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in _TEXT_COLUMNS)
        columns = tuple(list(values) for values in zip(*rows, strict=True))
        connection.exec_driver_sql(f"INSERT INTO message ({names}) SELECT * FROM unnest({arrays}) {conflict}", columns)
        return
    # SQLite keeps datetimes as text in SQLAlchemy's format, which its comparisons rely on.
    as_text = Message.__table__.c.send_after.type.bind_processor(connection.dialect)
    written = []
    for row in rows:
        values = list(row)
        for index in _DATETIME_COLUMNS:
            values[index] = as_text(values[index])
        written.append(tuple(values))
    marks = ", ".join("?" for _ in _TEXT_COLUMNS)
    connection.exec_driver_sql(f"INSERT INTO message ({names}) VALUES ({marks}) {conflict}", written)


def queue_blast(engine: Engine | None, blast_id: int, now: datetime | None = None, batch_size: int = BATCH_SIZE):
    """Write the blast's texts into the queue (idempotent; see the module's note)."""
    now = now or utcnow()
    if not claim_blast(engine, blast_id, now):
        return QueueResult(queued=0, done=False)
    with session_scope(engine) as session:
        blast = session.get(Blast, blast_id)
        line = session.get(Line, blast.line_id)
        needs_consent = blasts_need_consent(session, line.account_id)
        if blast.queued_through_contact_id == 0:
            _count_and_record_skips(session, blast, needs_consent)
        instruction = blast_text.opt_out_instruction(session, line.account_id)
        add_instruction = not blast_text.says_how_to_opt_out(blast.body)
        blasted = _already_blasted(session, blast) if add_instruction else set()
        connected = carrier_of_line(session, line.id)
        provider = connected[1].carrier if connected else OUTBOX.name
        rate = connected[0].messages_per_second if connected else None
        slots = _Slots(account_time_zone(session, line.account_id), account_window(session, line.account_id), now, rate)
        eligible = _eligible(blast, needs_consent)
        cursor = blast.queued_through_contact_id
    written = 0
    while True:
        with session_scope(engine) as session:
            contacts = session.exec(
                select(Contact.id, Contact.full_name, Contact.phone)
                .where(eligible, col(Contact.id) > cursor)
                .order_by(col(Contact.id))
                .limit(batch_size)
            ).all()
            next_cursor = contacts[-1][0] if contacts else cursor
            progress = {"queued_through_contact_id": next_cursor, "queueing_since": utcnow()}
            if not contacts:
                progress.update(status=BlastStatus.QUEUED, queued_at=utcnow(), queueing_since=None)
            # Moving the cursor first takes the blast's row: a cancel, or another run that got here
            # first, makes this update match nothing, and the batch is not written.
            still_ours = session.execute(
                update(Blast)
                .where(
                    col(Blast.id) == blast_id,
                    Blast.status == BlastStatus.QUEUEING,
                    Blast.queued_through_contact_id == cursor,
                )
                .values(**progress)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not still_ours:
                session.rollback()
                return QueueResult(queued=written, done=True)
            if not contacts:
                return QueueResult(queued=written, done=True)
            line_carrier = None
            line_cursor = now
            if connected:
                line_carrier = session.exec(
                    select(LineCarrier).where(LineCarrier.line_id == blast.line_id).with_for_update()
                ).one()
                line_cursor = as_utc(line_carrier.next_send_at) if line_carrier.next_send_at else now
            rows = []
            stamp = utcnow()
            for contact_id, full_name, phone in contacts:
                body = blast_text.merge(blast.body, full_name, blast.merge_fallback)
                if add_instruction and phone not in blasted:
                    body = blast_text.with_instruction(body, instruction)
                send_after, held_until, line_cursor = slots.assign(phone, line_cursor)
                rows.append(
                    (
                        blast.line_id,
                        contact_id,
                        MessageDirection.OUTBOUND.value,
                        phone,
                        body,
                        MessageStatus.QUEUED.value,
                        provider,
                        stamp,
                        idempotency_key(blast_id, phone),
                        0,
                        send_after,
                        False,
                        stamp,
                        blast_id,
                        held_until,
                    )
                )
            _write_texts(session, rows)
            if line_carrier is not None:
                line_carrier.next_send_at = max(line_cursor, as_utc(line_carrier.next_send_at or now))
                session.add(line_carrier)
            written += len(rows)
            cursor = next_cursor
