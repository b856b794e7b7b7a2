"""The carrier send worker: hands every due queued text to its carrier, in threads, until stopped.

A lifespan task of every web process (like the webhook worker). The message rows are the
queue: a text is due when its slot in the line's rate (or its retry time) has come; `deliver`
claims the row before calling the carrier, so several processes polling at once never send a
text twice, and a process that dies mid-send leaves a claim that expires and is looked into.
"""

import asyncio
import logging

from sqlalchemy.engine import Engine

from contacts_app.carriers.delivery import deliver, due_sends
from contacts_app.db import get_engine, session_scope

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
BATCH_SIZE = 20


def _due(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return due_sends(session, limit=BATCH_SIZE)


async def run_send_worker(
    engine: Engine | None = None, poll_seconds: float = POLL_SECONDS, stop: asyncio.Event | None = None
) -> None:
    engine = engine or get_engine()
    while stop is None or not stop.is_set():
        due: list[int] = []
        try:
            due = await asyncio.to_thread(_due, engine)
            results = await asyncio.gather(*(asyncio.to_thread(deliver, engine, message_id) for message_id in due))
            for message_id, result in zip(due, results, strict=True):
                log.info("Text %s: %s", message_id, result.outcome)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a database hiccup must not end the worker for good
            log.exception("Carrier send batch failed; retrying shortly.")
            due = []
        if not due:
            if stop is not None:
                try:
                    await asyncio.wait_for(stop.wait(), poll_seconds)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(poll_seconds)


async def carrier_send_worker() -> None:
    """The app's lifespan task."""
    await run_send_worker()
