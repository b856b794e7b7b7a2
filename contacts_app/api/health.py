"""GET /ready: whether this web process can serve (beside Reflex's /ping, which only says it runs).

A load balancer or orchestrator polls it: 200 when the database answers with the current schema
and Redis (when REFLEX_REDIS_URL is set) answers; 503 naming what is wrong otherwise.
"""

import asyncio
import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from contacts_app.api.deps import EngineDep
from contacts_app.db import head_revision, schema_revision

READY_ROUTE = "/ready"
CHECK_TIMEOUT_SECONDS = 3.0

router = APIRouter(include_in_schema=False)


@router.get(READY_ROUTE)
async def ready(engine: EngineDep) -> JSONResponse:
    checks = {"database": await _check(_database_status(engine)), "redis": await _check(_redis_status())}
    healthy = all(status in ("ok", "not used") for status in checks.values())
    return JSONResponse({"ready": healthy, **checks}, status_code=200 if healthy else 503)


async def _check(status) -> str:
    try:
        return await asyncio.wait_for(status, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer in {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure is "not ready", reported by name
        return f"{exc.__class__.__name__}: {str(exc).strip()[:200]}"


async def _database_status(engine: Engine) -> str:
    current = await asyncio.to_thread(schema_revision, engine)
    expected = head_revision()
    if current != expected:
        return f"schema at {current or 'nothing'}, the app needs {expected} (run `contacts-app migrate`)"
    return "ok"


async def _redis_status() -> str:
    url = os.environ.get("REFLEX_REDIS_URL")
    if not url:
        return "not used"
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return "ok"
