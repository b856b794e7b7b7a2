"""Which column of a file is what: proposed from the header line, changed by the user, applied per row.

A file exported from Google Contacts, Outlook, a phone or Mailchimp names its columns its own
way and in its own order. The mapping says, for each column, what it holds (a `Target`); the
importer turns every row into the import format (Full Name, Phone, Email) with it, so the
checks, the report and the writer stay the same for every kind of file. Several columns may
hold the same thing (Google's "Phone 1 - Value", "Phone 2 - Value"): the first non-empty one in
priority order wins, mobile numbers first.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from contacts_app.domain.csv_reader import COLUMNS


class Target(StrEnum):
    FULL_NAME = "full_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PHONE = "phone"
    EMAIL = "email"
    SKIP = "skip"


TARGET_LABELS = {
    Target.FULL_NAME: "Full Name",
    Target.FIRST_NAME: "First Name",
    Target.LAST_NAME: "Last Name",
    Target.PHONE: "Phone",
    Target.EMAIL: "Email",
    Target.SKIP: "Don't import",
}

# Header words, compared without case, spaces or punctuation ("E-mail Address" -> "emailaddress").
_SYNONYMS: dict[Target, tuple[str, ...]] = {
    Target.FULL_NAME: ("fullname", "name", "contact", "contactname", "displayname", "customer", "customername"),
    Target.FIRST_NAME: ("firstname", "givenname", "first", "forename", "fname"),
    Target.LAST_NAME: ("lastname", "familyname", "surname", "last", "lname"),
    Target.EMAIL: ("email", "emailaddress", "mail", "emailvalue", "primaryemail"),
}
# Phone columns in order of preference: a mobile number is what a texting line can reach.
_MOBILE_WORDS = ("mobile", "cell", "mobilephone", "cellphone", "mobilenumber", "cellnumber", "sms")
_PHONE_WORDS = ("phone", "phonenumber", "telephone", "tel", "number", "primaryphone", "phonevalue")
_OTHER_PHONE = re.compile(r"(phone|tel)")
# Google's "Phone 1 - Value" / "E-mail 2 - Value" columns.
_NUMBERED_VALUE = re.compile(r"(phone|email)\d+value")


def normalize_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.strip().lower())


def _propose(header: str) -> tuple[Target, int]:
    """What a column of this name holds, and its rank among columns holding the same (0 first)."""
    key = normalize_header(header)
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

    targets: tuple[Target, ...]
    priority: tuple[int, ...]

    @classmethod
    def of(cls, targets: list[Target] | tuple[Target, ...], ranks: list[int] | None = None) -> "ColumnMapping":
        ranks = ranks or [0] * len(targets)
        order = sorted(range(len(targets)), key=lambda index: (ranks[index], index))
        return cls(tuple(Target(t) for t in targets), tuple(order))

    def apply(self, cells: list[str]) -> list[str]:
        """The row in the import format: [Full Name, Phone, Email]."""
        found: dict[Target, str] = {}
        for index in self.priority:
            target = self.targets[index]
            if target == Target.SKIP or target in found or index >= len(cells):
                continue
            if value := cells[index].strip():
                found[target] = value
        name = found.get(Target.FULL_NAME) or " ".join(
            part for part in (found.get(Target.FIRST_NAME), found.get(Target.LAST_NAME)) if part
        )
        return [name, found.get(Target.PHONE, ""), found.get(Target.EMAIL, "")]

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
        return [f"{header} -> {TARGET_LABELS[target]}" for header, target in zip(headers, self.targets, strict=False)]

    def as_option(self, headers: list[str]) -> str:
        """The same mapping as `--map` takes it."""
        return ",".join(
            f"{header}={target.value}"
            for header, target in zip(headers, self.targets, strict=False)
            if target != Target.SKIP
        )


def positional_mapping(columns: int = len(COLUMNS)) -> ColumnMapping:
    """Today's format: Full Name, Phone, Email by position; further columns are not imported."""
    targets = [Target.FULL_NAME, Target.PHONE, Target.EMAIL][:columns]
    return ColumnMapping.of(targets + [Target.SKIP] * (columns - len(targets)))


def propose_mapping(headers: list[str]) -> ColumnMapping:
    """The mapping the header line suggests (case, spaces, punctuation and synonyms ignored)."""
    proposals = [_propose(header) for header in headers]
    targets = [target for target, _rank in proposals]
    # One name: a Full Name column wins over First/Last; an unnamed second "name" column is skipped.
    seen_single: set[Target] = set()
    for index, target in enumerate(targets):
        if target in (Target.FULL_NAME, Target.FIRST_NAME, Target.LAST_NAME):
            if target in seen_single:
                targets[index] = Target.SKIP
            seen_single.add(target)
    return ColumnMapping.of(targets, [rank for _target, rank in proposals])


def proposal_ranks(headers: list[str]) -> list[int]:
    """For each column, its rank among columns holding the same thing (mobile phones first)."""
    return [_propose(header)[1] for header in headers]


class MappingError(ValueError):
    """A `--map` text that does not fit the file's header line."""


def parse_mapping(text: str, headers: list[str]) -> ColumnMapping:
    """`Mobile=phone,Given Name=first_name` over the proposal; columns not named keep theirs."""
    proposal = propose_mapping(headers)
    targets = list(proposal.targets)
    by_name = {normalize_header(header): index for index, header in enumerate(headers)}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        column, sep, value = part.rpartition("=")
        if not sep or not column.strip():
            raise MappingError(f"“{part}” is not COLUMN=WHAT (for example Mobile=phone).")
        index = by_name.get(normalize_header(column))
        if index is None:
            raise MappingError(f"The file has no column “{column.strip()}”; its columns are: {', '.join(headers)}.")
        what = value.strip().lower()
        if what.startswith("field:"):
            raise MappingError(f"“{part}”: custom fields cannot be imported yet.")
        try:
            targets[index] = Target(what)
        except ValueError:
            choices = ", ".join(target.value for target in Target)
            raise MappingError(f"“{value.strip()}” is not something a column can hold; use one of {choices}.") from None
    return ColumnMapping.of(targets, proposal_ranks(headers))
