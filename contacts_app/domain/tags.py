"""Tags: free words on a contact ("vip", "spring-2026"), for finding and grouping without a list.

A tag is kept as typed (the first spelling on the line wins for display) and compared without
case. In a file (import, export) a contact's tags are one column, separated by commas.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, literal
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.models import Contact, ContactTag

MAX_TAG_LENGTH = 40
MAX_TAGS_PER_CONTACT = 30
TAG_SEPARATOR = ","
_COUNTED = {"preserve_rowcount": True}


@dataclass
class TagInvalid(Exception):
    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def clean_tag(raw: str) -> str:
    tag = " ".join((raw or "").split())
    if not tag:
        raise TagInvalid({"tags": "A tag cannot be empty."})
    if TAG_SEPARATOR in tag:
        raise TagInvalid({"tags": f"A tag cannot contain a comma (“{tag}”): commas separate tags in files."})
    if len(tag) > MAX_TAG_LENGTH:
        raise TagInvalid({"tags": f"The tag “{tag[:20]}…” is too long (the limit is {MAX_TAG_LENGTH} characters)."})
    return tag


def parse_tags(text: str) -> list[str]:
    """Tags written in one cell ("vip, spring sale"); blanks ignored, the same tag once."""
    tags: dict[str, str] = {}
    for part in (text or "").split(TAG_SEPARATOR):
        if part.strip():
            tag = clean_tag(part)
            tags.setdefault(tag.lower(), tag)
    if len(tags) > MAX_TAGS_PER_CONTACT:
        raise TagInvalid({"tags": f"A contact can have at most {MAX_TAGS_PER_CONTACT} tags ({len(tags)} given)."})
    return list(tags.values())


def join_tags(tags: Iterable[str]) -> str:
    return f"{TAG_SEPARATOR} ".join(tags)


def tags_of(session: Session, contact_id: int) -> list[str]:
    return list(
        session.exec(
            select(ContactTag.name).where(ContactTag.contact_id == contact_id).order_by(col(ContactTag.name_key))
        )
    )


def line_tags(session: Session, line_id: int) -> list[str]:
    """Every tag in use on the line, once each, in alphabetical order (for the filter and suggestions)."""
    rows = session.exec(
        select(ContactTag.name_key, func.min(ContactTag.name))
        .where(ContactTag.line_id == line_id)
        .group_by(col(ContactTag.name_key))
        .order_by(col(ContactTag.name_key))
    ).all()
    return [name for _key, name in rows]


def set_tags(session: Session, contact: Contact, tags: Iterable[str]) -> bool:
    """Make the contact's tags exactly these (already clean); returns whether anything changed."""
    wanted = {tag.lower(): tag for tag in tags}
    current = {row.name_key: row for row in session.exec(select(ContactTag).where(ContactTag.contact_id == contact.id))}
    for key in current.keys() - wanted.keys():
        session.delete(current[key])
    for key in wanted.keys() - current.keys():
        session.add(ContactTag(contact_id=contact.id, line_id=contact.line_id, name=wanted[key], name_key=key))
    return current.keys() != wanted.keys()


def add_tag_matching(session: Session, line_id: int, tag: str, chosen: ContactFilter) -> int:
    """Tag every contact the filter picks, in one statement; returns how many were not tagged yet."""
    clean = clean_tag(tag)
    key = clean.lower()
    rows = select(Contact.id, Contact.line_id, literal(clean), literal(key)).where(
        contact_condition(line_id, chosen),
        ~exists().where(ContactTag.contact_id == Contact.id, ContactTag.name_key == key),
    )
    table = ContactTag.__table__
    insert = postgresql_insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite_insert(table)
    statement = insert.from_select(["contact_id", "line_id", "name", "name_key"], rows).on_conflict_do_nothing()
    return session.connection().execute(statement, execution_options=_COUNTED).rowcount


def remove_tag_matching(session: Session, line_id: int, tag: str, chosen: ContactFilter) -> int:
    """Untag every contact the filter picks; returns how many had the tag."""
    key = " ".join(tag.split()).lower()
    statement = delete(ContactTag).where(
        col(ContactTag.name_key) == key,
        col(ContactTag.contact_id).in_(select(Contact.id).where(contact_condition(line_id, chosen))),
    )
    return session.connection().execute(statement, execution_options=_COUNTED).rowcount


def tags_for(session: Session, contact_ids: Iterable[int]) -> dict[int, list[str]]:
    """Several contacts' tags (a page of the API, a batch of the export)."""
    ids = list(contact_ids)
    found: dict[int, list[str]] = {contact_id: [] for contact_id in ids}
    if ids:
        rows = session.exec(
            select(ContactTag.contact_id, ContactTag.name)
            .where(col(ContactTag.contact_id).in_(ids))
            .order_by(col(ContactTag.name_key))
        ).all()
        for contact_id, name in rows:
            found[contact_id].append(name)
    return found
