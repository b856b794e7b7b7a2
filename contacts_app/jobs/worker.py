"""Running jobs: `contacts-app worker` (its own process) or a consumer inside each web process."""

import asyncio
import logging
import os
import threading

from contacts_app.jobs import core
from contacts_app.jobs.engine import describe, make_consumer

log = logging.getLogger(__name__)

# Room for an import, a Delete All and both outboxes' drains at once.
DEFAULT_THREADS = 4
HEALTH_CHECK_SECONDS = 10.0


def in_process_enabled() -> bool:
    """Whether web processes run jobs too (default yes: `bin/serve` alone does everything).

    Set CONTACTS_JOBS_IN_PROCESS=0 where `contacts-app worker` processes run the jobs, so the
    web processes only enqueue.
    """
    return os.environ.get("CONTACTS_JOBS_IN_PROCESS", "1").strip().lower() not in ("0", "false", "no", "off")


def thread_count() -> int:
    return max(1, int(os.environ.get("CONTACTS_JOBS_THREADS") or DEFAULT_THREADS))


def _start_watchdog() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=core.watchdog, args=(stop,), name="job-watchdog", daemon=True).start()
    return stop


def run_worker(threads: int | None = None) -> None:
    """Consume jobs until interrupted (SIGINT finishes the running jobs first; SIGTERM stops now)."""
    consumer = make_consumer(threads or thread_count())
    log.info("Jobs worker: %s thread(s) on %s.", consumer.workers, describe())
    stop = _start_watchdog()
    try:
        consumer.run()
    finally:
        stop.set()


async def in_process_worker() -> None:
    """The web app's lifespan task: run jobs inside this process unless told not to."""
    if not in_process_enabled():
        return
    consumer = make_consumer(thread_count(), in_process=True)
    consumer.start()
    stop = _start_watchdog()
    try:
        while True:
            await asyncio.sleep(HEALTH_CHECK_SECONDS)
            # A worker thread that died (an unexpected error in huey itself) is replaced.
            await asyncio.to_thread(consumer.check_worker_health)
    finally:
        stop.set()
        consumer.stop()
