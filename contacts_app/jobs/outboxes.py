"""Outboxes on the job engine: rows that wait to be sent (webhook deliveries, carrier texts).

The rows are the queue and the truth: who holds one (a claim with a lease), when it is due (a
retry's backoff, a line's rate slot), how often it was tried. The engine only decides when to
look, with one job, `drain_outbox(name)`, that sends everything due and then schedules itself
for the time the next row comes due:

- a commit that adds or re-queues a row wakes its outbox (see `_collect`, below);
- a drain that leaves rows waiting schedules the next drain for the earliest one (one per second
  at most, however many drains ran);
- every consumer drains every outbox once a minute, so the rows of a worker that died mid-send
  (their claim lapses) or of a wake that was lost are sent anyway.

Several drains at once (processes, machines) are safe: each row is claimed before it is sent.
Inside one process, one drain per outbox runs at a time; a wake meanwhile makes it look again.
Define an outbox in a job kind's module with `@outbox("name")`: the function sends what is due
and returns when the next row is due (or None); list what wakes it in `_WAKERS`.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from contacts_app.jobs.engine import get_huey, huey
from contacts_app.models import (
    Blast,
    BlastStatus,
    DeliveryStatus,
    Message,
    MessageStatus,
    Reminder,
    ReminderStatus,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger(__name__)

WEBHOOKS = "webhooks"
TEXTS = "texts"
# Not rows to send but times to act on: due blasts are written into TEXTS, due reminders sent.
BLASTS = "blasts"
REMINDERS = "reminders"

Drain = Callable[[], datetime | None]


@dataclass
class _Outbox:
    drain: Drain
    lock: threading.Lock = field(default_factory=threading.Lock)
    again: threading.Event = field(default_factory=threading.Event)


_OUTBOXES: dict[str, _Outbox] = {}


def outbox(name: str) -> Callable[[Drain], Drain]:
    """Register `drain` (send what is due, return when the next row is due) as the outbox `name`."""

    def register(drain: Drain) -> Drain:
        _OUTBOXES[name] = _Outbox(drain)
        return drain

    return register


# --- The jobs ---------------------------------------------------------------------------------


@huey.task(name="contacts.drain_outbox", retries=3, retry_delay=5)
def drain_outbox(name: str, slot: str | None = None) -> None:
    if slot is not None:
        get_huey().get(slot)  # frees the slot, so a later drain for that second can be scheduled
    box = _OUTBOXES.get(name)
    if box is None:
        log.error("This version of the app has no outbox %r.", name)
        return
    next_due = None
    while True:
        if not box.lock.acquire(blocking=False):
            box.again.set()  # the drain under way looks again before it ends
            return
        try:
            box.again.clear()
            next_due = box.drain()
        finally:
            box.lock.release()
        if not box.again.is_set():
            break
    if next_due is not None:
        schedule_drain(name, next_due)


@huey.periodic_task(crontab(), name="contacts.sweep_outboxes")
def sweep_outboxes() -> None:
    for name in _OUTBOXES:
        drain_outbox(name)


def wake(name: str) -> None:
    """Drain the outbox now (after the commit that added its rows); a failure here only delays them."""
    try:
        get_huey()
        drain_outbox(name)
    except Exception:  # noqa: BLE001 - the rows are committed; the minute's sweep sends them
        log.exception("Could not wake the %s outbox; its sweep will send the rows.", name)


def schedule_drain(name: str, at: datetime) -> None:
    """A drain of the outbox at `at`, unless one is already scheduled for that second."""
    at = max(at, utcnow())
    slot = f"contacts.outbox.{name}.{int(at.timestamp())}"
    if get_huey().put_if_empty(slot, "1"):
        drain_outbox.schedule((name, slot), eta=at)


# --- Commits wake their outboxes ------------------------------------------------------------


def _wants_webhooks(instance: object) -> bool:
    return isinstance(instance, WebhookDelivery) and instance.status == DeliveryStatus.PENDING


def _wants_texts(instance: object) -> bool:
    return (
        isinstance(instance, Message)
        and instance.status == MessageStatus.QUEUED
        and instance.idempotency_key is not None
        and instance.provider_message_id is None
    )


def _wants_blasts(instance: object) -> bool:
    return isinstance(instance, Blast) and instance.status == BlastStatus.SCHEDULED


def _wants_reminders(instance: object) -> bool:
    return isinstance(instance, Reminder) and instance.status == ReminderStatus.SCHEDULED


_WAKERS: dict[str, Callable[[object], bool]] = {
    WEBHOOKS: _wants_webhooks,
    TEXTS: _wants_texts,
    BLASTS: _wants_blasts,
    REMINDERS: _wants_reminders,
}
_PENDING_KEY = "contacts_outboxes_to_wake"


def _collect(session: OrmSession, _flush_context) -> None:
    names: set[str] = session.info.setdefault(_PENDING_KEY, set())
    for instance in (*session.new, *session.dirty):
        for name, wants in _WAKERS.items():
            if name not in names and wants(instance):
                names.add(name)


def _wake_after_commit(session: OrmSession) -> None:
    for name in session.info.pop(_PENDING_KEY, ()):
        wake(name)


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(_PENDING_KEY, None)


event.listen(OrmSession, "after_flush", _collect)
event.listen(OrmSession, "after_commit", _wake_after_commit)
event.listen(OrmSession, "after_rollback", _forget)
