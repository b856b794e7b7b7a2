"""The outboxes the app drains on the job engine: webhook deliveries and carrier texts."""

from datetime import datetime

from contacts_app.carriers import sending
from contacts_app.domain import webhook_delivery
from contacts_app.jobs.outboxes import TEXTS, WEBHOOKS, outbox


@outbox(WEBHOOKS)
def deliver_webhooks() -> datetime | None:
    return webhook_delivery.drain()


@outbox(TEXTS)
def send_texts() -> datetime | None:
    return sending.drain()
