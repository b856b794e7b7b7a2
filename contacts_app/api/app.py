"""The FastAPI app: routes, JSON errors, OpenAPI at /api/openapi.json and docs at /api/docs."""

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from contacts_app.api import (
    blasts,
    carriers,
    contacts,
    exports,
    health,
    imports,
    inbound,
    lines,
    lists,
    reminders,
    session,
)
from contacts_app.api.errors import install_error_handlers

API_DESCRIPTION = """\
Contacts of a business texting line, inbound texts and consent.

Authenticate with an API key of the account: `Authorization: Bearer ck_...`.
Routes act on the account's first line unless `line` names another.
Errors are JSON: `{"error": {"message": "...", "fields": {"phone": "..."}}}`.

A key acts for the account, as an administrator would: it may do what the account's plan
includes, and gets 403 for what the plan lacks (deleting contacts, Lists, Text Blasting). Restrictions an
administrator sets on a person do not apply to keys.
"""


def create_api(engine: Engine | None = None) -> FastAPI:
    """The API; `engine` is for tests, the app uses DATABASE_URL's."""
    api = FastAPI(
        title="Contacts API",
        version="1",
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.state.engine = engine
    install_error_handlers(api)
    api.include_router(inbound.router)
    api.include_router(carriers.router)
    api.include_router(contacts.router)
    api.include_router(lists.router)
    api.include_router(blasts.router)
    api.include_router(reminders.router)
    api.include_router(lines.router)
    api.include_router(exports.router)
    api.include_router(health.router)
    api.include_router(imports.router)
    api.include_router(session.router)
    # Page events learn who is signed in from a hash of the session cookie, never the token itself.
    api.add_middleware(session.EventSessionHeader)
    return api
