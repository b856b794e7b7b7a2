"""/api/v1/lists: lists of a line and who is in them, through the same domain functions as the Lists page.

Every route needs the Lists feature of the account's plan (403 otherwise). Members are listed
with `GET /api/v1/contacts?list=ID`.
"""

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from contacts_app.api.contacts import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from contacts_app.api.deps import MAX_ID, CallerDep, EngineDep, require_plan, resolve_line
from contacts_app.api.errors import API_ERROR_STATUSES, ApiError, invalid
from contacts_app.api.schemas import ErrorOut, ListCreate, ListOut, ListPageOut, ListPatch, MembersIn, MembersOut
from contacts_app.db import session_scope
from contacts_app.domain import lists as lists_domain
from contacts_app.domain.permissions import Action
from contacts_app.models import Contact, ContactList, ListMembership

ERRORS = {status: {"model": ErrorOut} for status in API_ERROR_STATUSES}
router = APIRouter(prefix="/api/v1/lists", tags=["lists"], responses=ERRORS)

LineParam = Query(None, ge=1, le=MAX_ID, description="Line id; the account's first line when omitted.")
ListId = Path(ge=1, le=MAX_ID)
ContactId = Path(ge=1, le=MAX_ID)


def _member_count(session: Session, list_id: int) -> int:
    return session.exec(select(func.count()).select_from(ListMembership).where(ListMembership.list_id == list_id)).one()


def _out(session: Session, contact_list: ContactList) -> ListOut:
    return ListOut(
        id=contact_list.id,
        line_id=contact_list.line_id,
        name=contact_list.name,
        description=contact_list.description,
        member_count=_member_count(session, contact_list.id),
        created_at=contact_list.created_at,
        updated_at=contact_list.updated_at,
    )


def _find(session: Session, line_id: int, list_id: int) -> ContactList:
    try:
        return lists_domain.get_list(session, line_id, list_id)
    except lists_domain.ListNotFound as exc:
        raise ApiError(404, str(exc)) from None


def _list_invalid(exc: lists_domain.ListInvalid) -> ApiError:
    # A name another list has is a conflict, as a duplicate phone is; anything else a bad value.
    return invalid(exc.errors, status=409 if exc.duplicate else 422)


@router.get("", response_model=ListPageOut, summary="List the line's lists (cursor pagination)")
def list_lists(
    caller: CallerDep,
    engine: EngineDep,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, pattern=CURSOR_PATTERN, description="The previous page's `next_cursor`."),
    line: int | None = LineParam,
) -> ListPageOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        statement = select(ContactList).where(ContactList.line_id == chosen.id)
        if cursor:
            statement = statement.where(col(ContactList.id) > decode_cursor(cursor))
        rows = session.exec(statement.order_by(col(ContactList.id)).limit(limit + 1)).all()
        page = [_out(session, contact_list) for contact_list in rows[:limit]]
        next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        return ListPageOut(data=page, next_cursor=next_cursor)


@router.post("", response_model=ListOut, status_code=201, summary="Create a list")
def create(caller: CallerDep, engine: EngineDep, body: ListCreate, line: int | None = LineParam) -> ListOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        try:
            contact_list = lists_domain.create_list(session, chosen.id, body.name, body.description or "")
        except lists_domain.ListInvalid as exc:
            raise _list_invalid(exc) from None
        return _out(session, contact_list)


@router.get("/{list_id}", response_model=ListOut, summary="Get a list")
def read(caller: CallerDep, engine: EngineDep, list_id: int = ListId, line: int | None = LineParam) -> ListOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        return _out(session, _find(session, resolve_line(session, caller, line).id, list_id))


@router.patch("/{list_id}", response_model=ListOut, summary="Rename a list or change its description")
def patch(
    caller: CallerDep, engine: EngineDep, body: ListPatch, list_id: int = ListId, line: int | None = LineParam
) -> ListOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        contact_list = _find(session, chosen.id, list_id)
        given = body.model_fields_set
        try:
            contact_list = lists_domain.update_list(
                session,
                chosen.id,
                list_id,
                body.name if "name" in given else contact_list.name,
                (body.description or "") if "description" in given else None,
            )
        except lists_domain.ListInvalid as exc:
            raise _list_invalid(exc) from None
        return _out(session, contact_list)


@router.delete("/{list_id}", status_code=204, summary="Delete a list (its contacts stay)")
def delete(caller: CallerDep, engine: EngineDep, list_id: int = ListId, line: int | None = LineParam) -> Response:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        _find(session, chosen.id, list_id)
        lists_domain.delete_list(session, chosen.id, list_id)
    return Response(status_code=204)


@router.post("/{list_id}/members", response_model=MembersOut, summary="Add contacts of the line to the list")
def add_members(
    caller: CallerDep, engine: EngineDep, body: MembersIn, list_id: int = ListId, line: int | None = LineParam
) -> MembersOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        _find(session, chosen.id, list_id)
        wanted = list(dict.fromkeys(body.contact_ids))
        found = set(
            session.exec(select(Contact.id).where(Contact.line_id == chosen.id, col(Contact.id).in_(wanted))).all()
        )
        missing = [contact_id for contact_id in wanted if contact_id not in found]
        if missing:
            shown = ", ".join(str(contact_id) for contact_id in missing[:10])
            raise ApiError(
                404,
                f"No contact {shown} on this line; nothing was added.",
                {"contact_ids": f"contact_ids: {shown} not on this line."},
            )
        changed = lists_domain.add_to_list(session, chosen.id, list_id, wanted)
        return MembersOut(list_id=list_id, changed=changed, member_count=_member_count(session, list_id))


@router.delete("/{list_id}/members/{contact_id}", response_model=MembersOut, summary="Remove a contact from the list")
def remove_member(
    caller: CallerDep,
    engine: EngineDep,
    list_id: int = ListId,
    contact_id: int = ContactId,
    line: int | None = LineParam,
) -> MembersOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.LISTS)
        chosen = resolve_line(session, caller, line)
        _find(session, chosen.id, list_id)
        contact = session.get(Contact, contact_id)
        if contact is None or contact.line_id != chosen.id:
            raise ApiError(404, f"Contact {contact_id} does not exist on this line.")
        changed = lists_domain.remove_from_list(session, chosen.id, list_id, [contact_id])
        return MembersOut(list_id=list_id, changed=changed, member_count=_member_count(session, list_id))
