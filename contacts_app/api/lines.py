"""/api/v1/lines: the account's phone lines, so numbers can be provisioned without the browser.

A key acts for the account as an administrator would. Line numbers are unique in the whole
installation: an inbound text's `To` picks exactly one line.
"""

from fastapi import APIRouter, Path
from sqlmodel import col, select

from contacts_app.api.deps import MAX_ID, CallerDep, EngineDep
from contacts_app.api.errors import API_ERROR_STATUSES, ApiError, invalid
from contacts_app.api.schemas import ErrorOut, LineCreate, LineOut, LinePatch
from contacts_app.db import session_scope
from contacts_app.domain.lines import LineInvalid, LineNotFound, provision_line, set_line_number
from contacts_app.models import Line

ERRORS = {status: {"model": ErrorOut} for status in API_ERROR_STATUSES}
router = APIRouter(prefix="/api/v1/lines", tags=["lines"], responses=ERRORS)

LineId = Path(ge=1, le=MAX_ID)


def _line_invalid(exc: LineInvalid) -> ApiError:
    return invalid(exc.errors, status=409 if exc.duplicate else 422)


@router.get("", response_model=list[LineOut], summary="The account's lines")
def list_lines(caller: CallerDep, engine: EngineDep) -> list[LineOut]:
    with session_scope(engine) as session:
        lines = session.exec(select(Line).where(Line.account_id == caller.account_id).order_by(col(Line.id))).all()
        return [LineOut.of(line) for line in lines]


@router.post("", response_model=LineOut, status_code=201, summary="Add a line with its number")
def create(caller: CallerDep, engine: EngineDep, body: LineCreate) -> LineOut:
    with session_scope(engine) as session:
        try:
            return LineOut.of(provision_line(session, caller.account_id, body.name, body.phone))
        except LineInvalid as exc:
            raise _line_invalid(exc) from None


@router.patch("/{line_id}", response_model=LineOut, summary="Set a line's number")
def set_number(caller: CallerDep, engine: EngineDep, body: LinePatch, line_id: int = LineId) -> LineOut:
    with session_scope(engine) as session:
        try:
            return LineOut.of(set_line_number(session, caller.account_id, line_id, body.phone))
        except LineNotFound as exc:
            raise ApiError(404, str(exc)) from None
        except LineInvalid as exc:
            raise _line_invalid(exc) from None
