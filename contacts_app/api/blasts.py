"""/api/v1/blasts: send a text blast to lists of a line, and follow it, through the same domain as the Blasts page.

Every route needs Text Blasting in the account's plan (403 otherwise). A key acts for the account,
so a person's Blasts switch does not apply to it (see the API's description).
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from contacts_app.api.deps import MAX_ID, CallerDep, EngineDep, require_plan, resolve_line
from contacts_app.api.errors import ApiError, invalid
from contacts_app.api.schemas import NO_CONTROL_CHARACTERS, ErrorOut, Text
from contacts_app.db import session_scope
from contacts_app.domain import blasts as blasts_domain
from contacts_app.domain.blast_text import MAX_BLAST_LENGTH, MAX_FALLBACK_LENGTH
from contacts_app.domain.permissions import Action
from contacts_app.models import Blast, Line

ERRORS = {status: {"model": ErrorOut} for status in (401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1/blasts", tags=["blasts"], responses=ERRORS)

LineParam = Query(None, ge=1, le=MAX_ID, description="Line id; the account's first line when omitted.")
BlastId = Path(ge=1, le=MAX_ID)


# Recipients: some lists, or every contact of the line.
RECIPIENTS_RULE = [
    {"required": ["list_ids"], "properties": {"list_ids": {"minItems": 1}}},
    {"required": ["all_contacts"], "properties": {"all_contacts": {"const": True}}},
]


class BlastCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": RECIPIENTS_RULE})

    message: Annotated[Text, Field(min_length=1, max_length=MAX_BLAST_LENGTH)] = Field(
        description="The text, not blank; {first_name} and {full_name} are each contact's (no other {field}).",
        json_schema_extra={"format": "blast-text"},
    )
    list_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=blasts_domain.MAX_LISTS, description="Lists of the line; each number once."
    )
    all_contacts: bool = Field(False, description="Every contact of the line instead of lists.")
    send_at: datetime | None = Field(None, description="When to send, with its zone; now when omitted.")
    merge_fallback: Annotated[Text, Field(max_length=MAX_FALLBACK_LENGTH, json_schema_extra=NO_CONTROL_CHARACTERS)] = (
        Field("", description='What an empty name becomes ("there" in "Hi {first_name}").')
    )
    confirm_count: int | None = Field(
        None, ge=0, description="The number of recipients you expect; refused (409) if it is no longer true."
    )


class BlastCounts(BaseModel):
    recipients: int
    queued: int
    held_for_quiet_hours: int
    sent: int
    delivered: int
    failed: int
    cancelled: int
    skipped_opted_out: int
    skipped_no_consent: int
    duplicates: int
    removed_since_written: int
    stop_replies: int


class BlastOut(BaseModel):
    id: int
    line_id: int
    status: str = Field(description="scheduled, queueing, queued or cancelled")
    message: str
    list_ids: list[int]
    all_contacts: bool
    send_at: datetime
    confirmed_count: int
    created_at: datetime
    counts: BlastCounts


def refusal_status(errors: dict[str, str]) -> int:
    """422 for a text that breaks the rules; 404 for a list that is not the line's; 409 when the request
    is well formed but the line's state refuses it (nobody left to text, a time passed, a changed count)."""
    if errors.keys() & {"body", "merge_fallback"}:
        return 422
    if "lists" in errors and "is not a list" in errors["lists"]:
        return 404
    return 409


def _out(session, blast: Blast) -> BlastOut:
    progress = blasts_domain.blast_progress(session, blast)
    return BlastOut(
        id=blast.id,
        line_id=blast.line_id,
        status=blast.status,
        message=blast.body,
        list_ids=list(blasts_domain.list_ids_of(blast)),
        all_contacts=blast.all_contacts,
        send_at=blast.send_at,
        confirmed_count=blast.confirmed_count,
        created_at=blast.created_at,
        counts=BlastCounts(
            recipients=progress.recipients or (blast.confirmed_count if blast.status == "scheduled" else 0),
            queued=progress.queued,
            held_for_quiet_hours=progress.held,
            sent=progress.sent,
            delivered=progress.delivered,
            failed=progress.failed,
            cancelled=progress.cancelled,
            skipped_opted_out=progress.skipped_opted_out,
            skipped_no_consent=progress.skipped_no_consent,
            duplicates=progress.duplicates,
            removed_since_written=progress.removed_since_written,
            stop_replies=progress.stop_replies,
        ),
    )


@router.post("", response_model=BlastOut, status_code=201, summary="Send (or schedule) a text blast")
def create(caller: CallerDep, engine: EngineDep, body: BlastCreate, line: int | None = LineParam) -> BlastOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.BLASTS)
        chosen = resolve_line(session, caller, line)
        draft = blasts_domain.BlastDraft(
            body=body.message,
            list_ids=tuple(body.list_ids),
            all_contacts=body.all_contacts,
            send_at=body.send_at,
            merge_fallback=body.merge_fallback,
        )
        try:
            blast = blasts_domain.create_blast(session, chosen.id, draft, body.confirm_count, actor=caller.actor)
        except blasts_domain.BlastInvalid as exc:
            raise invalid(exc.errors, status=refusal_status(exc.errors)) from None
        return _out(session, blast)


@router.get("/{blast_id}", response_model=BlastOut, summary="A blast with its counts by status")
def read(caller: CallerDep, engine: EngineDep, blast_id: int = BlastId) -> BlastOut:
    with session_scope(engine) as session:
        require_plan(session, caller, Action.BLASTS)
        blast = session.get(Blast, blast_id)
        line = session.get(Line, blast.line_id) if blast else None
        if blast is None or line is None or line.account_id != caller.account_id:
            raise ApiError(404, f"Blast {blast_id} is not a blast of this account.")
        return _out(session, blast)
