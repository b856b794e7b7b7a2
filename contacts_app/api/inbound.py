"""POST /api/v1/inbound: a text from the carrier (Twilio-style form, or JSON)."""

import json

from fastapi import APIRouter, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from contacts_app.api.deps import Caller, CallerDep, EngineDep
from contacts_app.api.errors import ApiError, invalid
from contacts_app.api.schemas import NO_CONTROL_CHARACTERS, PHONE, ErrorOut, InboundOut, text_problem
from contacts_app.db import session_scope
from contacts_app.domain.inbound import (
    MAX_BODY_LENGTH,
    InboundInvalid,
    NoLineForNumber,
    line_for_number,
    receive_inbound,
)

MAX_REQUEST_BYTES = 64 * 1024
PHONE_SCHEMA = {"type": "string", "maxLength": 100, **PHONE}
BODY_SCHEMA = {"type": "string", "maxLength": MAX_BODY_LENGTH, **NO_CONTROL_CHARACTERS}
INBOUND_FORM_SCHEMA = {
    "type": "object",
    "properties": {"From": PHONE_SCHEMA, "To": PHONE_SCHEMA, "Body": BODY_SCHEMA},
    "required": ["From", "To"],
}
INBOUND_JSON_SCHEMA = {
    "type": "object",
    "properties": {"from": PHONE_SCHEMA, "to": PHONE_SCHEMA, "body": BODY_SCHEMA},
    "required": ["from", "to"],
}

router = APIRouter(prefix="/api/v1", tags=["inbound"])


async def _read_fields(request: Request) -> dict[str, str]:
    """From/To/Body out of a form or a JSON object, whatever their case."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raw = await request.body()
        if len(raw) > MAX_REQUEST_BYTES:
            raise invalid({"body": "The request is too large."}, status=413)
        try:
            data = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            raise invalid({"body": "The request body is not JSON."}) from None
        if not isinstance(data, dict):
            raise invalid({"body": "Send a JSON object with from, to and body."})
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        data = dict(await request.form(max_files=0, max_fields=50))
    else:
        raise ApiError(415, "Send a form (From, To, Body) or JSON (from, to, body).", {"body": "Unsupported type."})
    fields = {str(key).lower(): value for key, value in data.items()}
    errors = {}
    for name in ("from", "to", "body"):
        value = fields.get(name, "" if name == "body" else None)
        if value is None:
            errors[name] = f"{name}: required."
        elif not isinstance(value, str):
            errors[name] = f"{name}: must be a string."
        elif problem := text_problem(value):
            errors[name] = f"{name}: {problem}."
    if errors:
        raise invalid(errors)
    return {name: fields.get(name, "") for name in ("from", "to", "body")}


def _receive(engine: Engine, caller: Caller, fields: dict[str, str]) -> InboundOut:
    with session_scope(engine) as session:
        try:
            line = line_for_number(session, caller.account_id, fields["to"])
            result = receive_inbound(session, line, fields["from"], fields["body"])
        except NoLineForNumber as exc:
            raise ApiError(404, str(exc), exc.errors) from None
        except InboundInvalid as exc:
            raise invalid(exc.errors) from None
        return InboundOut(
            message_id=result.message_id,
            contact_id=result.contact_id,
            phone=result.phone,
            keyword=result.keyword,
            actions=list(result.actions),
        )


@router.post(
    "/inbound",
    response_model=InboundOut,
    summary="Receive a text from the carrier",
    description="`To` selects the account's line. Keywords (STOP, START, YES, HELP...) are applied.",
    responses={status: {"model": ErrorOut} for status in (400, 401, 404, 405, 413, 415, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": INBOUND_FORM_SCHEMA},
                "application/json": {"schema": INBOUND_JSON_SCHEMA},
            },
        }
    },
)
async def inbound(request: Request, caller: CallerDep, engine: EngineDep) -> InboundOut:
    fields = await _read_fields(request)
    return await run_in_threadpool(_receive, engine, caller, fields)
