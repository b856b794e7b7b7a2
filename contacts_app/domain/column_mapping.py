"""Which column of a file is what: proposed from the header line, changed by the user, applied per row.

A file exported from Google Contacts, Outlook, a phone or Mailchimp names its columns its own
way and in its own order. The mapping says, for each column, what it holds (a `Target`); the
importer turns every row into the import format (Full Name, Phone, Email) with it, so the
checks, the report and the writer stay the same for every kind of file; what else a row carries
(opted out, tags, lists, notes, custom fields: `ColumnMapping.extras`) is checked and written
beside it. A custom field or a list is named in the mapping ("field:Company", "list:VIP"), so
a mapping reads the same in the dialog, on the command line and when remembered. Several columns may
hold the same thing (Google's "Phone 1 - Value", "Phone 2 - Value"): the first non-empty one in
priority order wins, mobile numbers first.
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter

from contacts_app.domain.csv_reader import COLUMNS


class Target(StrEnum):
    FULL_NAME = "full_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PHONE = "phone"
    EMAIL = "email"
    # Only ever honoured as opting out: a "no" never opts anyone back in.
    OPTED_OUT = "opted_out"
    TAGS = "tags"
    # List names separated by ";" (the export's Lists column); a named list that does not exist is made.
    LISTS = "lists"
    NOTES = "notes"
    SKIP = "skip"


# A custom field's value ("field:Company") or membership of a list ("list:VIP": a yes/no column).
FIELD_PREFIX = "field:"
LIST_PREFIX = "list:"


TARGET_LABELS = {
    Target.FULL_NAME: "Full Name",
    Target.FIRST_NAME: "First Name",
    Target.LAST_NAME: "Last Name",
    Target.PHONE: "Phone",
    Target.EMAIL: "Email",
    Target.OPTED_OUT: "Opted out (only opts out)",
    Target.TAGS: "Tags",
    Target.LISTS: "Lists (names)",
    Target.NOTES: "Notes",
    Target.SKIP: "Don't import",
}
# The export's columns that describe rather than set: consent comes from the customer, not a file.
_EXPORT_ONLY = ("optedoutsource", "consentstatus")
# "List: VIP" (yes/no): membership of the list called VIP.
_LIST_COLUMN = re.compile(r"list\s*:\s*(\S.*)", re.IGNORECASE)


def target_label(target: str) -> str:
    if target.startswith(FIELD_PREFIX):
        return target.removeprefix(FIELD_PREFIX)
    if target.startswith(LIST_PREFIX):
        return f"List: {target.removeprefix(LIST_PREFIX)}"
    return TARGET_LABELS[Target(target)]


def clean_target(text: str) -> str:
    """A target as the mapping keeps it; ValueError when the text names none."""
    for prefix in (FIELD_PREFIX, LIST_PREFIX):
        if text.lower().startswith(prefix):
            name = " ".join(text[len(prefix) :].split())
            if not name:
                raise ValueError(text)
            return prefix + name
    return Target(text.lower()).value


# Header words, compared without case, spaces or punctuation ("E-mail Address" -> "emailaddress").
_SYNONYMS: dict[Target, tuple[str, ...]] = {
    Target.FULL_NAME: ("fullname", "name", "contact", "contactname", "displayname", "customer", "customername"),
    Target.FIRST_NAME: ("firstname", "givenname", "first", "forename", "fname"),
    Target.LAST_NAME: ("lastname", "familyname", "surname", "last", "lname"),
    Target.EMAIL: ("email", "emailaddress", "mail", "emailvalue", "primaryemail"),
    Target.OPTED_OUT: ("optedout", "optout", "unsubscribed", "donottext", "smsoptout"),
    Target.TAGS: ("tags", "tag", "labels"),
    Target.LISTS: ("lists",),
    Target.NOTES: ("notes", "note", "comments"),
}
# Phone columns in order of preference: a mobile number is what a texting line can reach.
_MOBILE_WORDS = ("mobile", "cell", "mobilephone", "cellphone", "mobilenumber", "cellnumber", "sms")
_PHONE_WORDS = ("phone", "phonenumber", "telephone", "tel", "number", "primaryphone", "phonevalue")
_OTHER_PHONE = re.compile(r"(phone|tel)")
# Google's "Phone 1 - Value" / "E-mail 2 - Value" columns.
_NUMBERED_VALUE = re.compile(r"(phone|email)\d+value")


_BASIC_TARGETS = frozenset(
    {Target.FULL_NAME, Target.FIRST_NAME, Target.LAST_NAME, Target.PHONE, Target.EMAIL, Target.SKIP}
)


def normalize_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.strip().lower())


def _propose(header: str, field_names: dict[str, str]) -> tuple[str, int]:
    """What a column of this name holds, and its rank among columns holding the same (0 first).

    `field_names` maps the account's custom fields' normalized names to their names."""
    key = normalize_header(header)
    if key in field_names:
        return FIELD_PREFIX + field_names[key], 0
    if key in _EXPORT_ONLY:
        return Target.SKIP, 0
    if listed := _LIST_COLUMN.fullmatch(header.strip()):
        return LIST_PREFIX + " ".join(listed.group(1).split()), 0
    if key in _MOBILE_WORDS:
        return Target.PHONE, 0
    if key in _PHONE_WORDS:
        return Target.PHONE, 1
    if match := _NUMBERED_VALUE.fullmatch(key):
        return (Target.PHONE, 2) if match.group(1) == "phone" else (Target.EMAIL, 2)
    for target, words in _SYNONYMS.items():
        if key in words:
            return target, 0
    if _OTHER_PHONE.search(key) and not key.endswith(("type", "label", "ext", "extension")):
        return Target.PHONE, 3
    return Target.SKIP, 0


@dataclass(frozen=True)
class ColumnMapping:
    """What each column holds (`targets`, one per column) and the order in which columns
    holding the same thing are tried (`priority`, column indexes)."""

    targets: tuple[str, ...]
    priority: tuple[int, ...]
    # Column names, for the extras' problems ("Line 7, Birthday: ...").
    headers: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, targets: list[str] | tuple[str, ...], ranks: list[int] | None = None, headers: list[str] | None = None
    ) -> "ColumnMapping":
        ranks = ranks or [0] * len(targets)
        order = sorted(range(len(targets)), key=lambda index: (ranks[index], index))
        return cls(tuple(clean_target(t) for t in targets), tuple(order), tuple(headers or ()))

    def apply(self, cells: list[str]) -> list[str]:
        """The row in the import format: [Full Name, Phone, Email]."""
        full_name, first_name, last_name, phone, email = self._format_columns
        count = len(cells)
        name = _first_value(cells, count, full_name)
        if not name:
            first, last = _first_value(cells, count, first_name), _first_value(cells, count, last_name)
            name = f"{first} {last}" if first and last else first or last
        return [name, _first_value(cells, count, phone), _first_value(cells, count, email)]

    def apply_all(self, rows: list[list[str]]) -> list[Sequence[str]]:
        """`apply` for each row: a column at a time (each row a tuple) where each of Full Name, First
        Name, Last Name, Phone and Email has at most one column and every row reaches them (a big
        file's batches), else row by row."""
        columns = self._format_columns
        used = [index for targets in columns for index in targets]
        if any(len(targets) > 1 for targets in columns) or max(used, default=0) >= min(map(len, rows), default=0):
            return [self.apply(cells) for cells in rows]
        blank = [""] * len(rows)
        full_name, first_name, last_name, phone, email = (
            list(map(str.strip, map(itemgetter(targets[0]), rows))) if targets else blank for targets in columns
        )
        names = full_name
        if first_name is not blank and last_name is not blank and full_name is blank and "" not in first_name:
            # Both halves in every row (the common case): joined at C speed.
            names = list(map(" ".join, zip(first_name, last_name, strict=True)))
            if "" in last_name:
                names = [
                    name if last else first for name, first, last in zip(names, first_name, last_name, strict=True)
                ]
        elif first_name is not blank or last_name is not blank:
            names = [
                name or (f"{first} {last}" if first and last else first or last)
                for name, first, last in zip(full_name, first_name, last_name, strict=True)
            ]
        return list(zip(names, phone, email, strict=True))

    # Worked out once: `apply` runs for every row of a big file.
    @functools.cached_property
    def _format_columns(self) -> tuple[tuple[int, ...], ...]:
        """The columns of Full Name, First Name, Last Name, Phone and Email, each in priority order."""
        return tuple(
            tuple(index for index in self.priority if self.targets[index] == target)
            for target in (Target.FULL_NAME, Target.FIRST_NAME, Target.LAST_NAME, Target.PHONE, Target.EMAIL)
        )

    @functools.cached_property
    def extra_columns(self) -> tuple[int, ...]:
        return tuple(index for index, target in enumerate(self.targets) if target not in _BASIC_TARGETS)

    def field_names(self) -> list[str]:
        return [t.removeprefix(FIELD_PREFIX) for t in self.targets if t.startswith(FIELD_PREFIX)]

    def list_names(self) -> list[str]:
        return [t.removeprefix(LIST_PREFIX) for t in self.targets if t.startswith(LIST_PREFIX)]

    def fills_lists(self) -> bool:
        """Whether rows join lists (which needs the Lists permission)."""
        return Target.LISTS in self.targets or bool(self.list_names())

    def problems(self) -> list[str]:
        """Why this mapping cannot import anything (empty when it can)."""
        chosen = set(self.targets)
        missing = []
        if Target.PHONE not in chosen:
            missing.append("Choose the column that holds the phone number.")
        if not chosen & {Target.FULL_NAME, Target.FIRST_NAME, Target.LAST_NAME}:
            missing.append("Choose the column that holds the name (Full Name, or First Name and Last Name).")
        return missing

    def describe(self, headers: list[str]) -> list[str]:
        return [f"{header} -> {target_label(target)}" for header, target in zip(headers, self.targets, strict=False)]

    def as_option(self, headers: list[str]) -> str:
        """The same mapping as `--map` takes it."""
        return ",".join(
            f"{header}={target}" for header, target in zip(headers, self.targets, strict=False) if target != Target.SKIP
        )


def _first_value(cells: list[str], count: int, columns: tuple[int, ...]) -> str:
    """The first of the columns that has a value in the row ("" when none has)."""
    for index in columns:
        if index < count and (value := cells[index].strip()):
            return value
    return ""


def positional_mapping(columns: int = len(COLUMNS)) -> ColumnMapping:
    """Today's format: Full Name, Phone, Email by position; further columns are not imported."""
    targets = [Target.FULL_NAME, Target.PHONE, Target.EMAIL][:columns]
    return ColumnMapping.of(targets + [Target.SKIP] * (columns - len(targets)))


def propose_mapping(headers: list[str], field_names: list[str] | tuple[str, ...] = ()) -> ColumnMapping:
    """The mapping the header line suggests (case, spaces, punctuation and synonyms ignored);
    a column named like one of the account's custom fields (`field_names`) fills that field."""
    known = {normalize_header(name): name for name in field_names}
    proposals = [_propose(header, known) for header in headers]
    targets = [target for target, _rank in proposals]
    # One name: a Full Name column wins over First/Last; an unnamed second "name" column is skipped.
    seen_single: set[Target] = set()
    for index, target in enumerate(targets):
        if target in (Target.FULL_NAME, Target.FIRST_NAME, Target.LAST_NAME):
            if target in seen_single:
                targets[index] = Target.SKIP
            seen_single.add(target)
    return ColumnMapping.of(targets, [rank for _target, rank in proposals], headers)


def proposal_ranks(headers: list[str]) -> list[int]:
    """For each column, its rank among columns holding the same thing (mobile phones first)."""
    return [_propose(header, {})[1] for header in headers]


class MappingError(ValueError):
    """A `--map` text that does not fit the file's header line."""


def parse_mapping(text: str, headers: list[str], field_names: list[str] | tuple[str, ...] = ()) -> ColumnMapping:
    """`Mobile=phone,Given Name=first_name,Company=field:Company` over the proposal; columns not
    named keep theirs."""
    proposal = propose_mapping(headers, field_names)
    targets = list(proposal.targets)
    by_name = {normalize_header(header): index for index, header in enumerate(headers)}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        column, sep, value = part.rpartition("=")
        if not sep or not column.strip():
            raise MappingError(f"“{part}” is not COLUMN=WHAT (for example Mobile=phone).")
        index = by_name.get(normalize_header(column))
        if index is None:
            raise MappingError(f"The file has no column “{column.strip()}”; its columns are: {', '.join(headers)}.")
        try:
            targets[index] = clean_target(value.strip())
        except ValueError:
            choices = ", ".join(target.value for target in Target) + ", field:NAME, list:NAME"
            raise MappingError(f"“{value.strip()}” is not something a column can hold; use one of {choices}.") from None
    return ColumnMapping.of(targets, proposal_ranks(headers), headers)
