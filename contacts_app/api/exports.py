"""CSV downloads for the signed-in browser: streamed, so 100,000 contacts never sit in page state.

Authenticated by the browser's session cookie (the same one the pages use) and checked like an
event handler: the user, the line and the Export (and Lists) permission, on every request.
"""

from typing import Annotated

from fastapi import APIRouter, Cookie, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from contacts_app.api.deps import MAX_ID, EngineDep
from contacts_app.db import session_scope
from contacts_app.domain import auth, permissions
from contacts_app.domain.exporter import export_csv
from contacts_app.domain.lists import ListNotFound, get_list
from contacts_app.domain.permissions import Action, PermissionDenied

EXPORT_ROUTE = "/exports/contacts.csv"

router = APIRouter(include_in_schema=False)


def export_url(line_id: int, list_id: int | None = None) -> str:
    return f"{EXPORT_ROUTE}?line={line_id}" + (f"&list={list_id}" if list_id else "")


@router.get(EXPORT_ROUTE)
def download_contacts(
    engine: EngineDep,
    line: Annotated[int, Query(ge=1, le=MAX_ID)],
    list_id: Annotated[int | None, Query(alias="list", ge=1, le=MAX_ID)] = None,
    session_token: Annotated[str | None, Cookie(alias=auth.SESSION_COOKIE)] = None,
):
    with session_scope(engine) as session:
        user = auth.user_for_session(session, session_token) if session_token else None
        if user is None:
            return PlainTextResponse("Sign in to export contacts.", status_code=401)
        try:
            permissions.require_line(session, user, line)
            permissions.require(session, user, Action.EXPORT, line)
            name = "contacts"
            if list_id is not None:
                permissions.require(session, user, Action.LISTS, line)
                name = get_list(session, line, list_id).name
        except PermissionDenied as denied:
            return PlainTextResponse(str(denied), status_code=403)
        except ListNotFound as missing:
            return PlainTextResponse(str(missing), status_code=404)
    filename = "".join(c for c in name if c.isalnum() or c in " -_").strip() or "contacts"
    return StreamingResponse(
        export_csv(engine, line, list_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
