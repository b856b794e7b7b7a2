"""Which contacts: one description of a view of a line's contacts, turned into SQL in one place.

The search box, the list and review filters, the sort, "select all N matching", add/remove to a
list, consent requests to a selection, export and the REST API all pass a `ContactFilter`;
none of them writes its own WHERE.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import Boolean, and_, func, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import col, select

from contacts_app.models import (
    ConsentStatus,
    Contact,
    ContactFieldValue,
    ContactList,
    ContactTag,
    ListMembership,
    ReviewFlag,
)
from contacts_app.phones import phone_search_digits


class Sort(StrEnum):
    NAME = "name"
    RECENTLY_ADDED = "added"
    RECENTLY_UPDATED = "updated"


SORT_LABELS = {Sort.NAME: "Name", Sort.RECENTLY_ADDED: "Recently added", Sort.RECENTLY_UPDATED: "Recently updated"}


@dataclass(frozen=True)
class ContactFilter:
    """Every field narrows (they combine with AND); the default is the whole line in name order."""

    query: str = ""
    list_id: int | None = None
    # Contacts with an open "Possible opt-out" review flag.
    needs_review: bool = False
    # True: only opted-out contacts; False: only those who are not; None: both.
    opted_out: bool | None = None
    consent: ConsentStatus | None = None
    # Contacts with this tag (any case).
    tag: str = ""
    # Contacts whose custom field `field_id` holds `field_value` (any case); any value when it is "".
    field_id: int | None = None
    field_value: str = ""
    # Only these contacts (a hand-made selection); None: no such restriction. Never in an address.
    ids: tuple[int, ...] | None = None
    # Members of any of these lists (a blast's lists); None: no such restriction. Never in an address.
    any_of_lists: tuple[int, ...] | None = None
    sort: Sort = Sort.NAME

    @property
    def narrows(self) -> bool:
        """Whether some contacts of the line may be left out (the sort alone leaves everyone in)."""
        return replace(self, sort=Sort.NAME) != ContactFilter()

    @property
    def is_whole_list(self) -> bool:
        """Exactly the members of one list, nothing else narrowing."""
        return self.list_id is not None and not replace(self, list_id=None).narrows


# A search reads at most this much text and this many words: each word is a scan of the line's
# contacts, and a pasted essay must not turn into a query that holds a worker for seconds.
MAX_QUERY_LENGTH = 200
MAX_SEARCH_TERMS = 8


def search_words(query: str) -> list[str]:
    """The words a search looks for: a word inside another one adds nothing ("a" in "ada"), so
    the longest distinct words are kept, at most MAX_SEARCH_TERMS of them."""
    words = sorted(set(" ".join(query[:MAX_QUERY_LENGTH].replace("\x00", "").split()).lower().split()), key=len)
    kept: list[str] = []
    for word in reversed(words):
        if not any(word in longer for longer in kept):
            kept.append(word)
    return kept[:MAX_SEARCH_TERMS]


def search_condition(query: str):
    """Every word of the query in name, e-mail or phone; a phone-like query matches its digits."""
    text = " ".join(query[:MAX_QUERY_LENGTH].replace("\x00", "").split()).lower()
    if not text:
        return None
    digits = phone_search_digits(text)
    if digits is not None:
        return col(Contact.search_text).contains(digits, autoescape=True)
    return and_(*(col(Contact.search_text).contains(word, autoescape=True) for word in search_words(text)))


# The filters on other tables (list, tag, custom field) can be read two ways, and which is fast
# depends on how many contacts they match, which only the count tells (see
# contacts.search_contacts; measured: benchmarks/list_bench.py):
# - from their matches: `Contact.id IN (SELECT ...)` starts from the few rows the subquery finds
#   and sorts them; right for a rare tag or value, slow for 50,000 matches (all read and sorted).
# - per contact: a correlated EXISTS tests each contact as the sort's index walks the line, so
#   LIMIT stops after the first page; right when many match, a walk of the whole line when few do.


def needs_review_condition(line_id: int):
    """Contacts of the line whose number has an unresolved review flag on it."""
    flagged = select(ReviewFlag.phone).where(ReviewFlag.line_id == line_id, col(ReviewFlag.resolved_at).is_(None))
    return and_(Contact.line_id == line_id, col(Contact.phone).in_(flagged))


@dataclass(frozen=True)
class _Membership:
    """A filter met by a row of another table naming the contact (at most one row per contact)."""

    contact_id: object  # the other table's contact id column
    conditions: tuple
    # What keeps these rows alone to the line (a tag's line, a list's line; a field's values have
    # none): needless beside the contact's own line, so left out when testing one contact (the test
    # then reads the index alone), but it lets a count skip the contact (see count_statement).
    on_line: tuple = ()
    # The test of one contact on its own row, where that is cheaper than the other table's rows.
    on_contact_row: ColumnElement | None = None


class HasFieldValue(ColumnElement):
    """Whether the contact has a value of the custom field: read from its row (`field_values`).
    The lookup rows are keyed by field and value first, so one contact's are found only by value."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("field_id", InternalTraversal.dp_plain_obj)]

    def __init__(self, field_id: int) -> None:
        self.field_id = int(field_id)


@compiles(HasFieldValue)
def _has_field_value_sqlite(element: HasFieldValue, compiler, **kw) -> str:
    column = compiler.process(Contact.__table__.c.field_values, **kw)
    return f"json_type({column}, '$.\"{element.field_id}\"') IS NOT NULL"


@compiles(HasFieldValue, "postgresql")
def _has_field_value_postgresql(element: HasFieldValue, compiler, **kw) -> str:
    column = compiler.process(Contact.__table__.c.field_values, **kw)
    return f"jsonb_exists({column}::jsonb, '{element.field_id}')"


def _memberships(line_id: int, chosen: ContactFilter) -> list[_Membership]:
    """The list, custom-field and tag filters, the likely narrowest first (a value, a list, a tag)."""
    found = []
    if chosen.field_id is not None and chosen.field_value.strip():
        value_key = " ".join(chosen.field_value.split()).lower()
        found.append(
            _Membership(
                ContactFieldValue.contact_id,
                (ContactFieldValue.field_id == chosen.field_id, ContactFieldValue.value_key == value_key),
            )
        )
    if chosen.list_id is not None:
        # A list holds contacts of its own line only (lists.add_to_list, the importer).
        list_on_line = select(ContactList.id).where(ContactList.id == chosen.list_id, ContactList.line_id == line_id)
        member = (ListMembership.list_id == chosen.list_id,)
        found.append(_Membership(ListMembership.contact_id, member, on_line=(list_on_line.exists(),)))
    if chosen.tag.strip():
        key = " ".join(chosen.tag.split()).lower()
        tagged = (ContactTag.name_key == key,)
        found.append(_Membership(ContactTag.contact_id, tagged, on_line=(ContactTag.line_id == line_id,)))
    if chosen.field_id is not None and not chosen.field_value.strip():
        found.append(
            _Membership(
                ContactFieldValue.contact_id,
                (ContactFieldValue.field_id == chosen.field_id,),
                on_contact_row=HasFieldValue(chosen.field_id),
            )
        )
    return found


def _membership_condition(membership: _Membership, per_contact: bool, contact_id=Contact.id):
    """The membership as a condition on `contact_id`: tested per contact (EXISTS) or from its matches (IN)."""
    if per_contact and membership.on_contact_row is not None and contact_id is Contact.id:
        return membership.on_contact_row
    if per_contact:
        # SELECT 1, not SELECT *: SQLite then answers from the index without reading the row.
        return select(literal_column("1")).where(membership.contact_id == contact_id, *membership.conditions).exists()
    rows = select(membership.contact_id).where(*membership.on_line, *membership.conditions)
    return col(contact_id).in_(rows)


def _own_conditions(line_id: int, chosen: ContactFilter, search_apart: bool = False) -> list:
    """Every condition but the memberships: the contact's own columns, a selection, lists of a blast, review.

    `search_apart`: match the search on its own index first (for a page in date order).
    """
    conditions = [Contact.line_id == line_id]
    if chosen.ids is not None:
        conditions.append(col(Contact.id).in_(chosen.ids))
    search = search_condition(chosen.query)
    if search is not None and search_apart:
        # Matched on the (line, name, id, search_text) index, which holds the text: walking the
        # date index instead would read every contact's row to test it (300 ms at 100,000).
        matching = select(Contact.id).where(Contact.line_id == line_id, search)
        conditions.append(col(Contact.id).in_(matching))
    elif search is not None:
        conditions.append(search)
    if chosen.any_of_lists is not None:
        # A contact may be in several of the lists: IN counts it once.
        members = select(ListMembership.contact_id).where(col(ListMembership.list_id).in_(chosen.any_of_lists))
        conditions.append(col(Contact.id).in_(members))
    if chosen.needs_review:
        conditions.append(needs_review_condition(line_id))
    if chosen.opted_out is not None:
        # `=`, not `IS`: PostgreSQL looks `opted_out = false` up in the index, not `IS FALSE`.
        conditions.append(col(Contact.opted_out) == chosen.opted_out)
    if chosen.consent is not None:
        conditions.append(Contact.consent_status == chosen.consent)
    return conditions


def has_memberships(chosen: ContactFilter) -> bool:
    """Whether the filter reads a list, tag or custom field (whose best plan depends on the count)."""
    return bool(_memberships(0, chosen))


def contact_condition(line_id: int, chosen: ContactFilter | None = None, per_contact: bool = False):
    """The WHERE clause on Contact for the line's contacts that `chosen` picks.

    `per_contact`: test the list, tag and field filters on each contact (for a first page of
    many matches, walked in sort order) instead of starting from their matches.
    """
    chosen = chosen or ContactFilter()
    memberships = [_membership_condition(m, per_contact) for m in _memberships(line_id, chosen)]
    # With a list, tag or field, the page starts from those matches or tests each contact in
    # turn: either way the search is tested on the contact's row, never collected apart first.
    search_apart = chosen.sort != Sort.NAME and not memberships
    return and_(*_own_conditions(line_id, chosen, search_apart), *memberships)


def count_statement(line_id: int, chosen: ContactFilter | None = None):
    """How many contacts `chosen` picks, as a SELECT.

    With a list, tag or field filter the count starts from that table's rows (already in contact
    order in its index) and joins the contact: the same answer as counting `contact_condition`,
    without first collecting every match into a temporary set (SQLite: 115 ms -> 45 ms for
    50,000 matches). The others are tested on each of those contacts. When nothing else asks
    about the contact's own row and those rows keep to the line by themselves (a list, a tag),
    they are counted alone: no join, no pass over the line's 100,000 contacts (PostgreSQL).
    """
    chosen = chosen or ContactFilter()
    memberships = _memberships(line_id, chosen)
    own = _own_conditions(line_id, chosen)
    if not memberships:
        return select(func.count()).select_from(Contact).where(*own)
    first, rest = memberships[0], memberships[1:]
    # Only the line, which first.on_line keeps to, and nothing tested on the contact's row.
    if first.on_line and len(own) == 1 and all(m.on_contact_row is None for m in rest):
        return (
            select(func.count())
            .select_from(first.contact_id.class_)
            .where(
                *first.on_line,
                *first.conditions,
                *(_membership_condition(m, per_contact=True, contact_id=first.contact_id) for m in rest),
            )
        )
    return (
        select(func.count())
        .select_from(first.contact_id.class_)
        .join(Contact, Contact.id == first.contact_id)
        .where(
            *first.on_line,
            *first.conditions,
            *own,
            *(_membership_condition(m, per_contact=True) for m in rest),
        )
    )


def _sort_columns(sort: Sort):
    """The columns the sort walks, each paired with whether it runs newest first."""
    if sort == Sort.RECENTLY_ADDED:
        return [(Contact.created_at, True), (Contact.id, True)]
    if sort == Sort.RECENTLY_UPDATED:
        return [(Contact.updated_at, True), (Contact.id, True)]
    return [(Contact.name_key, False), (Contact.id, False)]


def order_by(sort: Sort) -> list:
    return [col(column).desc() if newest_first else col(column) for column, newest_first in _sort_columns(sort)]


def before_condition(sort: Sort, contact: Contact):
    """Contacts that come before `contact` in this sort (to find the page it is on)."""
    (first, first_desc), (second, second_desc) = _sort_columns(sort)
    first_value = getattr(contact, first.key)
    second_value = getattr(contact, second.key)
    ahead = col(first) > first_value if first_desc else col(first) < first_value
    tie = col(second) > second_value if second_desc else col(second) < second_value
    return or_(ahead, and_(col(first) == first_value, tie))


# --- The filter in a page address (?q=ada&list=3&sort=added...) ----------------------------

OPTED_OUT_PARAM = {True: "yes", False: "no"}


def filter_params(chosen: ContactFilter) -> dict[str, str]:
    """The filter as query parameters, defaults left out, so a view can be bookmarked and shared."""
    params: dict[str, str] = {}
    if chosen.query.strip():
        params["q"] = chosen.query.strip()
    if chosen.list_id is not None:
        params["list"] = str(chosen.list_id)
    if chosen.needs_review:
        params["review"] = "1"
    if chosen.opted_out is not None:
        params["opted_out"] = OPTED_OUT_PARAM[chosen.opted_out]
    if chosen.consent is not None:
        params["consent"] = chosen.consent.value
    if chosen.tag.strip():
        params["tag"] = chosen.tag.strip()
    if chosen.field_id is not None:
        params["field"] = str(chosen.field_id)
        if chosen.field_value.strip():
            params["value"] = chosen.field_value.strip()
    if chosen.sort != Sort.NAME:
        params["sort"] = chosen.sort.value
    return params


def filter_from_params(params: dict[str, str]) -> ContactFilter:
    """The filter a page address describes; a value that makes no sense is ignored, not an error."""

    def text(name: str) -> str:
        value = params.get(name, "")
        return value if isinstance(value, str) else ""

    list_text = text("list")
    field_text = text("field")
    opted_out = {value: flag for flag, value in OPTED_OUT_PARAM.items()}.get(text("opted_out"))
    consent = text("consent")
    sort = text("sort")
    return ContactFilter(
        query=text("q")[:200],
        list_id=int(list_text) if list_text.isdigit() and 0 < int(list_text) < 2**31 else None,
        needs_review=text("review") in ("1", "yes", "true"),
        opted_out=opted_out,
        consent=ConsentStatus(consent) if consent in ConsentStatus.__members__.values() else None,
        tag=text("tag")[:100],
        field_id=int(field_text) if field_text.isdigit() and 0 < int(field_text) < 2**31 else None,
        field_value=text("value")[:200],
        sort=Sort(sort) if sort in Sort.__members__.values() else Sort.NAME,
    )
