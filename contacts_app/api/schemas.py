"""Request and response bodies of the REST API."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contacts_app.domain.custom_fields import MAX_TEXT_VALUE_LENGTH
from contacts_app.domain.tags import MAX_TAG_LENGTH, MAX_TAGS_PER_CONTACT
from contacts_app.models import Contact, Line


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored, or None.

    PostgreSQL cannot store NUL, no name, phone or address contains control characters, and a
    lone UTF-16 surrogate (JSON's "\\ud800" without its pair) is no character at all: no database
    driver can encode it.
    """
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        return "must not contain control characters"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "contains an unpaired UTF-16 surrogate (not a character)"
    return None


def _plain_text(value: str | None) -> str | None:
    problem = text_problem(value) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_plain_text)]

# What the OpenAPI description states, so that a request it calls valid is one the API accepts.
# The checks themselves stay in the domain (for the UI, import and command line alike) with
# their own messages; these only describe them.
# Some character that is not a space, and no control character but tab, newline and return.
NOT_BLANK_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*[^\s\x00-\x1f][^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
NOT_BLANK = {"minLength": 1, "pattern": NOT_BLANK_PATTERN}
NO_CONTROL_CHARACTERS = {"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"}
# A number as a person writes it (E.164, or national in the line's region); checked by libphonenumber.
PHONE = {"format": "phone", "minLength": 1}
# An address mail can reach (email-validator's rules: special-use domains such as .test are refused).
EMAIL = {"type": "string", "format": "deliverable-email"}
EMAIL_OR_EMPTY = {"anyOf": [EMAIL, {"type": "string", "maxLength": 0}]}
MAX_NAME = 200
MAX_LIST_NAME = 100
MAX_LIST_DESCRIPTION = 500
MAX_LINE_NAME = 100

Name = Annotated[Text, Field(max_length=MAX_NAME, json_schema_extra=NOT_BLANK)]
Phone = Annotated[Text, Field(max_length=100, json_schema_extra=PHONE)]
Email = Annotated[Text, Field(max_length=500, json_schema_extra=EMAIL_OR_EMPTY)]
ListName = Annotated[Text, Field(max_length=MAX_LIST_NAME, json_schema_extra=NOT_BLANK)]
# Names are the account's own (an unknown one is a 422 naming it); values are checked by the field's kind.
FieldName = Annotated[str, Field(max_length=100)]
FieldValue = Annotated[Text, Field(max_length=MAX_TEXT_VALUE_LENGTH, json_schema_extra=NO_CONTROL_CHARACTERS)]
Notes = Annotated[Text, Field(max_length=10_000, json_schema_extra=NO_CONTROL_CHARACTERS)]
Tag = Annotated[Text, Field(max_length=MAX_TAG_LENGTH, json_schema_extra=NO_CONTROL_CHARACTERS)]
ListDescription = Annotated[Text, Field(max_length=MAX_LIST_DESCRIPTION, json_schema_extra=NO_CONTROL_CHARACTERS)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Name
    phone: Phone
    email: Email | None = None
    opted_out: bool = Field(False, description="Opt the new contact out (recorded as done through the API).")
    notes: Notes | None = Field(None, description="Plain text; replaces the notes.")
    tags: list[Tag] | None = Field(
        None, max_length=MAX_TAGS_PER_CONTACT, description="The contact's whole set of tags."
    )
    fields: dict[FieldName, FieldValue | int | float | bool | None] | None = Field(
        None,
        max_length=50,
        description='Custom field values by field name; only the given fields change, null or "" clears one.',
    )


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Omitted means unchanged; null is refused (a contact always has a name and a phone).
    full_name: Name = None  # type: ignore[assignment]
    phone: Phone = None  # type: ignore[assignment]
    email: Email | None = Field(None, description="An empty string clears it.")
    opted_out: bool | None = Field(
        None, description="true opts out; false lifts only an opt-out set through the API or an import."
    )
    notes: Notes | None = Field(None, description="Plain text; replaces the notes.")
    tags: list[Tag] | None = Field(
        None, max_length=MAX_TAGS_PER_CONTACT, description="The contact's whole set of tags."
    )
    fields: dict[FieldName, FieldValue | int | float | bool | None] | None = Field(
        None,
        max_length=50,
        description='Custom field values by field name; only the given fields change, null or "" clears one.',
    )


class ContactUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = Field(None, description="Required when creating.")
    email: Email | None = None
    opted_out: bool | None = None
    notes: Notes | None = Field(None, description="Plain text; replaces the notes.")
    tags: list[Tag] | None = Field(
        None, max_length=MAX_TAGS_PER_CONTACT, description="The contact's whole set of tags."
    )
    fields: dict[FieldName, FieldValue | int | float | bool | None] | None = Field(
        None,
        max_length=50,
        description='Custom field values by field name; only the given fields change, null or "" clears one.',
    )


class ContactOut(BaseModel):
    id: int
    line_id: int
    full_name: str
    phone: str = Field(description="E.164")
    email: str | None
    opted_out: bool
    opted_out_source: str | None
    consent_status: str
    notes: str
    tags: list[str]
    fields: dict[str, str] = Field(description="Custom field values by field name (fields without a value left out).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: Contact, fields: dict[str, str], tags: list[str]) -> "ContactOut":
        return cls(
            notes=contact.notes,
            tags=tags,
            fields=fields,
            id=contact.id,
            line_id=contact.line_id,
            full_name=contact.full_name,
            phone=contact.phone,
            email=contact.email,
            opted_out=contact.opted_out,
            opted_out_source=contact.opted_out_source,
            consent_status=contact.consent_status,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        )


class ContactPageOut(BaseModel):
    data: list[ContactOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


MAX_MEMBERS_PER_REQUEST = 1000


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ListName
    description: ListDescription | None = None


class ListPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ListName = Field(None, description="Renames the list.")  # type: ignore[assignment]
    description: ListDescription | None = None


class ListOut(BaseModel):
    id: int
    line_id: int
    name: str
    description: str
    member_count: int
    created_at: datetime
    updated_at: datetime


class ListPageOut(BaseModel):
    data: list[ListOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=MAX_MEMBERS_PER_REQUEST, description="Contacts of the list's line."
    )


class MembersOut(BaseModel):
    list_id: int
    changed: int = Field(description="How many were added (or removed): members already in (or out) do not count.")
    member_count: int


class ConsentRequestOut(BaseModel):
    contact_id: int
    consent_status: str


class InboundOut(BaseModel):
    message_id: int
    contact_id: int | None
    phone: str
    keyword: str
    actions: list[str]


class ErrorDetail(BaseModel):
    message: str
    fields: dict[str, str]


class ErrorOut(BaseModel):
    error: ErrorDetail


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=MAX_LINE_NAME, json_schema_extra=NOT_BLANK)]
    phone: Phone = Field(description="Unique in the installation: inbound texts to it reach this line.")


class LinePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: Phone = Field(description="The line's new number.")


class LineOut(BaseModel):
    id: int
    name: str
    phone: str | None = Field(description="E.164; null until the number is set.")
    created_at: datetime

    @classmethod
    def of(cls, line: Line) -> "LineOut":
        return cls(id=line.id, name=line.name, phone=line.phone, created_at=line.created_at)
