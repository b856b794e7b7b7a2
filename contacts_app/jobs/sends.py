"""The outboxes the app drains on the job engine: webhook deliveries, carrier texts, and the
scheduler's two: blasts whose time has come (written into the texts) and reminders (sent)."""

from datetime import datetime

from contacts_app.carriers import sending
from contacts_app.domain import blast_queue, reminders, webhook_delivery
from contacts_app.jobs.engine import consumer_running
from contacts_app.jobs.outboxes import BLASTS, REMINDERS, TEXTS, WEBHOOKS, outbox, wake


@outbox(WEBHOOKS)
def deliver_webhooks() -> datetime | None:
    return webhook_delivery.drain(keep_going=consumer_running)


@outbox(TEXTS)
def send_texts() -> datetime | None:
    return sending.drain(keep_going=consumer_running)


@outbox(BLASTS)
def queue_blasts() -> datetime | None:
    if blast_queue.queue_due_blasts():
        # Written in bulk, not through the ORM: their commit woke no outbox.
        wake(TEXTS)
    return blast_queue.next_blast_at()


@outbox(REMINDERS)
def send_reminders() -> datetime | None:
    reminders.send_due_reminders()
    return reminders.next_reminder_at()
