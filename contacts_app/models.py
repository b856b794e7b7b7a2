"""SQLModel tables. Nothing else lives here."""

from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class ConsentStatus(StrEnum):
    NOT_SENT = "not_sent"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    # Region used to read numbers written without a country code.
    default_region: str = "US"
    created_at: datetime = Field(default_factory=utcnow)


class Line(SQLModel, table=True):
    """A business phone number of an account; contacts belong to a line."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str
    phone: str | None = Field(default=None, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("line_id", "phone", name="uq_contact_line_phone"),
        # Paging walks this index in name order, so the first page is cheap at any size. SQLite
        # walks ix_contact_line_search instead, which starts with the same columns (migration 0020).
        Index("ix_contact_line_name", "line_id", "name_key", "id").ddl_if(dialect="postgresql"),
        # One contact per e-mail address on a line (migration 0012); addresses are stored lower-cased.
        Index("uq_contact_line_email", "line_id", "email", unique=True),
        # The line's last change, read by every open page to notice others' edits (migration 0007),
        # and the "Recently updated" / "Recently added" sorts, walked newest first (migration 0009).
        Index("ix_contact_line_updated", "line_id", "updated_at", "id"),
        Index("ix_contact_line_created", "line_id", "created_at", "id"),
        # The Opted out and Consent filters count their matches from these, not from the table; with
        # the id, also when joined to a list, tag or field (PostgreSQL: index-only, migration 0017).
        Index("ix_contact_line_opted_out", "line_id", "opted_out", "id"),
        Index("ix_contact_line_consent", "line_id", "consent_status", "id"),
        # Search (migration 0004): each database gets its own index for `search_text LIKE '%word%'`.
        # SQLite tests search_text inside the name-order walk without reading the table row.
        Index("ix_contact_line_search", "line_id", "name_key", "id", "search_text").ddl_if(dialect="sqlite"),
        # PostgreSQL looks fragments up by trigram (pg_trgm).
        Index(
            "ix_contact_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    full_name: str
    # Lower-cased name for case-insensitive sorting on every database.
    name_key: str
    phone: str  # E.164
    email: str | None = None
    # name, e-mail and phone digits in one lower-cased column: one LIKE serves search.
    search_text: str
    opted_out: bool = False
    opted_out_at: datetime | None = None
    opted_out_source: str | None = None
    opted_out_by: str | None = None
    consent_status: str = ConsentStatus.NOT_SENT
    # Plain text the business keeps about the customer; who last changed it and when.
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    notes_updated_at: datetime | None = None
    notes_updated_by: str | None = None
    # Custom-field values (migration 0023), read with the contact: a JSON object of field id ->
    # canonical value, or -> [value, lookup key] where the key (lower case) differs; NULL for none.
    # Written only through custom_fields.set_values and the importer, which keep the lookup rows
    # (ContactFieldValue) in step.
    field_values: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ConsentEvent(SQLModel, table=True):
    """Append-only history of opt-out and consent changes.

    Keyed by line and phone as well as contact, so it outlives the contact and acts as the
    line's suppression record: a number that opted out comes back opted out.
    """

    __table_args__ = (Index("ix_consent_event_line_phone", "line_id", "phone", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"), index=True),
    )
    phone: str
    kind: str  # see consent.EventKind
    source: str  # manual / keyword / api / import
    actor: str | None = None
    detail: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ContactList(SQLModel, table=True):
    """A named segment of a line's contacts (for text blasts)."""

    __tablename__ = "contact_list"
    __table_args__ = (UniqueConstraint("line_id", "name_key", name="uq_contact_list_line_name"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id", index=True)
    name: str
    # Lower-cased name: list names are unique per line regardless of case.
    name_key: str
    description: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# SQLite: a link table is stored in its primary key's order, not twice (migration 0021).
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class ListMembership(SQLModel, table=True):
    __tablename__ = "list_membership"
    __table_args__ = (Index("ix_list_membership_contact", "contact_id"), WITHOUT_ROWID)

    list_id: int = Field(sa_column=Column(Integer, ForeignKey("contact_list.id", ondelete="CASCADE"), primary_key=True))
    contact_id: int = Field(sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True))
    added_at: datetime = Field(default_factory=utcnow)


# --- Custom fields and tags (issue 9) ---


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"


class CustomField(SQLModel, table=True):
    """A field an administrator added for every contact of the account ("Company", "Birthday")."""

    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_custom_field_account_name"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False))
    name: str
    name_key: str
    kind: str  # FieldKind
    # Order in forms and export columns.
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class ContactFieldValue(SQLModel, table=True):
    """Where the custom-field filter finds contacts by a value: one row per contact and field, keyed
    by the value's lookup key (lower case). The value itself is kept on the contact
    (`Contact.field_values`); these rows follow it (custom_fields.set_values, the importer).

    No foreign keys (migrations 0022, 0023): a trigger on `contact` deletes a contact's rows with
    it, custom_fields.delete_field a field's, and whoever writes values first locks the fields it
    writes them for. Each key's check was a trigger call per value on PostgreSQL.
    """

    __tablename__ = "contact_field_value"
    __table_args__ = (WITHOUT_ROWID,)

    field_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    value_key: str = Field(sa_column=Column(Text, primary_key=True))
    contact_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))


class ContactTag(SQLModel, table=True):
    """A free word on a contact; compared without case (`name_key`), shown as first written."""

    __tablename__ = "contact_tag"
    # The tag filter and the line's tag choices read this index.
    __table_args__ = (Index("ix_contact_tag_line_name", "line_id", "name_key", "contact_id"), WITHOUT_ROWID)

    contact_id: int = Field(sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True))
    name_key: str = Field(primary_key=True)
    name: str
    line_id: int = Field(foreign_key="line.id")


# --- Messaging, review flags, settings, API keys and relay webhooks (issue 5) ---


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    RECEIVED = "received"
    # Waiting to be handed to the carrier, or (outbox provider) in the outbox: no carrier reachable.
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    # A blast's text the sender cancelled before it was handed over.
    CANCELLED = "cancelled"


class Message(SQLModel, table=True):
    """A text to or from a number on a line; outbound rows double as the default provider's outbox."""

    __table_args__ = (
        Index("ix_message_line_phone", "line_id", "phone", "id"),
        Index("uq_message_idempotency_key", "idempotency_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"), index=True),
    )
    direction: str  # MessageDirection
    phone: str  # the other party, E.164
    body: str = Field(sa_type=Text)
    keyword: str | None = None  # keywords.KeywordKind of an inbound message
    status: str  # MessageStatus
    provider: str | None = None
    provider_message_id: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Carrier sending (issue 12): why it failed, in words, and the carrier's code.
    error_code: str | None = None
    error_reason: str | None = Field(default=None, sa_type=Text)
    # One per outbound message: a retried send job finds the message it already handed over.
    idempotency_key: str | None = None
    send_attempts: int = 0
    # Not before: the line's sending-rate slot, or the retry time after a refusal.
    send_after: datetime | None = None
    # Set while a send job talks to the carrier; a stale one means a worker died mid-request.
    submitting_since: datetime | None = None
    # The carrier may have the text though no answer came (timeout): look before sending again.
    send_uncertain: bool = False
    # Moves on every status change; open pages poll it to show queued -> sent -> delivered.
    status_changed_at: datetime | None = None
    # The blast this text belongs to (outbound), or the blast an opt-out reply is attributed to (inbound).
    blast_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("blast.id", ondelete="SET NULL"), index=True)
    )
    # Held for quiet hours until then (the recipient's window opens); send_after is no earlier.
    held_until: datetime | None = None


class ReviewFlag(SQLModel, table=True):
    """A message a person should read (e.g. "please stop texting me"): keyed by line and phone like consent."""

    __tablename__ = "review_flag"
    __table_args__ = (Index("ix_review_flag_line_phone", "line_id", "phone", "resolved_at"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    phone: str
    contact_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"))
    )
    message_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("message.id", ondelete="SET NULL"))
    )
    reason: str
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class AccountSettings(SQLModel, table=True):
    __tablename__ = "account_settings"

    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True))
    # None means the default text, which names the business.
    consent_message: str | None = Field(default=None, sa_type=Text)
    # The last import's column mapping, {normalized column name: target} as JSON (mapping_memory.py).
    import_mapping: str | None = Field(default=None, sa_type=Text)
    # Blasts go only to contacts who confirmed consent (YES to a consent request).
    blasts_need_consent: bool = False
    # Added to a contact's first blast unless the text already says how to opt out; None: the default.
    opt_out_instruction: str | None = None
    # IANA zone for scheduling and for numbers whose own zone is ambiguous; None: the region's main zone.
    time_zone: str | None = None
    # When blasts may reach people, in each one's own zone; None: 8 am to 9 pm (quiet_hours.py).
    send_window_opens: time | None = None
    send_window_closes: time | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str
    # The first characters of the key, to tell keys apart in a list; the key itself is never stored.
    prefix: str
    key_hash: str = Field(unique=True)
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # None: every line of the account.
    line_id: int | None = Field(default=None, foreign_key="line.id")
    url: str = Field(sa_type=Text)
    events: str = Field(sa_type=Text)  # space-separated event types
    # Kept readable because signing needs it; shown to the administrator once.
    secret: str
    description: str = ""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(SQLModel, table=True):
    """The durable outbox: the worker's whole state is in these rows."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_delivery_event_endpoint"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str
    event_type: str
    endpoint_id: int = Field(
        sa_column=Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False)
    )
    account_id: int = Field(foreign_key="account.id")
    line_id: int | None = Field(default=None, foreign_key="line.id")
    # The exact JSON text that is signed and sent.
    payload: str = Field(sa_type=Text)
    status: str = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    give_up_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    last_response: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = None


# --- Users, sign-in sessions, line access and account plans (issue 4) ---


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


class LineAccessKind(StrEnum):
    OWNER = "owner"
    SHARED = "shared"


class User(SQLModel, table=True):
    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    email: str = Field(unique=True)  # lower-cased
    password_hash: str
    role: str = Role.USER
    # What an administrator took away from this user; None means "as the plan allows".
    can_delete: bool | None = None
    can_delete_all: bool | None = None
    can_use_lists: bool | None = None
    can_import: bool | None = None
    can_export: bool | None = None
    can_blast: bool | None = None
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser; only a hash of its token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    client_ip: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Recent sign-in attempts, to slow down password guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_time", "email", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str  # lower-cased as typed, whether or not such a user exists
    client_ip: str = ""
    succeeded: bool
    created_at: datetime = Field(default_factory=utcnow)


class LineAccess(SQLModel, table=True):
    """Whose line it is (owner) and with whom it is shared."""

    __tablename__ = "line_access"

    line_id: int = Field(sa_column=Column(Integer, ForeignKey("line.id", ondelete="CASCADE"), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    kind: str  # LineAccessKind
    created_at: datetime = Field(default_factory=utcnow)


class AccountPlan(SQLModel, table=True):
    """The account type: which features exist for all of the account's users. No row: every feature."""

    __tablename__ = "account_plan"

    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True))
    name: str
    allows_delete: bool = True
    allows_delete_all: bool = True
    allows_lists: bool = True
    allows_blasts: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


# --- Carrier connections (issue 12) ---


class CarrierConnection(SQLModel, table=True):
    """An account's login to a carrier (Twilio). Secrets are Fernet tokens (carriers/secrets.py)."""

    __tablename__ = "carrier_connection"
    __table_args__ = (UniqueConstraint("account_id", "carrier", name="uq_carrier_connection_account_carrier"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    carrier: str  # carriers registry name: "twilio"
    account_sid: str
    # The auth token signs inbound webhooks; an API key (sid + secret) may send instead of it.
    auth_token_encrypted: str | None = Field(default=None, sa_type=Text)
    auth_token_last4: str | None = None
    api_key_sid: str | None = None
    api_key_secret_encrypted: str | None = Field(default=None, sa_type=Text)
    api_key_secret_last4: str | None = None
    # Where the carrier reaches this app (CONTACTS_PUBLIC_URL, or the address the administrator used).
    public_base_url: str = Field(default="", sa_type=Text)
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LineCarrier(SQLModel, table=True):
    """A line that sends through a carrier connection; lines without a row use the outbox."""

    __tablename__ = "line_carrier"

    line_id: int = Field(sa_column=Column(Integer, ForeignKey("line.id", ondelete="CASCADE"), primary_key=True))
    connection_id: int = Field(
        sa_column=Column(Integer, ForeignKey("carrier_connection.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    # Carriers throttle each number (a US long code: about 1 text a second).
    messages_per_second: float = 1.0
    # The next free sending slot of the line: send jobs are scheduled no closer than the rate allows.
    next_send_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ProcessedCarrierEvent(SQLModel, table=True):
    """Inbound texts already taken in, by the carrier's id: a retried webhook is processed once."""

    __tablename__ = "processed_carrier_event"

    carrier: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)  # Twilio's MessageSid
    message_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("message.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(default_factory=utcnow)


# --- Text blasts (issue 10) ---


class BlastStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (or for the worker, when sent now)
    QUEUEING = "queueing"  # its texts are being written into the queue
    QUEUED = "queued"  # every text is in the queue; the texts outbox hands them over
    CANCELLED = "cancelled"


class Blast(SQLModel, table=True):
    """The same text to the contacts of some lists (or all of a line's), now or at a time."""

    __table_args__ = (Index("ix_blast_due", "status", "send_at"), Index("ix_blast_line", "line_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    body: str = Field(sa_type=Text)
    # What {first_name} / {full_name} become when the contact's is empty.
    merge_fallback: str = ""
    # Space-separated list ids; empty with all_contacts.
    list_ids: str = ""
    all_contacts: bool = False
    send_at: datetime
    status: str = BlastStatus.SCHEDULED
    # The number the sender confirmed ("Send to 4,212 contacts").
    confirmed_count: int = 0
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Queueing resumes after the last contact id written, so a re-run never writes a text twice.
    queued_through_contact_id: int = 0
    # Claimed by a worker while it writes the texts; a stale claim means the worker died.
    queueing_since: datetime | None = None
    queued_at: datetime | None = None
    recipients: int = 0
    # Counted out when queued: opted out, no consent, duplicates across lists, removed since written.
    skipped_opted_out: int = 0
    skipped_no_consent: int = 0
    duplicates: int = 0
    removed_since_written: int = 0
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None


class BlastSkip(SQLModel, table=True):
    """A member of a blast's lists who got no text, and why (opted_out / no_consent)."""

    __tablename__ = "blast_skip"
    # Deleting a contact finds its skips by this index (migration 0018).
    __table_args__ = (Index("ix_blast_skip_contact", "contact_id"),)

    blast_id: int = Field(sa_column=Column(Integer, ForeignKey("blast.id", ondelete="CASCADE"), primary_key=True))
    contact_id: int = Field(sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True))
    phone: str
    reason: str


# --- Reminders (issue 10) ---


class ReminderRepeat(StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class ReminderStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    SKIPPED = "skipped"  # the contact opted out, or was deleted
    MISSED = "missed"  # over an hour late (the app was down)
    CANCELLED = "cancelled"


class Reminder(SQLModel, table=True):
    """One occurrence of a scheduled text to a contact; a repeating one writes its next when settled."""

    __table_args__ = (
        Index("ix_reminder_due", "status", "send_at"),
        Index("ix_reminder_line_time", "line_id", "local_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="line.id")
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"), index=True),
    )
    body: str = Field(sa_type=Text)
    send_at: datetime
    # The account's wall clock (no zone): repeats keep it across daylight-saving changes.
    local_time: datetime = Field(sa_type=DateTime())
    repeat: str = ReminderRepeat.NONE
    repeat_until: date | None = None
    status: str = ReminderStatus.SCHEDULED
    # Why it was skipped, missed or cancelled.
    detail: str | None = None
    message_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("message.id", ondelete="SET NULL"))
    )
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None


# Delete All and the API's cursor walk a line's contacts in id order.
Index("ix_contact_line_id", Contact.__table__.c.line_id, Contact.__table__.c.id)
# Deleting contacts nulls review_flag.contact_id; without an index each deleted row scans the table.
Index("ix_review_flag_contact_id", ReviewFlag.__table__.c.contact_id)


# --- Background jobs (issue 11) ---


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FINISHED = (SUCCEEDED, FAILED)


class BackgroundJob(SQLModel, table=True):
    """What the pages show of a job (progress, outcome) and what lets a lost job be run again.

    The job engine (huey) carries only the job's id; a worker claims this row before running it
    and beats its heart into it while it runs, so a job whose worker died is found and re-run.
    """

    __tablename__ = "background_job"
    __table_args__ = (
        # "Is a Delete All or an import running on this line?" for every page that opens.
        Index("ix_background_job_line_kind", "line_id", "kind", "id"),
        # The watchdog's look for stalled and lost jobs.
        Index("ix_background_job_status", "status", "heartbeat_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    account_id: int | None = Field(default=None, foreign_key="account.id")
    # No foreign keys on these two: a job's row is its log and outlives the line or user.
    line_id: int | None = None
    user_id: int | None = None
    # The job's arguments as JSON text.
    args: str = Field(default="{}", sa_type=Text)
    status: str = JobStatus.QUEUED
    attempts: int = 0
    max_attempts: int = 3
    done: int = 0
    total: int = 0
    # A sentence for the page: the outcome, or why it failed.
    message: str = Field(default="", sa_type=Text)
    # What the job hands back (JSON text), e.g. an import's report.
    result: str | None = Field(default=None, sa_type=Text)
    run_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
