"""Create, update, delete and search contacts of a line."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from contacts_app.domain import consent, custom_fields, events
from contacts_app.domain import tags as tags_domain
from contacts_app.domain.contact_filter import (
    ContactFilter,
    before_condition,
    contact_condition,
    count_statement,
    has_memberships,
    order_by,
)
from contacts_app.models import Account, Contact, Line, utcnow
from contacts_app.phones import PhoneError, known_region, normalize_phone, phone_search_key

PAGE_SIZE = 50
MAX_NAME_LENGTH = 200
MAX_NOTES_LENGTH = 10_000
DEFAULT_ACCOUNT_NAME = "My Business"
DEFAULT_LINE_NAME = "Main line"


@dataclass(frozen=True)
class ContactInput:
    full_name: str
    phone: str
    email: str = ""
    # None leaves what the contact has (a door that does not show them, e.g. an old API client).
    notes: str | None = None
    # Custom field name -> the value as typed ("" clears it); only the given fields change.
    fields: Mapping[str, str] | None = None
    # The contact's whole set of tags: a list, or one text separated by commas ("vip, spring sale").
    tags: Sequence[str] | str | None = None


@dataclass(frozen=True)
class CleanContact:
    full_name: str
    phone: str
    email: str | None
    notes: str | None = None
    field_values: dict[int, str | None] | None = None
    tags: list[str] | None = None


@dataclass
class ContactInvalid(Exception):
    """One message per field; `duplicate_id` names the contact that already has the phone or, failing
    that, the e-mail address (`duplicate_field` says which)."""

    errors: dict[str, str]
    duplicate_id: int | None = None
    duplicate_name: str | None = None
    duplicate_field: str | None = None

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class ContactNotFound(LookupError):
    pass


@dataclass
class ContactPage:
    rows: list[Contact] = field(default_factory=list)
    total: int = 0


def ensure_default_line(session: Session) -> Line:
    """A fresh install has one account with one line."""
    line = session.exec(select(Line).order_by(col(Line.id)).limit(1)).first()
    if line is not None:
        return line
    account = Account(name=DEFAULT_ACCOUNT_NAME)
    session.add(account)
    session.flush()
    line = Line(account_id=account.id, name=DEFAULT_LINE_NAME)
    session.add(line)
    session.flush()
    return line


def region_of_line(session: Session, line_id: int) -> str:
    region = session.exec(
        select(Account.default_region).join(Line, col(Line.account_id) == Account.id).where(Line.id == line_id)
    ).first()
    return region or "US"


class RegionInvalid(ValueError):
    pass


def set_account_region(session: Session, account_id: int, region: str) -> str:
    """Numbers written without a country code are read in this region, and shown nationally in it."""
    code = known_region(region)
    if code is None:
        raise RegionInvalid(f"“{region}” is not a region code phone numbers know; use two letters such as US or GB.")
    account = session.get(Account, account_id)
    account.default_region = code
    session.add(account)
    return code


EMAIL_EXAMPLE = "name@example.com"


def email_problem(text: str) -> str:
    """What is wrong with an address email_validator refused and what to enter, in people's words."""
    ask = f"Enter an e-mail address like {EMAIL_EXAMPLE}."
    local, at, domain = text.partition("@")
    if not at:
        why = "has no @"
    elif "@" in domain:
        why = "has more than one @"
    elif not local:
        why = "has nothing before the @"
    elif "." not in domain.strip("."):
        why = "needs a domain after the @, such as example.com"
    elif any(ch.isspace() for ch in text):
        why = "has a space in it"
    else:
        return ask
    return f"“{text}” {why}. {ask}"


def normalize_email(raw: str | None) -> str | None:
    """Lower-cased address, None when blank; raises EmailNotValidError when malformed."""
    text = (raw or "").strip()
    if not text:
        return None
    return validate_email(text, check_deliverability=False).normalized.lower()


def search_text_for(full_name: str, phone: str, email: str | None) -> str:
    return "\n".join([full_name.lower(), email or "", phone_search_key(phone)])


def clean_contact(
    session: Session, line_id: int, data: ContactInput, region: str, current: Contact | None = None
) -> CleanContact:
    """Validate every field at once; raise ContactInvalid with a message per bad field.

    `current`: the contact being edited (its own phone and e-mail are no one else's)."""
    errors: dict[str, str] = {}
    name = " ".join((data.full_name or "").split())
    if not name:
        errors["full_name"] = "Full Name is required."
    elif len(name) > MAX_NAME_LENGTH:
        errors["full_name"] = f"Full Name is too long ({len(name)} characters; the limit is {MAX_NAME_LENGTH})."
    phone = ""
    try:
        phone = normalize_phone(data.phone, region)
    except PhoneError as exc:
        errors["phone"] = str(exc)
    try:
        email = normalize_email(data.email)
    except EmailNotValidError:
        email = None
        errors["email"] = email_problem(data.email.strip())
    notes = None
    if data.notes is not None:
        notes = data.notes.strip()
        if len(notes) > MAX_NOTES_LENGTH:
            errors["notes"] = f"Notes are too long ({len(notes):,} characters; the limit is {MAX_NOTES_LENGTH:,})."
    field_values = None
    if data.fields is not None:
        try:
            field_values = custom_fields.clean_values(custom_fields.line_fields(session, line_id), data.fields)
        except custom_fields.FieldInvalid as invalid:
            errors.update(invalid.errors)
    tags = None
    if data.tags is not None:
        try:
            tags = tags_domain.parse_tags(data.tags if isinstance(data.tags, str) else ",".join(data.tags))
        except tags_domain.TagInvalid as invalid:
            errors.update(invalid.errors)
    # The phone identifies a contact for texting, the e-mail for integrations: neither may be shared
    # by two contacts of a line (e-mails are stored lower-cased, so ADA@ and ada@ are one address).
    # A value the edited contact keeps is its own: the unique indexes see to that, so no query.
    duplicates: dict[str, Contact] = {}
    for field_name, column, value, what, kept in (
        ("phone", Contact.phone, phone, "This number", current is not None and phone == current.phone),
        ("email", Contact.email, email, "This e-mail address", current is not None and email == current.email),
    ):
        if not value or kept:
            continue
        query = select(Contact).where(Contact.line_id == line_id, column == value)
        if current is not None:
            query = query.where(Contact.id != current.id)
        other = session.exec(query).first()
        if other is not None:
            duplicates[field_name] = other
            errors[field_name] = f"{what} already belongs to {other.full_name} on this line."
    if errors:
        field_name, duplicate = next(iter(duplicates.items()), (None, None))
        raise ContactInvalid(
            errors,
            duplicate_id=duplicate.id if duplicate else None,
            duplicate_name=duplicate.full_name if duplicate else None,
            duplicate_field=field_name,
        )
    return CleanContact(full_name=name, phone=phone, email=email, notes=notes, field_values=field_values, tags=tags)


def create_contact(
    session: Session, line_id: int, data: ContactInput, actor: str | None = None, region: str | None = None
) -> Contact:
    """Add a contact; `actor` is named as the notes' last editor; `region`: the line's, when at hand."""
    clean = clean_contact(session, line_id, data, region or region_of_line(session, line_id))
    contact = Contact(
        line_id=line_id,
        full_name=clean.full_name,
        name_key=clean.full_name.lower(),
        phone=clean.phone,
        email=clean.email,
        search_text=search_text_for(clean.full_name, clean.phone, clean.email),
    )
    session.add(contact)
    session.flush()
    _save_extras(session, contact, clean, actor)
    _carry_suppression(session, contact)
    events.emit(session, events.CONTACT_CREATED, contact)
    return contact


def _save_extras(session: Session, contact: Contact, clean: CleanContact, actor: str | None) -> bool:
    """Notes, custom fields and tags, where given; returns whether any of them changed."""
    changed = False
    if clean.notes is not None and clean.notes != contact.notes:
        contact.notes = clean.notes
        contact.notes_updated_at = utcnow()
        contact.notes_updated_by = actor
        session.add(contact)
        changed = True
    if clean.field_values is not None:
        changed = custom_fields.set_values(session, contact.id, clean.field_values) or changed
    if clean.tags is not None:
        changed = tags_domain.set_tags(session, contact, clean.tags) or changed
    return changed


def _carry_suppression(session: Session, contact: Contact) -> None:
    """The line remembers numbers that opted out, even after their contact was deleted."""
    if contact.opted_out:
        return
    suppression = consent.suppression_for(session, contact.line_id, contact.phone)
    if suppression is not None:
        contact.opted_out = True
        contact.opted_out_at = suppression.created_at
        contact.opted_out_source = suppression.source
        contact.opted_out_by = suppression.actor
        session.add(contact)


def get_contact(session: Session, line_id: int, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.line_id != line_id:
        raise ContactNotFound(f"Contact {contact_id} does not exist on this line.")
    return contact


def update_contact(
    session: Session,
    line_id: int,
    contact_id: int,
    data: ContactInput,
    actor: str | None = None,
    region: str | None = None,
) -> Contact:
    """Change the contact's details (only the extras `data` gives); `actor` is the notes' editor."""
    contact = get_contact(session, line_id, contact_id)
    clean = clean_contact(session, line_id, data, region or region_of_line(session, line_id), current=contact)
    number_changed = contact.phone != clean.phone
    changed = (contact.full_name, contact.phone, contact.email) != (clean.full_name, clean.phone, clean.email)
    contact.full_name = clean.full_name
    contact.name_key = clean.full_name.lower()
    contact.phone = clean.phone
    contact.email = clean.email
    contact.search_text = search_text_for(clean.full_name, clean.phone, clean.email)
    changed = _save_extras(session, contact, clean, actor) or changed
    if changed:
        contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    # A number changed to one that opted out on this line is opted out, as when it is added.
    if number_changed:
        _carry_suppression(session, contact)
    if changed:
        events.emit(session, events.CONTACT_UPDATED, contact)
    return contact


def delete_matching(session: Session, line_id: int, chosen: ContactFilter) -> int:
    """Delete the contacts the filter picks (a selection) in one transaction; returns how many.

    As for one contact, their consent history stays (a number that opted out comes back opted
    out), and webhook subscribers hear of each.
    """
    condition = contact_condition(line_id, chosen)
    line = session.get(Line, line_id)
    if line is not None and events.subscribed_endpoints(session, line, events.CONTACT_DELETED):
        for contact in session.exec(select(Contact).where(condition).order_by(col(Contact.id))):
            events.emit(session, events.CONTACT_DELETED, contact, line=line)
    statement = delete(Contact).where(condition).execution_options(synchronize_session=False)
    return session.exec(statement).rowcount


def delete_contact(session: Session, line_id: int, contact_id: int) -> Contact:
    contact = get_contact(session, line_id, contact_id)
    # Queued before the row goes, while the payload can still be read from it.
    events.emit(session, events.CONTACT_DELETED, contact)
    session.delete(contact)
    session.flush()
    return contact


def count_contacts(session: Session, line_id: int) -> int:
    """All the line's contacts ("Delete all 12,345 contacts of Main line?", the empty-line hints)."""
    return session.exec(select(func.count()).select_from(Contact).where(Contact.line_id == line_id)).one()


def search_contacts(
    session: Session,
    line_id: int,
    chosen: ContactFilter | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> ContactPage:
    """One page of the contacts the filter picks, in its sort order, and how many it picks in all."""
    chosen = chosen or ContactFilter()
    if has_memberships(chosen):
        return _search_with_memberships(session, line_id, chosen, offset, limit)
    condition = contact_condition(line_id, chosen)
    rows = session.exec(
        select(Contact).where(condition).order_by(*order_by(chosen.sort)).offset(offset).limit(limit)
    ).all()
    if len(rows) < limit and (rows or offset == 0):
        # A short page is the end of the matches, so it already tells how many there are: a rare
        # search then reads the table once, not twice.
        total = offset + len(rows)
    else:
        total = session.exec(count_statement(line_id, chosen)).one()
    return ContactPage(rows=list(rows), total=total)


# With at least this many matches, and this many per row of the pages up to the one asked for,
# a page is found faster by walking the sort order and testing each contact than by reading every
# match and sorting them: at 5,000 of 100,000 a first page walks about 1,000 contacts.
MANY_MATCHES = 5_000
MATCHES_PER_PAGE_ROW = 20


def _search_with_memberships(
    session: Session, line_id: int, chosen: ContactFilter, offset: int, limit: int
) -> ContactPage:
    """A list, tag or field filter: counted first, as the count decides how to read the page.

    Neither database can tell how many contacts a list or tag holds when it plans the page, and
    a wrong guess costs 100 ms or more at 100,000 contacts: reading all 50,000 holders of a field
    to sort them, or walking the whole line for a tag combination nobody has (PostgreSQL: 170 ms
    for none). The count is needed for the page anyway.
    """
    total = _count_in_contact_order(session, count_statement(line_id, chosen))
    if total <= offset:
        return ContactPage(rows=[], total=total)
    walk = total >= MANY_MATCHES and total >= (offset + limit) * MATCHES_PER_PAGE_ROW
    condition = contact_condition(line_id, chosen, per_contact=walk)
    rows = session.exec(
        select(Contact).where(condition).order_by(*order_by(chosen.sort)).offset(offset).limit(limit)
    ).all()
    return ContactPage(rows=list(rows), total=total)


def _count_in_contact_order(session: Session, statement) -> int:
    """Run the count of a list, tag or field filter as a merge of its tables' rows, in contact order.

    Every table it reads has an index in contact order (the list's members, a tag's holders, the
    contacts of a line with one opted-out or consent value), so the matches can be merged as they
    are read; PostgreSQL's planner prefers hashing them, which costs three to five times as much
    (list + tag + not opted out at 100,000 contacts: 70-110 ms hashed, 15-25 ms merged).
    In one process: with two parallel workers the planner spread these short counts over three
    processes, whose starting and gathering cost more than they shared (list_bench's first page
    with a custom field's "has a value", name order: 40-53 ms -> 26-31 ms).
    """
    if session.get_bind().dialect.name != "postgresql":
        return session.exec(statement).one()
    # The settings as they were (a server may have its own) are put back for the rest of the transaction.
    was = session.exec(
        select(
            *(func.current_setting(name) for name in _COUNT_SETTINGS),
            *(func.set_config(name, value, True) for name, value in _COUNT_SETTINGS.items()),
        )
    ).one()[: len(_COUNT_SETTINGS)]
    try:
        return session.exec(statement).one()
    finally:
        back = zip(_COUNT_SETTINGS, was, strict=True)
        session.exec(select(*(func.set_config(name, value, True) for name, value in back)))


# PostgreSQL, for the count of a list, tag or field filter: merged, not hashed, and in one process.
_COUNT_SETTINGS = {"enable_hashjoin": "off", "max_parallel_workers_per_gather": "0"}


def matching_ids(session: Session, line_id: int, chosen: ContactFilter, limit: int) -> list[int]:
    """The ids of up to `limit` contacts the filter picks, in its order (for actions on a selection)."""
    return list(
        session.exec(
            select(Contact.id).where(contact_condition(line_id, chosen)).order_by(*order_by(chosen.sort)).limit(limit)
        ).all()
    )


def position_of(session: Session, line_id: int, contact: Contact, chosen: ContactFilter | None = None) -> int:
    """Index of the contact among those the filter picks, in its order (to open the page it is on)."""
    chosen = chosen or ContactFilter()
    count = (
        select(func.count())
        .select_from(Contact)
        .where(contact_condition(line_id, chosen), before_condition(chosen.sort, contact))
    )
    return session.exec(count).one()
