"""Signing in and out: the only code that hands the browser its session token, in an HttpOnly cookie.

The token never enters page state (which Reflex keeps in Redis when REFLEX_REDIS_URL is set) and
page scripts cannot read it. Forms post here natively; the answer is a redirect with `Set-Cookie`
(`HttpOnly; SameSite=Lax`, and over https `Secure` with the `__Host-` prefix).

Page events learn who is signed in from the websocket's handshake, whose headers Reflex stores
with the state: `EventSessionHeader` swaps the cookie there for the token's SHA-256 (what the
database keeps), so neither the state store nor the event handlers ever hold the raw token.
"""

import asyncio
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from contacts_app.api.deps import EngineDep
from contacts_app.db import session_scope
from contacts_app.domain import auth, users

SIGN_IN_ROUTE = "/session/sign-in"
SIGN_OUT_ROUTE = "/session/sign-out"
SETUP_ROUTE = "/session/setup"
# The page events' header carrying the session token's hash (see EventSessionHeader).
SESSION_HASH_HEADER = "x-contacts-session-hash"
EVENT_PATH_PREFIX = "/_event"
# Longer is no e-mail address; it would only go back into the redirect's query.
MAX_EMAIL_LENGTH = 320

router = APIRouter(include_in_schema=False)


def served_over_https(request: Request) -> bool:
    """Behind a proxy the scheme is the first hop's X-Forwarded-Proto."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (forwarded or request.url.scheme) == "https"


def _same_origin(request: Request) -> bool:
    """A form posted from another site (a forged sign-in or sign-out) is refused.

    Browsers send Origin with every POST; a request without one is not from a page.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return urlsplit(origin).netloc == host.split(",")[0].strip()


def _redirect(to: str) -> RedirectResponse:
    # 303: the browser follows with a GET, so a reload does not post the password again.
    return RedirectResponse(to, status_code=303)


def _with_session_cookie(response: Response, request: Request, signed_in: auth.SignIn) -> Response:
    secure = served_over_https(request)
    response.set_cookie(
        auth.session_cookie_name(secure),
        signed_in.token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    return response


def _without_session_cookie(response: Response, request: Request) -> Response:
    for secure in (False, True):
        name = auth.session_cookie_name(secure)
        if name in request.cookies:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
    return response


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post(SIGN_IN_ROUTE)
async def sign_in(request: Request, engine: EngineDep) -> Response:
    if not _same_origin(request):
        return Response("Sign in from this site's own page.", status_code=403)
    form = await _form(request)
    email = form.get("email", "")[:MAX_EMAIL_LENGTH]
    try:
        signed_in = await _in_thread(auth.authenticate, engine, email, form.get("password", ""), _client_ip(request))
    except auth.TooManyAttempts as throttled:
        query = {"error": "throttled", "retry": throttled.retry_after, "email": email}
        return _redirect("/sign-in?" + urlencode(query))
    except auth.AccountDisabled:
        return _redirect("/sign-in?" + urlencode({"error": "disabled", "email": email}))
    except auth.SignInFailed:
        return _redirect("/sign-in?" + urlencode({"error": "wrong", "email": email}))
    return _with_session_cookie(_redirect("/"), request, signed_in)


@router.post(SETUP_ROUTE)
async def create_first_admin(request: Request, engine: EngineDep) -> Response:
    """The first run's form (checked field by field on the page first, see SessionState.check_setup)."""
    if not _same_origin(request):
        return Response("Set up from this site's own page.", status_code=403)
    first_run = users.FirstRun.from_form(await _form(request))

    def set_up() -> None:
        with session_scope(engine) as session:
            users.set_up_first_admin(session, first_run)

    try:
        await _in_thread(set_up)
    except users.FirstAdminExists:
        return _redirect("/sign-in")
    except users.UserInvalid:
        # The page checked every field before posting: only a hand-made request gets here.
        return _redirect("/setup?" + urlencode({"error": "invalid"}))
    signed_in = await _in_thread(auth.authenticate, engine, first_run.email, first_run.password, _client_ip(request))
    return _with_session_cookie(_redirect("/"), request, signed_in)


@router.post(SIGN_OUT_ROUTE)
async def sign_out(request: Request, engine: EngineDep) -> Response:
    if not _same_origin(request):
        return Response("Sign out from this site's own page.", status_code=403)

    def revoke() -> None:
        with session_scope(engine) as session:
            auth.sign_out(session, auth.token_from_cookies(request.cookies))

    await _in_thread(revoke)
    return _without_session_cookie(_redirect("/sign-in"), request)


async def _in_thread(function, *args):
    # Argon2 and the database block; the event loop serves every page of this process.
    return await asyncio.to_thread(function, *args)


class EventSessionHeader:
    """ASGI middleware: page events see the session token's hash, never the token.

    On the event channel's requests (the websocket handshake, which Reflex stores with the state)
    the session cookie is taken out of the Cookie header and its SHA-256 put in SESSION_HASH_HEADER.
    A client cannot choose the hash: any SESSION_HASH_HEADER it sends is dropped first.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("websocket", "http") and scope.get("path", "").startswith(EVENT_PATH_PREFIX):
            scope = dict(scope)
            scope["headers"] = hashed_session_headers(scope.get("headers", []))
        await self.app(scope, receive, send)


def hashed_session_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept: list[tuple[bytes, bytes]] = []
    token = None
    for name, value in headers:
        lower = name.lower()
        if lower == SESSION_HASH_HEADER.encode():
            continue
        if lower == b"cookie":
            cookies = cookie_parser(value.decode("latin-1"))
            token = auth.token_from_cookies(cookies) or token
            rest = "; ".join(
                f"{key}={cookie}"
                for key, cookie in cookies.items()
                if key not in (auth.SESSION_COOKIE, auth.SECURE_SESSION_COOKIE)
            )
            if rest:
                kept.append((name, rest.encode("latin-1")))
            continue
        kept.append((name, value))
    if token:
        kept.append((SESSION_HASH_HEADER.encode(), auth.hash_token(token).encode()))
    return kept
