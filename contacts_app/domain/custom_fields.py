"""Custom fields: what a business keeps about a customer beyond name, phone and e-mail.

Administrators define up to MAX_FIELDS per account (name and kind); every door (details form,
New Contact, REST API, import) checks a value with `clean_value`, so a value means the same
thing wherever it came from. Values are stored as canonical text (numbers without trailing
zeros, dates as YYYY-MM-DD, yes/no as "yes"/"no") so export writes them back as they import.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, delete, func, literal_column, update
from sqlmodel import Session, col, select

from contacts_app.models import Contact, ContactFieldValue, CustomField, FieldKind, Line

MAX_FIELDS = 50
MAX_FIELD_NAME_LENGTH = 60
MAX_TEXT_VALUE_LENGTH = 500
YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
NO_WORDS = frozenset({"no", "n", "false", "0"})
KIND_LABELS = {FieldKind.TEXT: "Text", FieldKind.NUMBER: "Number", FieldKind.DATE: "Date", FieldKind.YES_NO: "Yes/no"}
# {field:Company} in a text: the contact's value of the custom field "Company".
MERGE_FIELD = re.compile(r"\{field:([^{}]+)\}")
# Names of the built-in columns: a custom field must not be confused with them in import and export.
RESERVED_NAMES = frozenset(
    {
        "full name",
        "name",
        "phone",
        "email",
        "e-mail",
        "opted out",
        "opted out source",
        "consent status",
        "lists",
        "tags",
        "notes",
    }
)


@dataclass
class FieldInvalid(Exception):
    """One message per form field (`name`, `kind`, or `field:<name>` for a value)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class FieldNotFound(LookupError):
    pass


def field_key(name: str) -> str:
    """The form and error key of a custom field's value."""
    return f"field:{name}"


# --- Definitions (administrators) ---------------------------------------------------------


def account_fields(session: Session, account_id: int) -> list[CustomField]:
    return list(
        session.exec(
            select(CustomField)
            .where(CustomField.account_id == account_id)
            .order_by(col(CustomField.position), col(CustomField.id))
        )
    )


def _clean_definition(session: Session, account_id: int, name: str, field_id: int | None) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise FieldInvalid({"name": "Field name is required."})
    if len(clean) > MAX_FIELD_NAME_LENGTH:
        raise FieldInvalid(
            {"name": f"Field name is too long ({len(clean)} characters; the limit is {MAX_FIELD_NAME_LENGTH})."}
        )
    if "{" in clean or "}" in clean:
        raise FieldInvalid({"name": "Field name cannot contain { or } (they mark merge fields in texts)."})
    if clean.lower() in RESERVED_NAMES:
        raise FieldInvalid({"name": f"“{clean}” is a built-in column; choose another name."})
    taken = select(CustomField.id).where(CustomField.account_id == account_id, CustomField.name_key == clean.lower())
    if field_id is not None:
        taken = taken.where(CustomField.id != field_id)
    if session.exec(taken).first() is not None:
        raise FieldInvalid({"name": f"A field named “{clean}” already exists."})
    return clean


def create_field(session: Session, account_id: int, name: str, kind: str) -> CustomField:
    clean = _clean_definition(session, account_id, name, None)
    if kind not in list(FieldKind):
        raise FieldInvalid({"kind": f"Choose a kind: {', '.join(KIND_LABELS.values())}."})
    existing = account_fields(session, account_id)
    if len(existing) >= MAX_FIELDS:
        raise FieldInvalid({"name": f"An account can have at most {MAX_FIELDS} custom fields."})
    field = CustomField(
        account_id=account_id,
        name=clean,
        name_key=clean.lower(),
        kind=FieldKind(kind),
        position=max((f.position for f in existing), default=0) + 1,
    )
    session.add(field)
    session.flush()
    return field


def get_field(session: Session, account_id: int, field_id: int) -> CustomField:
    field = session.get(CustomField, field_id)
    if field is None or field.account_id != account_id:
        raise FieldNotFound(f"Custom field {field_id} does not exist.")
    return field


def rename_field(session: Session, account_id: int, field_id: int, name: str) -> CustomField:
    """Rename (the kind stays: changing it would make stored values mean something else)."""
    field = get_field(session, account_id, field_id)
    field.name = _clean_definition(session, account_id, name, field_id)
    field.name_key = field.name.lower()
    session.add(field)
    session.flush()
    return field


def delete_field(session: Session, account_id: int, field_id: int) -> None:
    """The field and every contact's value of it go.

    The field first: on PostgreSQL its deletion waits for a writer holding it (locked_field_ids)
    to commit, and the values' deletion, a statement after, then sees that writer's values too.
    Writers hold the field before the contact (set_values), as this does: neither waits on the other
    in a circle.
    """
    field = get_field(session, account_id, field_id)
    session.delete(field)
    session.flush()
    connection = session.connection()
    lookup = ContactFieldValue.__table__
    holders = select(lookup.c.contact_id).where(lookup.c.field_id == field_id)
    if connection.dialect.name == "postgresql":
        remaining = literal_column(f"(field_values::jsonb - '{int(field_id)}')::text")
    else:
        remaining = func.json_remove(Contact.__table__.c.field_values, f'$."{int(field_id)}"')
    connection.execute(
        update(Contact.__table__)
        .where(Contact.__table__.c.id.in_(holders))
        .values(field_values=func.nullif(remaining, "{}"))
    )
    connection.execute(delete(lookup).where(lookup.c.field_id == field_id))


def locked_field_ids(session: Session, field_ids: Iterable[int]) -> set[int]:
    """Which of these fields still exist, held until the transaction ends (a value has no foreign
    key to its field: whoever writes values calls this first, so no value outlives its field).
    SQLite has one writer at a time: the read alone is enough there."""
    wanted = list(field_ids)
    if not wanted:
        return set()
    held = select(CustomField.id).where(col(CustomField.id).in_(wanted)).with_for_update(read=True)
    return set(session.exec(held).all())


# --- Values -----------------------------------------------------------------------------


def clean_value(field: CustomField, raw: str | None) -> str | None:
    """The canonical text of a value, None for blank; FieldInvalid with a message for people otherwise.

    Reads only the field's `name` and `kind` (the import passes a lighter stand-in)."""
    text = " ".join(str(raw or "").split())
    if not text:
        return None
    problem = None
    if field.kind == FieldKind.TEXT:
        if len(text) > MAX_TEXT_VALUE_LENGTH:
            problem = f"{field.name} is too long ({len(text)} characters; the limit is {MAX_TEXT_VALUE_LENGTH})."
        else:
            return text
    elif field.kind == FieldKind.NUMBER:
        try:
            number = Decimal(text.replace(",", ""))
            if not number.is_finite():
                raise InvalidOperation
            return format(number.normalize(), "f") if number != number.to_integral() else str(int(number))
        except InvalidOperation:
            problem = f"{field.name} must be a number, like 42 or 3.5 (not “{text}”)."
    elif field.kind == FieldKind.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            problem = f"{field.name} must be a date written like 2026-03-31 (not “{text}”)."
    else:
        if text.lower() in YES_WORDS:
            return "yes"
        if text.lower() in NO_WORDS:
            return "no"
        problem = f"{field.name} must be yes or no (not “{text}”)."
    raise FieldInvalid({field_key(field.name): problem})


# Digits this long or shorter are taken as a whole number without Decimal.
_PLAIN_NUMBER_DIGITS = 15


def clean_cell(field: CustomField, cell: str) -> str | None:
    """`clean_value` of a stripped cell (an import's), with the common shapes (a word, digits,
    yes/no) answered without its general parsing; anything else goes to `clean_value`. A mapped
    file of 100,000 rows brings ~300,000 cells, and the general path cost ~1 µs more each."""
    kind = field.kind
    if kind == FieldKind.TEXT:
        text = " ".join(cell.split())
        if len(text) <= MAX_TEXT_VALUE_LENGTH:
            return text or None
    elif kind == FieldKind.NUMBER:
        if cell.isdigit() and cell.isascii() and len(cell) <= _PLAIN_NUMBER_DIGITS:
            return cell if cell[0] != "0" else str(int(cell))
    elif kind == FieldKind.YES_NO:
        word = cell.lower()
        if word in YES_WORDS:
            return "yes"
        if word in NO_WORDS:
            return "no"
    return clean_value(field, cell)


def clean_values(fields: Iterable[CustomField], raw: Mapping[str, str]) -> dict[int, str | None]:
    """Check every given value at once (keyed by field name, any case); one message per bad value."""
    by_key = {field.name_key: field for field in fields}
    clean: dict[int, str | None] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        field = by_key.get(" ".join(name.split()).lower())
        if field is None:
            errors[field_key(name)] = f"There is no custom field called “{name}”."
            continue
        try:
            clean[field.id] = clean_value(field, value)
        except FieldInvalid as invalid:
            errors.update(invalid.errors)
    if errors:
        raise FieldInvalid(errors)
    return clean


def value_member(value: str) -> str | list[str]:
    """A value as its member of `Contact.field_values`: itself, or [value, lookup key] where the
    key (lower case) differs. The importer writes the same shape as JSON text (import_extras._value_member)."""
    key = value.lower()
    return value if key == value else [value, key]


def member_parts(member: str | list[str]) -> tuple[str, str]:
    """(value, lookup key) of a member of `Contact.field_values`."""
    return (member, member) if isinstance(member, str) else (member[0], member[1])


def dump_values(members: Mapping[str, str | list[str]]) -> str | None:
    """`Contact.field_values` for these members (field id as text -> member); None for none."""
    return json.dumps(members, ensure_ascii=False, separators=(",", ":")) if members else None


def stored_values(field_values: str | None) -> dict[int, str]:
    """A contact's `field_values` as field id -> value."""
    if not field_values:
        return {}
    return {int(field_id): member_parts(member)[0] for field_id, member in json.loads(field_values).items()}


def named_values(fields: Iterable[CustomField], field_values: str | None) -> dict[str, str]:
    """A contact's `field_values` by field name, in the order of `fields` (the account's,
    line_fields); a value of a field not among them is left out."""
    stored = stored_values(field_values)
    return {field.name: stored[field.id] for field in fields if field.id in stored}


def set_values(session: Session, contact_id: int, values: Mapping[int, str | None]) -> bool:
    """Store checked values (None clears); returns whether anything changed. A value of a field
    deleted since the values were checked is left out, and nothing is stored for a contact deleted
    meanwhile. The fields are held first, then the contact (as delete_field does), until the
    transaction ends; the contact's lookup rows change with its values."""
    lookup = ContactFieldValue.__table__
    contact = Contact.__table__
    with session.no_autoflush:
        existing = locked_field_ids(session, values)
        found = (
            session.connection()
            .execute(select(contact.c.field_values).where(contact.c.id == contact_id).with_for_update())
            .first()
        )
    if found is None:
        return False
    members = json.loads(found.field_values) if found.field_values else {}
    removed, added = [], []
    for field_id, value in values.items():
        if field_id not in existing:
            continue
        name = str(field_id)
        old = members.get(name)
        new = None if value is None else value_member(value)
        if old == new:
            continue
        if old is not None:
            removed.append({"f": field_id, "k": member_parts(old)[1]})
            del members[name]
        if new is not None:
            added.append({"field_id": field_id, "value_key": member_parts(new)[1], "contact_id": contact_id})
            members[name] = new
    if not removed and not added:
        return False
    connection = session.connection()
    if removed:
        connection.execute(
            delete(lookup).where(
                lookup.c.field_id == bindparam("f"),
                lookup.c.value_key == bindparam("k"),
                lookup.c.contact_id == contact_id,
            ),
            removed,
        )
    if added:
        connection.execute(lookup.insert(), added)
    connection.execute(update(contact).where(contact.c.id == contact_id).values(field_values=dump_values(members)))
    if (loaded := session.identity_map.get(Session.identity_key(Contact, contact_id))) is not None:
        session.expire(loaded, ["field_values"])
    return True


def values_of(session: Session, contact_id: int) -> dict[str, str]:
    """The contact's values by field name, in the fields' order."""
    found = session.exec(select(Contact.line_id, Contact.field_values).where(Contact.id == contact_id)).first()
    if found is None or not found[1]:
        return {}
    return named_values(line_fields(session, found[0]), found[1])


def render_merge_fields(text: str, values: Mapping[str, str]) -> str:
    """Fill {field:Name} from the contact's custom fields (a missing value becomes empty)."""
    by_key = {name.lower(): value for name, value in values.items()}
    return MERGE_FIELD.sub(lambda match: by_key.get(" ".join(match.group(1).split()).lower(), ""), text)


def line_fields(session: Session, line_id: int) -> list[CustomField]:
    """The custom fields of the account the line belongs to (one statement: every contact shown asks)."""
    return list(
        session.exec(
            select(CustomField)
            .join(Line, col(Line.account_id) == CustomField.account_id)
            .where(Line.id == line_id)
            .order_by(col(CustomField.position), col(CustomField.id))
        )
    )


def api_text(value: object) -> str:
    """A JSON value of the API's `fields` object as the text a form would hold (true -> yes, null -> blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
