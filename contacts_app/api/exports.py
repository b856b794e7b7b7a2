"""CSV downloads for the signed-in browser: streamed, so 100,000 contacts never sit in page state.

Authenticated by the browser's session cookie (the same one the pages use) and checked like an
event handler: the user, the line and the Export (and Lists) permission, on every request.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from contacts_app.api.deps import MAX_ID, EngineDep
from contacts_app.db import session_scope
from contacts_app.domain import auth, permissions
from contacts_app.domain.contact_filter import ContactFilter, filter_from_params, filter_params
from contacts_app.domain.exporter import export_csv
from contacts_app.domain.lists import ListNotFound, get_list
from contacts_app.domain.permissions import Action, PermissionDenied

EXPORT_ROUTE = "/exports/contacts.csv"

router = APIRouter(include_in_schema=False)


def export_url(line_id: int, chosen: ContactFilter | None = None) -> str:
    """The download of the contacts the filter picks (the view on screen), in the page address's words."""
    params = {"line": str(line_id), **filter_params(chosen or ContactFilter())}
    params.pop("sort", None)
    return f"{EXPORT_ROUTE}?{urlencode(params)}"


@router.get(EXPORT_ROUTE)
def download_contacts(
    request: Request,
    engine: EngineDep,
    line: Annotated[int, Query(ge=1, le=MAX_ID)],
):
    chosen = filter_from_params(dict(request.query_params))
    list_id = chosen.list_id
    with session_scope(engine) as session:
        user = auth.user_for_session(session, auth.token_from_cookies(request.cookies))
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
        export_csv(engine, line, chosen),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
