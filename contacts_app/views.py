"""Plain rows the page shows, built from domain objects (no Reflex, no database)."""

from dataclasses import dataclass, field
from datetime import datetime

from contacts_app.domain import custom_fields
from contacts_app.domain.consent import EventKind
from contacts_app.domain.tags import join_tags
from contacts_app.models import ConsentEvent, ConsentStatus, Contact, CustomField
from contacts_app.phones import format_phone

CONSENT_LABELS = {
    ConsentStatus.NOT_SENT: "Not sent",
    ConsentStatus.PENDING: "Pending",
    ConsentStatus.CONFIRMED: "Confirmed",
    ConsentStatus.DECLINED: "Declined",
}
EVENT_LABELS = {
    EventKind.OPTED_OUT: "Opted out",
    EventKind.OPTED_IN: "Opted back in",
    EventKind.CONSENT_PENDING: "Consent request sent",
    EventKind.CONSENT_CONFIRMED: "Consent confirmed",
    EventKind.CONSENT_DECLINED: "Consent declined",
}
SOURCE_LABELS = {
    "manual": "by hand",
    "keyword": "by text message",
    "api": "through the API",
    "import": "by import",
    "carrier": "at the carrier (they texted STOP to it)",
}


@dataclass
class ContactRow:
    id: int = 0
    full_name: str = ""
    phone: str = ""
    opted_out: bool = False


@dataclass
class FieldValue:
    """A custom field as a form shows it: its input's name (`key`), kind and the contact's value."""

    id: int = 0
    name: str = ""
    kind: str = ""
    key: str = ""
    value: str = ""


@dataclass
class ContactDetail:
    id: int = 0
    full_name: str = ""
    phone: str = ""
    phone_e164: str = ""
    email: str = ""
    opted_out: bool = False
    opted_out_note: str = ""
    consent_status: str = ""
    consent_label: str = ""
    created: str = ""
    updated: str = ""
    notes: str = ""
    # "Last edited by ada@example.com on Mar 31, 2026 09:00 UTC", "" when never edited.
    notes_note: str = ""
    tags: list[str] = field(default_factory=list)
    # The tags as the form's one text box holds them ("vip, spring sale").
    tags_text: str = ""
    fields: list[FieldValue] = field(default_factory=list)


@dataclass
class HistoryEntry:
    id: int = 0
    what: str = ""
    how: str = ""
    when: str = ""
    detail: str = ""


def show_time(moment: datetime | None) -> str:
    return moment.strftime("%b %d, %Y %H:%M UTC") if moment else ""


# The contact columns a list row shows (live updates skip edits of the others: live.may_change_view).
ROW_COLUMNS = frozenset({"full_name", "phone", "opted_out"})


def contact_row(contact: Contact, region: str) -> ContactRow:
    return ContactRow(
        id=contact.id or 0,
        full_name=contact.full_name,
        phone=format_phone(contact.phone, region),
        opted_out=contact.opted_out,
    )


def field_values(fields: list[CustomField], values: dict[str, str]) -> list[FieldValue]:
    return [
        FieldValue(
            id=f.id or 0, name=f.name, kind=f.kind, key=custom_fields.field_key(f.name), value=values.get(f.name, "")
        )
        for f in fields
    ]


def contact_detail(
    contact: Contact,
    region: str,
    fields: list[CustomField] | None = None,
    values: dict[str, str] | None = None,
    tags: list[str] | None = None,
) -> ContactDetail:
    note = ""
    if contact.opted_out:
        how = SOURCE_LABELS.get(contact.opted_out_source or "", contact.opted_out_source or "")
        who = f" by {contact.opted_out_by}" if contact.opted_out_by and contact.opted_out_source == "manual" else ""
        how = "" if who else f" {how}"
        note = f"Opted out{how}{who} on {show_time(contact.opted_out_at)}."
    return ContactDetail(
        id=contact.id or 0,
        full_name=contact.full_name,
        phone=format_phone(contact.phone, region),
        phone_e164=contact.phone,
        email=contact.email or "",
        opted_out=contact.opted_out,
        opted_out_note=note,
        consent_status=contact.consent_status,
        consent_label=CONSENT_LABELS.get(contact.consent_status, contact.consent_status),
        created=show_time(contact.created_at),
        updated=show_time(contact.updated_at),
        notes=contact.notes,
        notes_note=(
            f"Last edited{' by ' + contact.notes_updated_by if contact.notes_updated_by else ''} "
            f"on {show_time(contact.notes_updated_at)}"
            if contact.notes_updated_at
            else ""
        ),
        tags=list(tags or []),
        tags_text=join_tags(tags or []),
        fields=field_values(fields or [], values or {}),
    )


def history_entry(event: ConsentEvent) -> HistoryEntry:
    how = SOURCE_LABELS.get(event.source, event.source)
    if event.actor:
        how = f"{how}, {event.actor}"
    return HistoryEntry(
        id=event.id or 0,
        what=EVENT_LABELS.get(event.kind, event.kind),
        how=how,
        when=show_time(event.created_at),
        detail=event.detail or "",
    )
