"""The job engine: one huey instance whose storage follows the set-up.

- `CONTACTS_JOBS_URL` names it outright (redis://..., postgresql://..., sqlite:///path, memory://);
- otherwise Redis when `CONTACTS_REDIS_URL` or `REFLEX_REDIS_URL` is set (the scaled set-up);
- otherwise PostgreSQL when `DATABASE_URL` is PostgreSQL (tables `huey_*` beside the app's);
- otherwise a SQLite file beside the app's SQLite database (`data/contacts.jobs.db`).

The storage is (re)built on first use for the URL in force, so a test or a command that changes
`DATABASE_URL` before its first job gets the matching queue.
"""

import logging
import os
import threading
from pathlib import Path

from huey import Huey
from huey.consumer import Consumer
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage

from contacts_app.db import database_url, redis_url

log = logging.getLogger(__name__)

QUEUE_NAME = "contacts"

# Decorators (`@huey.task()`) register on this instance at import time; its storage comes later.
huey = Huey(QUEUE_NAME, storage_class=MemoryStorage, utc=True, results=False)
_configured_url: str | None = None
_configure_lock = threading.Lock()


def jobs_url() -> str:
    explicit = os.environ.get("CONTACTS_JOBS_URL")
    if explicit:
        return explicit
    redis = redis_url()
    if redis:
        return redis
    database = database_url()
    if database.startswith("postgresql"):
        return database
    path = database.split("///", 1)[-1]
    if not path or path == ":memory:":
        return "memory://"
    return f"sqlite:///{Path(path).with_suffix('.jobs.db')}"


def _storage_for(url: str):
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith("postgresql"):
        dsn = "postgresql://" + url.split("://", 1)[1]
        return PostgresStorage, {"dsn": dsn}
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        # fsync off is huey's own default for SQLite; a lost enqueue is found again by the watchdog.
        return SqliteStorage, {"filename": filename}
    if url.startswith("memory://"):
        return MemoryStorage, {}
    raise ValueError(f"CONTACTS_JOBS_URL {url!r} is not a redis://, postgresql://, sqlite:/// or memory:// URL.")


def get_huey() -> Huey:
    """The huey instance, its storage matching the current set-up."""
    global _configured_url
    url = jobs_url()
    if url != _configured_url:
        with _configure_lock:
            if url != _configured_url:
                storage_class, kwargs = _storage_for(url)
                huey.storage_class, huey.storage_kwargs = storage_class, kwargs
                huey.storage = huey.create_storage()
                _configured_url = url
    return huey


def describe() -> str:
    """Where jobs are queued, for logs and the worker's banner (no password)."""
    url = jobs_url()
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


# The consumer running in this process, while it runs.
_running: Consumer | None = None


def consumer_running() -> bool:
    """False once this process's consumer is stopping: a long drain then starts nothing new and ends,
    leaving the rest queued for the next consumer, so a deploy does not wait for a slow endpoint's every
    retry. True without a consumer (a test or the command line draining by hand)."""
    return _running is None or not _running.stop_flag.is_set()


class _AppConsumer(Consumer):
    def stop(self, graceful: bool = False) -> None:
        global _running
        try:
            super().stop(graceful)
        finally:
            if _running is self:
                _running = None


class _QuietConsumer(_AppConsumer):
    """A consumer inside another program (the web process): that program owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


def make_consumer(workers: int, in_process: bool = False) -> Consumer:
    global _running
    # Imported here: the job kinds import the domain, which must not import the engine back.
    from contacts_app.jobs import kinds  # noqa: F401 - registers every job kind's task

    consumer_class = _QuietConsumer if in_process else _AppConsumer
    _running = consumer_class(get_huey(), workers=workers, worker_type="thread", periodic=True, max_delay=1.0)
    return _running
