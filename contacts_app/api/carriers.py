"""POST /api/v1/carriers/{carrier}/inbound and /status: a carrier's own webhooks (Twilio first).

Authenticated by the carrier's signature (X-Twilio-Signature), not by an API key: carriers
cannot send a Bearer header. Unsigned or wrongly signed requests get 403 and change nothing.
"""

from fastapi import APIRouter, Request, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from contacts_app.api.deps import EngineDep
from contacts_app.api.errors import ApiError, invalid
from contacts_app.api.schemas import ErrorOut
from contacts_app.carriers import CARRIERS, carrier_named
from contacts_app.carriers.callbacks import NotSigned, SeenRequest, take_inbound, take_status
from contacts_app.db import session_scope
from contacts_app.domain.inbound import InboundInvalid

MAX_REQUEST_BYTES = 64 * 1024
CARRIER_FORM_SCHEMA = {"type": "object", "additionalProperties": {"type": "string"}}

router = APIRouter(prefix="/api/v1/carriers", tags=["carriers"])


async def _seen(request: Request) -> SeenRequest:
    if int(request.headers.get("content-length") or 0) > MAX_REQUEST_BYTES:
        raise invalid({"body": "The request is too large."}, status=413)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise ApiError(415, "Carriers post forms (application/x-www-form-urlencoded).", {"body": "Unsupported type."})
    form = await request.form(max_files=0, max_fields=200)
    params = {str(key): value for key, value in form.items() if isinstance(value, str)}
    query = request.url.query
    return SeenRequest(
        path_and_query=request.url.path + (f"?{query}" if query else ""),
        url_as_received=str(request.url),
        headers={key.lower(): value for key, value in request.headers.items()},
        params=params,
    )


def _known(carrier: str) -> None:
    if carrier not in CARRIERS:
        raise ApiError(404, f"No carrier is called {carrier!r}.", {"carrier": "Unknown carrier."})


def _forbidden() -> ApiError:
    return ApiError(403, str(NotSigned()), {"signature": "Missing or wrong signature."})


def _receive(engine: Engine, carrier: str, seen: SeenRequest) -> None:
    try:
        with session_scope(engine) as session:
            take_inbound(session, carrier, seen)
    except NotSigned:
        raise _forbidden() from None
    except InboundInvalid as exc:
        raise invalid(exc.errors) from None
    except IntegrityError:
        # Another copy of the same carrier message committed first: it is taken in once.
        return


def _status(engine: Engine, carrier: str, seen: SeenRequest, query: dict[str, str]) -> None:
    try:
        with session_scope(engine) as session:
            take_status(session, carrier, seen, query)
    except NotSigned:
        raise _forbidden() from None


def _reply(carrier: str) -> Response:
    media_type, body = carrier_named(carrier).webhook_reply()
    return Response(content=body, media_type=media_type)


@router.post(
    "/{carrier}/inbound",
    summary="An inbound text, posted by the carrier",
    description=(
        "Paste this URL into the carrier's console (Twilio: the number's Messaging webhook). Signed by the "
        "carrier (X-Twilio-Signature); keywords (STOP, START, YES, HELP...) apply as on /api/v1/inbound. "
        "A retried delivery of one message (same MessageSid) is taken in once. Answers empty TwiML."
    ),
    response_class=Response,
    responses={
        200: {"content": {"text/xml": {}}, "description": "Taken in (or already taken in)."},
        **{status: {"model": ErrorOut} for status in (403, 404, 413, 415, 422)},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": CARRIER_FORM_SCHEMA}},
        }
    },
)
async def carrier_inbound(carrier: str, request: Request, engine: EngineDep) -> Response:
    _known(carrier)
    seen = await _seen(request)
    await run_in_threadpool(_receive, engine, carrier, seen)
    return _reply(carrier)


@router.post(
    "/{carrier}/status",
    summary="A delivery status, posted by the carrier",
    description=(
        "Set as each text's status callback by the app itself. Moves the message's status forward "
        "(queued, sent, delivered, undelivered, failed), never back; error 21610 opts the contact out."
    ),
    response_class=Response,
    responses={
        200: {"content": {"text/xml": {}}, "description": "Recorded."},
        **{status: {"model": ErrorOut} for status in (403, 404, 413, 415)},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": CARRIER_FORM_SCHEMA}},
        }
    },
)
async def carrier_status(carrier: str, request: Request, engine: EngineDep) -> Response:
    _known(carrier)
    seen = await _seen(request)
    await run_in_threadpool(_status, engine, carrier, seen, dict(request.query_params))
    return _reply(carrier)
