"""Webhook delivery: claim due rows of the outbox, POST each one signed, record each result.

The `webhooks` outbox job (`drain`, run by the job engine when a delivery is queued, when its
retry is due, and every minute) keeps no state of its own: everything it needs is in
`webhook_delivery`, so a restart (or a second worker) picks up where the last one stopped. A delivery is
claimed by pushing its `next_attempt_at` a lease ahead in one conditional UPDATE; if the
process dies mid-attempt the row simply comes due again when the lease runs out. Each
attempt has one deadline for the whole exchange, far shorter than the lease, and its result
is written the moment it is known, only while the claim still holds: an event reaches each
endpoint once per attempt, however slow another endpoint is.
"""

import asyncio
import logging
import random
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial

import httpx
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from contacts_app.db import get_engine, session_scope
from contacts_app.domain.webhook_destinations import DestinationRefused, check_url, resolve
from contacts_app.domain.webhooks import signed_headers
from contacts_app.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

# The whole exchange (lookup, connection, answer), not each read: see send_delivery.
DELIVERY_DEADLINE_SECONDS = 15.0
# Far longer than the deadline, so a live attempt is never claimed twice.
CLAIM_LEASE = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0
BATCH_SIZE = 20
# Deliveries one process sends at once, in all and to any one endpoint.
MAX_IN_FLIGHT = 50
PER_ENDPOINT_IN_FLIGHT = 4
# What the delivery log keeps of an answer: enough to debug a receiver, too little to read a page.
RESPONSE_KEEP_CHARS = 200
RESPONSE_KEEP_BYTES = RESPONSE_KEEP_CHARS * 4


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    endpoint_id: int
    event_id: str
    url: str
    secret: str
    payload: str
    attempts: int
    give_up_at: datetime
    # The `next_attempt_at` our claim wrote: the result is recorded only while it is still there,
    # so a claim that outlived its lease can never record over the next owner's attempt.
    lease_until: datetime


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    response: str | None = None


def as_utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def backoff_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential in the attempts made, with "equal jitter" so endpoints that fail together retry apart."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=delay / 2 + (rng or random).uniform(0, delay / 2))


def claim_due(
    engine: Engine,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    busy: Mapping[int, int] | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries of enabled endpoints; each is ours until the lease ends.

    At most PER_ENDPOINT_IN_FLIGHT per endpoint, counting the `busy` ones this process is still
    sending, so a slow endpoint's backlog never fills the batch ahead of the others.
    """
    now = now or utcnow()
    busy = busy or {}
    ranked = (
        select(
            col(WebhookDelivery.id).label("id"),
            func.row_number()
            .over(
                partition_by=WebhookDelivery.endpoint_id,
                order_by=(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id)),
            )
            .label("rank"),
        )
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, col(WebhookDelivery.next_attempt_at) <= now)
        .subquery()
    )
    claimed: list[ClaimedDelivery] = []
    taken_per_endpoint: dict[int, int] = dict(busy)
    with session_scope(engine) as session:
        rows = session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(ranked, ranked.c.id == WebhookDelivery.id)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(ranked.c.rank <= PER_ENDPOINT_IN_FLIGHT, col(WebhookEndpoint.enabled))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        ).all()
        for delivery, endpoint in rows:
            if len(claimed) >= limit:
                break
            if taken_per_endpoint.get(endpoint.id, 0) >= PER_ENDPOINT_IN_FLIGHT:
                continue
            lease_until = now + lease
            taken = session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == delivery.id,
                    col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) == delivery.next_attempt_at,
                )
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                taken_per_endpoint[endpoint.id] = taken_per_endpoint.get(endpoint.id, 0) + 1
                claimed.append(
                    ClaimedDelivery(
                        id=delivery.id,
                        endpoint_id=endpoint.id,
                        event_id=delivery.event_id,
                        url=endpoint.url,
                        secret=endpoint.secret,
                        payload=delivery.payload,
                        attempts=delivery.attempts,
                        give_up_at=as_utc(delivery.give_up_at),
                        lease_until=lease_until,
                    )
                )
    return claimed


async def send_delivery(delivery: ClaimedDelivery, deadline: float = DELIVERY_DEADLINE_SECONDS) -> AttemptResult:
    """One signed POST, all of it (name lookup, connection, answer) within `deadline` seconds.

    httpx's timeouts apply to each read, so a receiver that trickles a byte at a time would hold
    the request for ever; the deadline here is for the whole exchange. 2xx is success, anything
    else (redirects included) a failure. The host is resolved and every address checked now,
    then the request goes to the checked address (see webhook_destinations).
    """
    try:
        async with asyncio.timeout(deadline):
            return await _post(delivery)
    except TimeoutError:
        return AttemptResult(ok=False, error=f"No complete answer within {deadline:g} s.")
    except DestinationRefused as exc:
        return AttemptResult(ok=False, error=str(exc))
    except (httpx.HTTPError, OSError) as exc:
        return AttemptResult(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:RESPONSE_KEEP_CHARS])


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~70 ms of CPU: once per process, not once per delivery.
    return httpx.create_ssl_context()


async def _post(delivery: ClaimedDelivery) -> AttemptResult:
    url = httpx.URL(delivery.url)
    if url.scheme not in ("http", "https"):
        return AttemptResult(ok=False, error="Only http(s) URLs are delivered to.")
    host, port = check_url(delivery.url)
    [address, *_] = await resolve(host, port)
    timestamp = int(utcnow().timestamp())
    headers = signed_headers(delivery.secret, delivery.event_id, delivery.payload, timestamp)
    headers["host"] = url.netloc.decode("ascii")
    # trust_env=False: a proxy from the environment would connect to the name, not the checked address.
    async with httpx.AsyncClient(
        follow_redirects=False, trust_env=False, timeout=None, verify=_tls_context()
    ) as client:
        request = client.build_request(
            "POST",
            url.copy_with(host=address),
            content=delivery.payload.encode(),
            headers=headers,
            # The certificate is still checked against the name, not the address.
            extensions={"sni_hostname": host} if url.scheme == "https" else {},
        )
        response = await client.send(request, stream=True)
        try:
            ok = 200 <= response.status_code < 300
            body = b""
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) >= RESPONSE_KEEP_BYTES:
                    break
        except httpx.HTTPError:
            body = b""  # the status is the answer; the body is only shown
        finally:
            await response.aclose()
    return AttemptResult(
        ok=ok,
        status_code=response.status_code,
        response=body.decode("utf-8", errors="replace")[:RESPONSE_KEEP_CHARS],
    )


def record_attempt(
    engine: Engine,
    delivery: ClaimedDelivery,
    result: AttemptResult,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str:
    """Store the outcome; schedule the next try or give up. Returns the new status.

    Only while our claim holds: if the lease ran out and another worker took the delivery,
    that worker records its own attempt and ours is dropped (logged), never counted twice.
    """
    now = now or utcnow()
    attempts = delivery.attempts + 1
    values: dict = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "last_response": result.response,
    }
    if result.ok:
        values.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now)
    else:
        next_at = now + backoff_delay(attempts, rng)
        if next_at > delivery.give_up_at:
            values.update(status=DeliveryStatus.FAILED)
        else:
            values.update(next_attempt_at=next_at)
    with session_scope(engine) as session:
        written = session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery.id,
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookDelivery.next_attempt_at) == delivery.lease_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if written.rowcount != 1:
        log.warning("Webhook delivery %s: the claim was lost before its result came; not recorded.", delivery.id)
    return values.get("status", DeliveryStatus.PENDING)


async def attempt_delivery(
    engine: Engine,
    delivery: ClaimedDelivery,
    deadline: float = DELIVERY_DEADLINE_SECONDS,
    now: datetime | None = None,
) -> str:
    """Send one claimed delivery and record its result at once: the one path every caller takes.

    `now` stands for the clock when recording (tests replay a day of retries in a second).
    """
    result = await send_delivery(delivery, deadline)
    return await asyncio.to_thread(record_attempt, engine, delivery, result, now)


def deliver_due(engine: Engine | None = None, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Claim one batch and deliver it through `attempt_delivery`; returns how many were attempted.

    For tests that step through time; the app runs `drain` on the job engine.
    """
    engine = engine or get_engine()
    claimed = claim_due(engine, now, limit)

    async def deliver_all() -> None:
        await asyncio.gather(*(attempt_delivery(engine, delivery, now=now) for delivery in claimed))

    if claimed:
        asyncio.run(deliver_all())
    return len(claimed)


async def deliver_until_idle(
    engine: Engine | None = None,
    deadline: float | None = None,
    lease: timedelta | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Deliver everything due, then return (the job engine runs this: see `drain`).

    Each delivery is its own task and records its result the moment it has one; new ones are
    claimed as soon as there is room, so a slow endpoint (at most PER_ENDPOINT_IN_FLIGHT at a
    time, each within `deadline`) never holds up another endpoint's deliveries. It returns once
    nothing is due and nothing is under way, or once `keep_going` says stop and the deliveries
    under way have ended (the rest stay pending, claimed by nobody).
    """
    deadline = DELIVERY_DEADLINE_SECONDS if deadline is None else deadline
    lease = lease or CLAIM_LEASE
    if deadline >= lease.total_seconds():
        raise ValueError("The claim lease must outlast the delivery deadline.")
    engine = engine or get_engine()
    in_flight: dict[int, int] = {}
    tasks: set[asyncio.Task] = set()
    finished = asyncio.Event()

    def done(endpoint_id: int, task: asyncio.Task) -> None:
        tasks.discard(task)
        in_flight[endpoint_id] -= 1
        if not in_flight[endpoint_id]:
            del in_flight[endpoint_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("Webhook delivery failed to record.", exc_info=task.exception())
        finished.set()

    try:
        while True:
            finished.clear()
            claimed: list[ClaimedDelivery] = []
            room = MAX_IN_FLIGHT - len(tasks)
            if room > 0 and keep_going():
                claimed = await asyncio.to_thread(claim_due, engine, None, room, dict(in_flight), lease)
            for delivery in claimed:
                in_flight[delivery.endpoint_id] = in_flight.get(delivery.endpoint_id, 0) + 1
                task = asyncio.create_task(attempt_delivery(engine, delivery, deadline))
                tasks.add(task)
                task.add_done_callback(partial(done, delivery.endpoint_id))
            if claimed:
                continue
            if not tasks:
                return
            # Room frees (or an endpoint's turn comes) when a delivery under way ends.
            await finished.wait()
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


def next_due_at(engine: Engine | None = None) -> datetime | None:
    """When the next pending delivery of an enabled endpoint comes due (a retry, or a lapsing claim)."""
    with session_scope(engine) as session:
        moment = session.exec(
            select(func.min(WebhookDelivery.next_attempt_at))
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, col(WebhookEndpoint.enabled))
        ).one()
    return as_utc(moment) if moment is not None else None


def drain(engine: Engine | None = None, keep_going: Callable[[], bool] = lambda: True) -> datetime | None:
    """The `webhooks` outbox's job (contacts_app/jobs/sends.py): deliver what is due, say when to look again."""
    engine = engine or get_engine()
    asyncio.run(deliver_until_idle(engine, keep_going=keep_going))
    return next_due_at(engine)
