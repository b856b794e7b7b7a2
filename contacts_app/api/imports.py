"""The Import dialog's file upload and bad-rows download, for the signed-in browser.

The upload is a raw request body streamed to a private file, never a multipart form that the
framework spools whole before any code runs: sign-in and the Import permission are checked
first (from the session cookie, like the export download), then the declared length, then every
chunk as it arrives, so nothing past MAX_IMPORT_BYTES and nothing from a signed-out visitor is
written to disk.
"""

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from contacts_app.api.deps import MAX_ID, EngineDep
from contacts_app.db import session_scope
from contacts_app.domain import auth, import_files, permissions
from contacts_app.domain.csv_reader import MAX_IMPORT_BYTES
from contacts_app.domain.permissions import Action, PermissionDenied

UPLOAD_ROUTE = "/imports/upload"
BAD_ROWS_ROUTE = "/imports/problems"
MAX_FILE_NAME_LENGTH = 200
TOO_LARGE = (
    "“{name}” is larger than the {limit} MB limit. Split it into smaller files and import them one after another."
)

router = APIRouter(include_in_schema=False)


def upload_url(line_id: int) -> str:
    return f"{UPLOAD_ROUTE}?line={line_id}"


def bad_rows_url(report_id: str) -> str:
    return f"{BAD_ROWS_ROUTE}/{report_id}"


def _refusal(status: int, message: str) -> JSONResponse:
    # Connection: close, so a client still sending the body is not kept waiting for it to end.
    return JSONResponse({"error": message}, status_code=status, headers={"Connection": "close"})


def _user_allowed_to_import(engine, token: str | None, line_id: int) -> tuple[int | None, JSONResponse | None]:
    with session_scope(engine) as session:
        user = auth.user_for_session(session, token) if token else None
        if user is None:
            return None, _refusal(401, "Sign in to import contacts.")
        try:
            permissions.require_line(session, user, line_id)
            permissions.require(session, user, Action.IMPORT, line_id)
        except PermissionDenied as denied:
            return None, _refusal(403, str(denied))
        return user.id, None


@router.post(UPLOAD_ROUTE)
async def upload_import_file(
    request: Request,
    engine: EngineDep,
    line: Annotated[int, Query(ge=1, le=MAX_ID)],
):
    """Stage the request body as the user's import file; answers {"id", "name", "size"}."""
    name = unquote(request.headers.get("x-file-name", ""))[:MAX_FILE_NAME_LENGTH].strip() or "upload.csv"
    too_large = _refusal(413, TOO_LARGE.format(name=name, limit=MAX_IMPORT_BYTES // (1024 * 1024)))
    # The database check runs in a thread: the event loop keeps serving everyone else meanwhile.
    session_token = auth.token_from_cookies(request.cookies)
    user_id, refused = await run_in_threadpool(_user_allowed_to_import, engine, session_token, line)
    if refused is not None:
        return refused
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_IMPORT_BYTES):
        return too_large
    import_files.sweep_stale_files()
    staged_id, path = import_files.new_staged_file(user_id, name)
    size = 0
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    break
                out.write(chunk)
    except ClientDisconnect:
        import_files.discard(path)
        return _refusal(400, "The upload was interrupted. Try again.")
    if size > MAX_IMPORT_BYTES:
        import_files.discard(path)
        return too_large
    return {"id": staged_id, "name": name, "size": size}


@router.post("/_upload")
def refuse_framework_upload() -> JSONResponse:
    """Reflex's own upload endpoint parses (and spools) a whole multipart body before any check.

    The app no longer uses it, but Reflex keeps the route while a marker from an older build
    remains in `.web`; this route answers first, before a byte of the body is read.
    """
    return _refusal(404, f"Uploads go to {UPLOAD_ROUTE}.")


@router.get(f"{BAD_ROWS_ROUTE}/{{report_id}}")
def download_bad_rows(report_id: str, request: Request, engine: EngineDep):
    """The rows an import could not take, with an Error column; only for the user who ran it."""
    with session_scope(engine) as session:
        user = auth.user_for_session(session, auth.token_from_cookies(request.cookies))
        if user is None:
            return PlainTextResponse("Sign in to download the rows.", status_code=401)
        user_id = user.id
    path = import_files.staged_file(user_id, report_id)
    if path is None or not report_id.endswith(import_files.PROBLEMS_SUFFIX):
        return PlainTextResponse("That report is gone: run the import again to see its problems.", status_code=404)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename="contacts-import-problems.csv")
