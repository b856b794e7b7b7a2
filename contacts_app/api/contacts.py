"""/api/v1/contacts: the same domain functions, validation and line scoping as the UI."""

from typing import Annotated

from email_validator import EmailNotValidError
from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import false
from sqlmodel import Session, col, select

from contacts_app.api.deps import MAX_ID, Caller, CallerDep, EngineDep, require_plan, resolve_line
from contacts_app.api.errors import API_ERROR_STATUSES, ApiError, invalid
from contacts_app.api.schemas import (
    EMAIL_OR_EMPTY,
    PHONE,
    ConsentRequestOut,
    ContactCreate,
    ContactOut,
    ContactPageOut,
    ContactPatch,
    ContactUpsert,
    ErrorOut,
)
from contacts_app.db import session_scope
from contacts_app.domain import consent, consent_requests, custom_fields
from contacts_app.domain import tags as tags_domain
from contacts_app.domain.consent import OptOutLocked, Source
from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.contacts import (
    ContactInput,
    ContactInvalid,
    ContactNotFound,
    create_contact,
    get_contact,
    normalize_email,
    region_of_line,
    update_contact,
)
from contacts_app.domain.contacts import delete_contact as delete_contact_row
from contacts_app.domain.messaging import SendingRefused
from contacts_app.domain.permissions import Action
from contacts_app.models import ConsentStatus, Contact, ContactList
from contacts_app.phones import PhoneError, normalize_phone

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The `next_cursor` of the page before: today the last id shown, written as digits.
CURSOR_PATTERN = r"^[0-9]{1,12}$"

ERRORS = {status: {"model": ErrorOut} for status in API_ERROR_STATUSES}
router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=ERRORS)

LineParam = Query(None, ge=1, le=MAX_ID, description="Line id; the account's first line when omitted.")
ContactId = Path(ge=1, le=MAX_ID)


def encode_cursor(last_id: int) -> str:
    return str(last_id)


def decode_cursor(cursor: str) -> int:
    # The pattern let only digits through; past the largest id there is simply nothing more.
    return min(int(cursor), MAX_ID)


def contact_invalid(exc: ContactInvalid) -> ApiError:
    # A phone or e-mail that another contact has is a conflict, linked to that contact; anything
    # else is a bad value.
    if exc.duplicate_id is None:
        return invalid(exc.errors)
    errors = dict(exc.errors)
    errors[exc.duplicate_field] += f" It is /api/v1/contacts/{exc.duplicate_id}."
    return invalid(errors, status=409)


def _find(session: Session, line_id: int, contact_id: int) -> Contact:
    try:
        return get_contact(session, line_id, contact_id)
    except ContactNotFound as exc:
        raise ApiError(404, str(exc)) from None


def _out(session: Session, contact: Contact) -> ContactOut:
    values = custom_fields.named_values(custom_fields.line_fields(session, contact.line_id), contact.field_values)
    return ContactOut.of(contact, values, tags_domain.tags_of(session, contact.id))


def _extras(body: ContactCreate | ContactPatch | ContactUpsert) -> dict:
    """The notes, tags and custom fields the body gives, as ContactInput's arguments."""
    given = body.model_fields_set
    return {
        "notes": (body.notes or "") if "notes" in given else None,
        "tags": (body.tags or []) if "tags" in given else None,
        "fields": (
            {name: custom_fields.api_text(value) for name, value in (body.fields or {}).items()}
            if "fields" in given
            else None
        ),
    }


def _apply_opt_out(session: Session, contact: Contact, opted_out: bool | None, caller: Caller) -> None:
    if opted_out is True:
        consent.opt_out(session, contact, Source.API, actor=caller.actor)
    elif opted_out is False:
        try:
            consent.opt_in(session, contact, Source.API, actor=caller.actor)
        except OptOutLocked as exc:
            raise invalid({"opted_out": str(exc)}, status=409) from None


@router.get("", response_model=ContactPageOut, summary="List contacts (cursor pagination)")
def list_contacts(
    caller: CallerDep,
    engine: EngineDep,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, pattern=CURSOR_PATTERN, description="The previous page's `next_cursor`."),
    phone: str | None = Query(
        None, max_length=100, description="Any format; normalised to E.164.", json_schema_extra=PHONE
    ),
    email: str | None = Query(None, max_length=500, json_schema_extra=EMAIL_OR_EMPTY),
    q: str | None = Query(None, max_length=200, description="Words in name, e-mail or phone, as the search box."),
    list_id: int | None = Query(None, alias="list", ge=1, le=MAX_ID, description="Only members of this list."),
    opted_out: bool | None = Query(None, description="Only opted-out contacts (true) or only the others (false)."),
    consent_status: Annotated[ConsentStatus | None, Query(description="Only this consent status.")] = None,
    needs_review: bool = Query(False, description="Only contacts with a text waiting for review."),
    line: int | None = LineParam,
) -> ContactPageOut:
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        which = ContactFilter(
            query=q or "", list_id=list_id, needs_review=needs_review, opted_out=opted_out, consent=consent_status
        )
        statement = select(Contact).where(contact_condition(chosen.id, which))
        if cursor:
            statement = statement.where(col(Contact.id) > decode_cursor(cursor))
        if phone is not None:
            try:
                statement = statement.where(Contact.phone == normalize_phone(phone, region_of_line(session, chosen.id)))
            except PhoneError as exc:
                raise invalid({"phone": f"phone: {exc}"}) from None
        if email is not None:
            try:
                statement = statement.where(Contact.email == normalize_email(email))
            except EmailNotValidError as exc:
                raise invalid({"email": f"email: {exc}"}) from None
        if q and "\x00" in q:
            # No stored text holds a NUL (they are refused on the way in), so nothing matches.
            statement = statement.where(false())
        if list_id is not None:
            require_plan(session, caller, Action.LISTS)
            contact_list = session.get(ContactList, list_id)
            if contact_list is None or contact_list.line_id != chosen.id:
                raise ApiError(404, f"List {list_id} is not a list of this line.", {"list": "No such list."})
        rows = session.exec(statement.order_by(col(Contact.id)).limit(limit + 1)).all()
        shown = rows[:limit]
        fields = custom_fields.line_fields(session, chosen.id)
        tags = tags_domain.tags_for(session, [contact.id for contact in shown])
        page = [
            ContactOut.of(contact, custom_fields.named_values(fields, contact.field_values), tags[contact.id])
            for contact in shown
        ]
        next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        return ContactPageOut(data=page, next_cursor=next_cursor)


@router.post("", response_model=ContactOut, status_code=201, summary="Create a contact")
def create(
    caller: CallerDep,
    engine: EngineDep,
    body: ContactCreate,
    line: int | None = LineParam,
) -> ContactOut:
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        try:
            data = ContactInput(body.full_name, body.phone, body.email or "", **_extras(body))
            contact = create_contact(session, chosen.id, data, actor=caller.actor)
        except ContactInvalid as exc:
            raise contact_invalid(exc) from None
        _apply_opt_out(session, contact, True if body.opted_out else None, caller)
        return _out(session, contact)


@router.get("/{contact_id}", response_model=ContactOut, summary="Get a contact")
def read(
    caller: CallerDep,
    engine: EngineDep,
    contact_id: int = ContactId,
    line: int | None = LineParam,
) -> ContactOut:
    with session_scope(engine) as session:
        return _out(session, _find(session, resolve_line(session, caller, line).id, contact_id))


@router.patch("/{contact_id}", response_model=ContactOut, summary="Change some fields of a contact")
def patch(
    caller: CallerDep,
    engine: EngineDep,
    body: ContactPatch,
    contact_id: int = ContactId,
    line: int | None = LineParam,
) -> ContactOut:
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        contact = _find(session, chosen.id, contact_id)
        given = body.model_fields_set
        if given & {"full_name", "phone", "email", "notes", "tags", "fields"}:
            data = ContactInput(
                full_name=body.full_name if "full_name" in given else contact.full_name,
                phone=body.phone if "phone" in given else contact.phone,
                email=(body.email or "") if "email" in given else (contact.email or ""),
                **_extras(body),
            )
            try:
                contact = update_contact(session, chosen.id, contact_id, data, actor=caller.actor)
            except ContactInvalid as exc:
                raise contact_invalid(exc) from None
        _apply_opt_out(session, contact, body.opted_out, caller)
        return _out(session, contact)


@router.delete("/{contact_id}", status_code=204, summary="Delete a contact (its consent history stays)")
def delete(
    caller: CallerDep,
    engine: EngineDep,
    contact_id: int = ContactId,
    line: int | None = LineParam,
) -> Response:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.DELETE_CONTACT)
        chosen = resolve_line(session, caller, line)
        _find(session, chosen.id, contact_id)
        delete_contact_row(session, chosen.id, contact_id)
    return Response(status_code=204)


@router.put(
    "/by-phone/{phone}",
    response_model=ContactOut,
    summary="Create or update the contact with this phone",
    description="200 with the updated contact, or 201 with the one created (which needs `full_name`).",
    responses={201: {"model": ContactOut, "description": "Created: no contact had this phone."}},
)
def upsert_by_phone(
    caller: CallerDep,
    engine: EngineDep,
    body: ContactUpsert,
    response: Response,
    phone: str = Path(max_length=100, description="Any format; normalised to E.164.", json_schema_extra=PHONE),
    line: int | None = LineParam,
) -> ContactOut:
    with session_scope(engine) as session:
        chosen = resolve_line(session, caller, line)
        try:
            e164 = normalize_phone(phone, region_of_line(session, chosen.id))
        except PhoneError as exc:
            raise invalid({"phone": f"phone: {exc}"}) from None
        existing = session.exec(select(Contact).where(Contact.line_id == chosen.id, Contact.phone == e164)).first()
        given = body.model_fields_set
        try:
            if existing is None:
                if body.full_name is None:
                    # Without a name this is an update, and there is nothing to update.
                    raise ApiError(
                        404,
                        f"No contact has the phone {e164}; send full_name to create one.",
                        {"full_name": "full_name: required to create a contact."},
                    )
                data = ContactInput(body.full_name, e164, body.email or "", **_extras(body))
                contact = create_contact(session, chosen.id, data, actor=caller.actor)
                response.status_code = 201
            else:
                data = ContactInput(
                    full_name=body.full_name if body.full_name is not None else existing.full_name,
                    phone=e164,
                    email=(body.email or "") if "email" in given else (existing.email or ""),
                    **_extras(body),
                )
                contact = update_contact(session, chosen.id, existing.id, data, actor=caller.actor)
        except ContactInvalid as exc:
            raise contact_invalid(exc) from None
        _apply_opt_out(session, contact, body.opted_out, caller)
        return _out(session, contact)


@router.post(
    "/{contact_id}/consent-request",
    response_model=ConsentRequestOut,
    summary="Text the account's consent request to the contact (never to an opted-out one)",
)
def request_consent(
    caller: CallerDep,
    engine: EngineDep,
    contact_id: int = ContactId,
    line: int | None = LineParam,
) -> ConsentRequestOut:
    with session_scope(engine) as session:
        contact = _find(session, resolve_line(session, caller, line).id, contact_id)
        try:
            consent_requests.send_consent_request(session, contact, actor=caller.actor, source=Source.API)
        except SendingRefused as exc:
            field = "opted_out" if contact.opted_out else "consent_status"
            raise invalid({field: exc.reason}, status=409) from None
        return ConsentRequestOut(contact_id=contact.id, consent_status=contact.consent_status)
