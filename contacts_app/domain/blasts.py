"""Text blasts: who receives one (with the exclusions by reason), creating, cancelling, progress.

A blast goes to the contacts of one or more lists of a line (or all of its contacts), each
number once. Opted-out contacts never receive it, whatever the list says; where the account
requires confirmed consent for blasts, contacts without it are left out too. The sender confirms
the final number; the texts are written into the queue by `blast_queue.queue_blast` (the job
engine's `blasts` outbox runs it when the blast is due), and the `texts` outbox hands them over.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from contacts_app.carriers.delivery import CLAIM_LEASE, as_utc
from contacts_app.domain import blast_text
from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.keywords import KeywordKind
from contacts_app.domain.messaging import OUTBOX
from contacts_app.models import (
    AccountSettings,
    Blast,
    BlastSkip,
    BlastStatus,
    ConsentStatus,
    Contact,
    ContactList,
    Line,
    ListMembership,
    Message,
    MessageDirection,
    MessageStatus,
    utcnow,
)

# An opt-out keyword this soon after a blast's text is counted against that blast.
STOP_ATTRIBUTION_WINDOW = timedelta(hours=72)
# "Send now" may be a little in the past by the time the server reads it.
SCHEDULE_SLACK = timedelta(minutes=1)
MAX_LISTS = 50


class SkipReason:
    OPTED_OUT = "opted_out"
    NO_CONSENT = "no_consent"


SKIP_LABELS = {SkipReason.OPTED_OUT: "Skipped: opted out", SkipReason.NO_CONSENT: "Skipped: no confirmed consent"}


@dataclass
class BlastInvalid(Exception):
    """One message per field (body, lists, send_at, merge_fallback, confirm)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class BlastNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BlastDraft:
    body: str
    list_ids: tuple[int, ...] = ()
    all_contacts: bool = False
    # None: now.
    send_at: datetime | None = None
    merge_fallback: str = ""


@dataclass(frozen=True)
class RecipientCount:
    """Who a blast reaches, and who it leaves out by reason."""

    recipients: int
    opted_out: int
    no_consent: int
    # Memberships beyond the first of a contact in several of the chosen lists (one text per number).
    duplicates: int

    @property
    def confirm_label(self) -> str:
        return f"Send to {self.recipients:,} contact{'' if self.recipients == 1 else 's'}"


def blasts_need_consent(session: Session, account_id: int) -> bool:
    settings = session.get(AccountSettings, account_id)
    return bool(settings and settings.blasts_need_consent)


def audience(line_id: int, list_ids: tuple[int, ...], all_contacts: bool):
    """Every contact the blast's lists hold (opted-out ones too): a WHERE clause on Contact."""
    return contact_condition(line_id, ContactFilter(any_of_lists=None if all_contacts else tuple(list_ids)))


def count_recipients(
    session: Session, line_id: int, list_ids: tuple[int, ...], all_contacts: bool, needs_consent: bool
) -> RecipientCount:
    """The blast's recipients and exclusions, counted in the database (two queries)."""
    if not all_contacts and not list_ids:
        return RecipientCount(0, 0, 0, 0)
    no_consent = (~col(Contact.opted_out)) & (Contact.consent_status != ConsentStatus.CONFIRMED)
    total, opted_out, unconfirmed = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(Contact.opted_out), 1), else_=0)), 0),
            func.coalesce(func.sum(case((no_consent, 1), else_=0)), 0),
        ).where(audience(line_id, list_ids, all_contacts))
    ).one()
    duplicates = 0
    if not all_contacts and len(list_ids) > 1:
        memberships = session.exec(
            select(func.count())
            .select_from(ListMembership)
            .join(Contact, col(Contact.id) == ListMembership.contact_id)
            .where(col(ListMembership.list_id).in_(list_ids), Contact.line_id == line_id)
        ).one()
        duplicates = memberships - total
    left_out = opted_out + (unconfirmed if needs_consent else 0)
    return RecipientCount(
        recipients=total - left_out,
        opted_out=opted_out,
        no_consent=unconfirmed if needs_consent else 0,
        duplicates=duplicates,
    )


def check_draft(session: Session, line_id: int, draft: BlastDraft, now: datetime | None = None) -> None:
    """BlastInvalid naming each field that is wrong; nothing when the draft can be sent."""
    errors: dict[str, str] = {}
    body = draft.body or ""
    if not body.strip():
        errors["body"] = "Message: write the text to send."
    elif len(body) > blast_text.MAX_BLAST_LENGTH:
        errors["body"] = f"Message is too long ({len(body):,} characters; the limit is {blast_text.MAX_BLAST_LENGTH})."
    elif unknown := blast_text.unknown_merge_fields(body):
        fields = ", ".join("{" + name + "}" for name in unknown)
        errors["body"] = f"Message: unknown merge field {fields}; use {{full_name}} or {{first_name}}."
    if len(draft.merge_fallback or "") > blast_text.MAX_FALLBACK_LENGTH:
        errors["merge_fallback"] = f"Fallback text: at most {blast_text.MAX_FALLBACK_LENGTH} characters."
    if not draft.all_contacts:
        if not draft.list_ids:
            errors["lists"] = "Recipients: choose one or more lists, or All contacts."
        elif len(draft.list_ids) > MAX_LISTS:
            errors["lists"] = f"Recipients: at most {MAX_LISTS} lists."
        else:
            found = set(
                session.exec(
                    select(ContactList.id).where(
                        col(ContactList.id).in_(draft.list_ids), ContactList.line_id == line_id
                    )
                )
            )
            missing = [str(list_id) for list_id in draft.list_ids if list_id not in found]
            if missing:
                errors["lists"] = f"Recipients: list {', '.join(missing)} is not a list of this line."
    if draft.send_at is not None:
        if draft.send_at.tzinfo is None:
            errors["send_at"] = "Send at: give the time with its zone."
        elif draft.send_at < (now or utcnow()) - SCHEDULE_SLACK:
            errors["send_at"] = "Send at: that time has passed; choose a later one or send now."
    if errors:
        raise BlastInvalid(errors)


def create_blast(
    session: Session, line_id: int, draft: BlastDraft, confirmed_count: int | None, actor: str | None = None
) -> Blast:
    """Store the blast, to be queued at its time. `confirmed_count` must be today's count (None: not asked)."""
    check_draft(session, line_id, draft)
    line = session.get(Line, line_id)
    list_ids = tuple(dict.fromkeys(draft.list_ids))
    count = count_recipients(
        session, line_id, list_ids, draft.all_contacts, blasts_need_consent(session, line.account_id)
    )
    if count.recipients == 0:
        raise BlastInvalid({"lists": "Recipients: nobody would receive this blast."})
    if confirmed_count is not None and confirmed_count != count.recipients:
        raise BlastInvalid(
            {"confirm": f"The recipients changed to {count.recipients:,} since you counted them; confirm again."}
        )
    blast = Blast(
        line_id=line_id,
        body=draft.body,
        merge_fallback=draft.merge_fallback or "",
        list_ids="" if draft.all_contacts else " ".join(str(list_id) for list_id in list_ids),
        all_contacts=draft.all_contacts,
        # In UTC: SQLite keeps the wall-clock time and drops the zone.
        send_at=draft.send_at.astimezone(UTC) if draft.send_at else utcnow(),
        confirmed_count=count.recipients,
        created_by=actor,
    )
    session.add(blast)
    session.flush()
    return blast


def list_ids_of(blast: Blast) -> tuple[int, ...]:
    return tuple(int(part) for part in blast.list_ids.split())


def get_blast(session: Session, line_id: int, blast_id: int) -> Blast:
    blast = session.get(Blast, blast_id)
    if blast is None or blast.line_id != line_id:
        raise BlastNotFound(blast_id)
    return blast


def blasts_of_line(session: Session, line_id: int, limit: int = 50) -> list[Blast]:
    return list(session.exec(select(Blast).where(Blast.line_id == line_id).order_by(col(Blast.id).desc()).limit(limit)))


def blasts_still_sending(session: Session, blast_ids: list[int]) -> dict[int, str]:
    """The blasts that still have texts waiting in the queue (held for quiet hours included), each with
    where they wait: "outbox" when none of them has a carrier to go to (the line had none when the blast
    was queued), else "sending". A queued blast missing here has handed everything over, and reads
    "Finished" in the list and its panel alike."""
    if not blast_ids:
        return {}
    waiting: dict[int, str] = {}
    rows = session.exec(
        select(Message.blast_id, Message.provider)
        .where(col(Message.blast_id).in_(blast_ids), Message.status == MessageStatus.QUEUED)
        .distinct()
    )
    for blast_id, provider in rows:
        if provider != OUTBOX.name or waiting.get(blast_id) == "sending":
            waiting[blast_id] = "sending"
        else:
            waiting[blast_id] = "outbox"
    return waiting


def blast_phase(blast: Blast, waiting: str | None) -> str:
    """What a person reads for the blast: scheduled, queueing, sending (or in the outbox, with no carrier to
    send its texts), finished (every text handed over, failed or taken out of the queue by a STOP) or
    cancelled. `waiting` is what blasts_still_sending says of it."""
    if blast.status == BlastStatus.QUEUED:
        return waiting or "finished"
    return blast.status


def cancel_blast(session: Session, line_id: int, blast_id: int, actor: str | None = None) -> int:
    """Cancel what is not yet handed over; returns how many texts were taken out of the queue."""
    blast = get_blast(session, line_id, blast_id)
    if blast.status == BlastStatus.CANCELLED:
        return 0
    now = utcnow()
    # The status change first: a queueing run checks it in each batch's transaction and stops.
    session.execute(
        update(Blast)
        .where(col(Blast.id) == blast_id)
        .values(status=BlastStatus.CANCELLED, cancelled_at=now, cancelled_by=actor, queueing_since=None)
        .execution_options(synchronize_session=False)
    )
    taken = session.execute(
        update(Message)
        .where(
            col(Message.blast_id) == blast_id,
            Message.direction == MessageDirection.OUTBOUND,
            Message.status == MessageStatus.QUEUED,
            col(Message.provider_message_id).is_(None),
            # A text a worker is handing over right now is its carrier's already.
            (col(Message.submitting_since).is_(None)) | (col(Message.submitting_since) < now - CLAIM_LEASE),
        )
        .values(status=MessageStatus.CANCELLED, status_changed_at=now, error_reason="Cancelled by the sender.")
        .execution_options(synchronize_session=False)
    )
    session.refresh(blast)
    return taken.rowcount


# --- Progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlastProgress:
    status: str
    recipients: int
    queued: int
    held: int
    sent: int
    delivered: int
    failed: int
    cancelled: int
    skipped_opted_out: int
    skipped_no_consent: int
    duplicates: int
    removed_since_written: int
    stop_replies: int


def blast_progress(session: Session, blast: Blast, now: datetime | None = None) -> BlastProgress:
    """Counts by status of the blast's texts, its skips and its attributed STOP replies (three queries)."""
    now = now or utcnow()
    held = (Message.status == MessageStatus.QUEUED) & (col(Message.held_until) > now)
    rows = session.exec(
        select(Message.status, func.count(), func.coalesce(func.sum(case((held, 1), else_=0)), 0))
        .where(Message.blast_id == blast.id, Message.direction == MessageDirection.OUTBOUND)
        .group_by(Message.status)
    ).all()
    by_status = {status: (count, held_count) for status, count, held_count in rows}
    skips = dict(
        session.exec(
            select(BlastSkip.reason, func.count()).where(BlastSkip.blast_id == blast.id).group_by(BlastSkip.reason)
        ).all()
    )
    stops = session.exec(
        select(func.count()).where(
            Message.blast_id == blast.id,
            Message.direction == MessageDirection.INBOUND,
            Message.keyword == KeywordKind.OPT_OUT,
        )
    ).one()
    queued, held_count = by_status.get(MessageStatus.QUEUED, (0, 0))
    return BlastProgress(
        status=blast.status,
        recipients=sum(count for count, _ in by_status.values()),
        queued=queued - held_count,
        held=held_count,
        sent=by_status.get(MessageStatus.SENT, (0, 0))[0],
        delivered=by_status.get(MessageStatus.DELIVERED, (0, 0))[0],
        failed=by_status.get(MessageStatus.FAILED, (0, 0))[0] + by_status.get(MessageStatus.UNDELIVERED, (0, 0))[0],
        cancelled=by_status.get(MessageStatus.CANCELLED, (0, 0))[0],
        skipped_opted_out=skips.get(SkipReason.OPTED_OUT, 0),
        skipped_no_consent=skips.get(SkipReason.NO_CONSENT, 0),
        duplicates=blast.duplicates,
        removed_since_written=blast.removed_since_written,
        stop_replies=stops,
    )


@dataclass(frozen=True)
class RecipientRow:
    contact_id: int | None
    name: str
    phone: str
    status: str  # queued / held / sent / delivered / failed / cancelled / skipped
    detail: str


def recipient_rows(
    session: Session, blast: Blast, offset: int = 0, limit: int = 50, now: datetime | None = None
) -> list[RecipientRow]:
    """One page of the blast's recipients with their status: texts first (by id), then the skipped."""
    now = now or utcnow()
    rows: list[RecipientRow] = []
    texts = session.exec(
        select(Message, Contact.full_name)
        .outerjoin(Contact, col(Contact.id) == Message.contact_id)
        .where(Message.blast_id == blast.id, Message.direction == MessageDirection.OUTBOUND)
        .order_by(col(Message.id))
        .offset(offset)
        .limit(limit)
    ).all()
    for message, name in texts:
        status, detail = message.status, message.error_reason or ""
        if status == MessageStatus.QUEUED and message.held_until and as_utc(message.held_until) > now:
            status, detail = "held", f"Until {as_utc(message.held_until):%b %d %H:%M} UTC"
        elif status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
            status = MessageStatus.FAILED
        rows.append(RecipientRow(message.contact_id, name or "", message.phone, status, detail))
    if len(rows) < limit:
        text_total = session.exec(
            select(func.count()).where(Message.blast_id == blast.id, Message.direction == MessageDirection.OUTBOUND)
        ).one()
        skips = session.exec(
            select(BlastSkip, Contact.full_name)
            .outerjoin(Contact, col(Contact.id) == BlastSkip.contact_id)
            .where(BlastSkip.blast_id == blast.id)
            .order_by(col(BlastSkip.contact_id))
            .offset(max(0, offset - text_total))
            .limit(limit - len(rows))
        ).all()
        rows.extend(
            RecipientRow(skip.contact_id, name or "", skip.phone, "skipped", SKIP_LABELS.get(skip.reason, skip.reason))
            for skip, name in skips
        )
    return rows


# --- STOP replies --------------------------------------------------------------------------


def attribute_opt_out(session: Session, reply: Message) -> int | None:
    """Tie an opt-out keyword to the blast whose text reached the number in the 72 hours before it."""
    since = (reply.created_at or utcnow()) - STOP_ATTRIBUTION_WINDOW
    blast_id = session.exec(
        select(Message.blast_id)
        .where(
            Message.line_id == reply.line_id,
            Message.phone == reply.phone,
            Message.direction == MessageDirection.OUTBOUND,
            col(Message.blast_id).is_not(None),
            col(Message.status).not_in([MessageStatus.CANCELLED, MessageStatus.FAILED]),
            col(Message.created_at) >= since,
        )
        .order_by(col(Message.id).desc())
        .limit(1)
    ).first()
    if blast_id is not None:
        reply.blast_id = blast_id
        session.add(reply)
    return blast_id
