"""The `texts` outbox: hands every due queued text to its carrier, in threads, until none is due.

The job engine runs `drain` when a text is queued, when the next one's slot comes, and every
minute (contacts_app/jobs/sends.py). The message rows are the queue: a text is due when its slot
in the line's rate (or its retry time) has come; `deliver` claims the row before calling the
carrier, so several workers draining at once never send a text twice, and a worker that dies
mid-send leaves a claim that expires and is looked into.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from contacts_app.carriers.delivery import CLAIM_LEASE, OUTBOX_PROVIDER, as_utc, deliver, due_sends
from contacts_app.db import get_engine, session_scope
from contacts_app.models import Message, MessageStatus, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 20
# A text due this soon is waited for here rather than in a drain scheduled for it.
WAIT_SECONDS = 1.0


def _due(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return due_sends(session, limit=BATCH_SIZE)


def next_send_at(engine: Engine) -> datetime | None:
    """When the next queued carrier text comes due: its slot, and for a held one the end of the claim."""
    with session_scope(engine) as session:
        waiting = (
            col(Message.status) == MessageStatus.QUEUED,
            col(Message.idempotency_key).is_not(None),
            # A blast's texts on a line without a carrier stay in the outbox: nothing to hand them to.
            col(Message.provider) != OUTBOX_PROVIDER,
            col(Message.provider_message_id).is_(None),
        )
        free = session.exec(
            select(func.min(Message.send_after)).where(*waiting, col(Message.submitting_since).is_(None))
        ).one()
        held = session.exec(
            select(Message.send_after, Message.submitting_since)
            .where(*waiting, col(Message.submitting_since).is_not(None))
            .order_by(col(Message.submitting_since))
            .limit(BATCH_SIZE)
        ).all()
    moments = [as_utc(free)] if free is not None else []
    moments += [max(as_utc(slot), as_utc(since) + CLAIM_LEASE) for slot, since in held]
    return min(moments, default=None)


def drain(engine: Engine | None = None, keep_going: Callable[[], bool] = lambda: True) -> datetime | None:
    """Send every due text (BATCH_SIZE at once); returns when the next one is due, or None.
    Once `keep_going` says stop, the batch under way ends and the rest wait, still queued."""
    engine = engine or get_engine()
    with ThreadPoolExecutor(BATCH_SIZE, thread_name_prefix="carrier-send") as pool:
        while True:
            if not keep_going():
                return next_send_at(engine)
            due = _due(engine)
            if due:
                for message_id, result in zip(due, pool.map(lambda m: deliver(engine, m), due), strict=True):
                    log.info("Text %s: %s", message_id, result.outcome)
                continue
            next_at = next_send_at(engine)
            if next_at is None:
                return None
            wait = (next_at - utcnow()).total_seconds()
            if wait > WAIT_SECONDS:
                return next_at
            time.sleep(max(wait, 0.05))
