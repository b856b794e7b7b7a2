"""Contact lists of a line: create, rename, delete, and who is in them."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, literal
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.contacts import PAGE_SIZE, ContactPage, search_contacts
from contacts_app.models import Contact, ContactList, ListMembership, utcnow

MAX_LIST_NAME_LENGTH = 100
MAX_LIST_DESCRIPTION_LENGTH = 500

_MEMBERSHIP = ListMembership.__table__
# SQLAlchemy drops rowcount of INSERT ... SELECT unless asked to keep it.
_COUNTED = {"preserve_rowcount": True}


@dataclass
class ListInvalid(Exception):
    """One message per field (`name`, `description`)."""

    errors: dict[str, str]
    # The name is another list's (the API answers 409 Conflict, as for a duplicate phone).
    duplicate: bool = False

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class ListNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ListSummary:
    id: int
    name: str
    description: str
    member_count: int


def _clean(session: Session, line_id: int, name: str, description: str, list_id: int | None) -> tuple[str, str]:
    errors: dict[str, str] = {}
    duplicate = False
    clean_name = " ".join((name or "").split())
    clean_description = (description or "").strip()
    if not clean_name:
        errors["name"] = "List name is required."
    elif len(clean_name) > MAX_LIST_NAME_LENGTH:
        errors["name"] = f"List name is too long ({len(clean_name)} characters; the limit is {MAX_LIST_NAME_LENGTH})."
    elif _name_taken(session, line_id, clean_name, list_id):
        errors["name"] = f"A list named “{clean_name}” already exists on this line."
        duplicate = True
    if len(clean_description) > MAX_LIST_DESCRIPTION_LENGTH:
        errors["description"] = (
            f"Description is too long ({len(clean_description)} characters; "
            f"the limit is {MAX_LIST_DESCRIPTION_LENGTH})."
        )
    if errors:
        raise ListInvalid(errors, duplicate=duplicate and len(errors) == 1)
    return clean_name, clean_description


def _name_taken(session: Session, line_id: int, name: str, list_id: int | None) -> bool:
    statement = select(ContactList.id).where(ContactList.line_id == line_id, ContactList.name_key == name.lower())
    if list_id is not None:
        statement = statement.where(ContactList.id != list_id)
    return session.exec(statement).first() is not None


def _save(session: Session, contact_list: ContactList) -> None:
    # Two people naming a list at once: the unique index decides, the loser gets the field message.
    try:
        with session.begin_nested():
            session.add(contact_list)
            session.flush()
    except IntegrityError:
        raise ListInvalid(
            {"name": f"A list named “{contact_list.name}” already exists on this line."}, duplicate=True
        ) from None


def create_list(session: Session, line_id: int, name: str, description: str = "") -> ContactList:
    clean_name, clean_description = _clean(session, line_id, name, description, None)
    contact_list = ContactList(
        line_id=line_id, name=clean_name, name_key=clean_name.lower(), description=clean_description
    )
    _save(session, contact_list)
    return contact_list


def get_list(session: Session, line_id: int, list_id: int) -> ContactList:
    contact_list = session.get(ContactList, list_id)
    if contact_list is None or contact_list.line_id != line_id:
        raise ListNotFound(f"List {list_id} does not exist on this line.")
    return contact_list


def find_list(session: Session, line_id: int, name: str) -> ContactList:
    """The line's list of that name, in any case."""
    key = " ".join(name.split()).lower()
    contact_list = session.exec(
        select(ContactList).where(ContactList.line_id == line_id, ContactList.name_key == key)
    ).first()
    if contact_list is None:
        raise ListNotFound(f"There is no list named “{name}” on this line.")
    return contact_list


def update_list(session: Session, line_id: int, list_id: int, name: str, description: str | None = None) -> ContactList:
    """Rename the list (and change its description unless `description` is None)."""
    contact_list = get_list(session, line_id, list_id)
    clean_name, clean_description = _clean(
        session, line_id, name, contact_list.description if description is None else description, list_id
    )
    contact_list.name = clean_name
    contact_list.name_key = clean_name.lower()
    contact_list.description = clean_description
    contact_list.updated_at = utcnow()
    _save(session, contact_list)
    return contact_list


def delete_list(session: Session, line_id: int, list_id: int) -> None:
    """Delete the list; its contacts stay on the line."""
    contact_list = get_list(session, line_id, list_id)
    session.connection().execute(delete(ListMembership).where(col(ListMembership.list_id) == list_id))
    session.delete(contact_list)
    session.flush()


def lists_with_counts(session: Session, line_id: int) -> list[ListSummary]:
    """The line's lists in name order, each with its number of members."""
    # Counted per list of this line (from the membership's key), not grouped across every line's lists.
    members = (
        select(func.count())
        .select_from(ListMembership)
        .where(col(ListMembership.list_id) == ContactList.id)
        .correlate(ContactList)
        .scalar_subquery()
    )
    rows = session.exec(
        select(ContactList.id, ContactList.name, ContactList.description, members)
        .where(ContactList.line_id == line_id)
        .order_by(col(ContactList.name_key), col(ContactList.id))
    ).all()
    return [ListSummary(id=row[0], name=row[1], description=row[2], member_count=row[3]) for row in rows]


def list_members(
    session: Session, line_id: int, list_id: int, query: str = "", offset: int = 0, limit: int = PAGE_SIZE
) -> ContactPage:
    """One page of the list's members in name order (searchable like the contact list)."""
    get_list(session, line_id, list_id)
    return search_contacts(session, line_id, ContactFilter(query=query, list_id=list_id), offset=offset, limit=limit)


def _insert_members(session: Session, list_id: int, contacts) -> int:
    """Add the contacts chosen by `contacts` (a WHERE clause on Contact) in one INSERT ... SELECT."""
    rows = select(literal(list_id), Contact.id, literal(utcnow(), _MEMBERSHIP.c.added_at.type)).where(
        contacts,
        ~exists().where(ListMembership.list_id == list_id, ListMembership.contact_id == Contact.id),
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert(_MEMBERSHIP) if dialect == "postgresql" else sqlite_insert(_MEMBERSHIP)
    statement = insert.from_select(["list_id", "contact_id", "added_at"], rows).on_conflict_do_nothing()
    return session.connection().execute(statement, execution_options=_COUNTED).rowcount


def _delete_members(session: Session, list_id: int, contacts) -> int:
    statement = delete(ListMembership).where(
        col(ListMembership.list_id) == list_id,
        col(ListMembership.contact_id).in_(select(Contact.id).where(contacts)),
    )
    return session.connection().execute(statement, execution_options=_COUNTED).rowcount


def _ids_on_line(line_id: int, contact_ids: Iterable[int]):
    return and_(Contact.line_id == line_id, col(Contact.id).in_(list(contact_ids)))


def add_to_list(session: Session, line_id: int, list_id: int, contact_ids: Iterable[int]) -> int:
    """Add these contacts of the line; returns how many were not members before."""
    get_list(session, line_id, list_id)
    return _insert_members(session, list_id, _ids_on_line(line_id, contact_ids))


def remove_from_list(session: Session, line_id: int, list_id: int, contact_ids: Iterable[int]) -> int:
    """Remove these contacts from the list (they stay on the line); returns how many were members."""
    get_list(session, line_id, list_id)
    return _delete_members(session, list_id, _ids_on_line(line_id, contact_ids))


def add_matching_to_list(session: Session, line_id: int, list_id: int, chosen: ContactFilter) -> int:
    """Add every contact the filter picks ("select all N matching"), in one statement."""
    get_list(session, line_id, list_id)
    if chosen.list_id is not None:
        get_list(session, line_id, chosen.list_id)
    return _insert_members(session, list_id, contact_condition(line_id, chosen))


def remove_matching_from_list(session: Session, line_id: int, list_id: int, chosen: ContactFilter) -> int:
    get_list(session, line_id, list_id)
    if chosen.list_id is not None:
        get_list(session, line_id, chosen.list_id)
    return _delete_members(session, list_id, contact_condition(line_id, chosen))


def lists_of_contact(session: Session, line_id: int, contact_id: int) -> list[ContactList]:
    return list(
        session.exec(
            select(ContactList)
            .join(ListMembership, col(ListMembership.list_id) == ContactList.id)
            .where(ListMembership.contact_id == contact_id, ContactList.line_id == line_id)
            .order_by(col(ContactList.name_key))
        )
    )
