"""Who is calling (API key -> account) and which line they mean."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.api.errors import ApiError
from contacts_app.db import get_engine, session_scope
from contacts_app.domain.api_keys import authenticate
from contacts_app.domain.permissions import plan_of, plan_refusal
from contacts_app.models import Line

# Ids are 32-bit on PostgreSQL; a bigger one would be a database error, not a 404.
MAX_ID = 2**31 - 1

bearer = HTTPBearer(auto_error=False, description="An API key of the account: `Authorization: Bearer ck_...`")


@dataclass(frozen=True)
class Caller:
    account_id: int
    key_id: int
    actor: str  # how history names changes made with this key


def api_engine(request: Request) -> Engine:
    return getattr(request.app.state, "engine", None) or get_engine()


EngineDep = Annotated[Engine, Depends(api_engine)]


def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], engine: EngineDep
) -> Caller:
    unauthorized = ApiError(
        401, "A valid API key is required: send `Authorization: Bearer <key>`.", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    with session_scope(engine) as session:
        key = authenticate(session, credentials.credentials)
        if key is None:
            raise unauthorized
        return Caller(account_id=key.account_id, key_id=key.id, actor=f"API key “{key.name}”")


CallerDep = Annotated[Caller, Depends(current_caller)]


def resolve_line(session: Session, caller: Caller, line_id: int | None) -> Line:
    """The chosen line of the caller's account, or its first line."""
    statement = select(Line).where(Line.account_id == caller.account_id)
    if line_id is not None:
        line = session.exec(statement.where(Line.id == line_id)).first()
        if line is None:
            raise ApiError(404, f"Line {line_id} is not a line of this account.", {"line": "No such line."})
        return line
    line = session.exec(statement.order_by(col(Line.id)).limit(1)).first()
    if line is None:
        raise ApiError(409, "This account has no line yet.", {"line": "The account has no line."})
    return line


def require_plan(session: Session, caller: Caller, action: str) -> None:
    """403 unless the account's plan includes the feature.

    An API key acts for the account, not for a user: it may do what the plan includes (as an
    administrator may), and a user's personal restrictions do not apply to it.
    """
    _, features = plan_of(session, caller.account_id)
    refusal = plan_refusal(features, action)
    if refusal is not None:
        raise ApiError(403, refusal, {"plan": refusal})
