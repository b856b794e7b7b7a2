"""Live updates: a change is pushed to the open pages that show it; no page polls the database.

Topics are per line (`line_topic`). A message is a small dict: `{"changed": True, "id": ...}` when the
line's contacts, consent, texts or review flags changed, or a job's progress and outcome
(`{"job": id, "kind": ..., "status": ..., "done": ..., "total": ..., "message": ...}`).

- With Redis configured (`CONTACTS_REDIS_URL` or `REFLEX_REDIS_URL`), messages go through Redis
  pub/sub, so every web process, and the workers on other machines, reach every open page.
- Without it (the single-process default), they go from thread to thread inside the process.

Changes made through the ORM are announced by themselves after their transaction commits (see
`install_session_hooks`); bulk statements (Delete All, imports) announce with `publish`.
An idle page costs an awaiting coroutine: no query, no timer.
"""

import asyncio
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "contacts.live."
# A change the page itself asks to see (its watcher's first look); announced changes carry an id.
CHANGED: dict[str, Any] = {"changed": True}
# Messages a slow page may fall behind by before older ones are dropped (it then reloads anyway).
QUEUE_LIMIT = 100


def line_topic(line_id: int) -> str:
    return f"line.{line_id}"


def change_message(contacts: Collection[int] | None = None, columns: Collection[str] | None = None) -> dict[str, Any]:
    """One announced change. Its id is the same for every page that hears it, in every process:
    pages reading the same view after it may share one read (state/contacts.py).

    `contacts`: when only these contacts' own rows changed, pages showing another contact need not
    read theirs again; None when any contact's texts or consent may have changed.
    `columns`: when those contacts were only edited (none added or deleted), the columns that
    changed: a page that shows none of them, and whose view those columns cannot change, need not
    read anything (see `may_change_view`).
    """
    message: dict[str, Any] = {"changed": True, "id": uuid.uuid4().hex}
    if contacts is not None and len(contacts) <= NAMED_CONTACTS_MAX:
        message["contacts"] = sorted(contacts)
        if columns is not None:
            message["columns"] = sorted(columns)
    return message


# --- Subscribers in this process ------------------------------------------------------------


class Subscription:
    """Messages of one topic for one coroutine; made by `subscribe`, read with `next`."""

    def __init__(self, topic: str, loop: asyncio.AbstractEventLoop):
        self.topic = topic
        self._loop = loop
        self._queue: asyncio.Queue[dict] = asyncio.Queue()

    def _push(self, message: dict) -> None:
        # Runs on the subscriber's loop. A full queue keeps the latest: pages reload on any message.
        if self._queue.qsize() >= QUEUE_LIMIT:
            self._queue.get_nowait()
        self._queue.put_nowait(message)

    async def next(self, timeout: float | None = None) -> dict | None:
        """The next message, or None after `timeout` seconds without one."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def drain(self) -> list[dict]:
        """Messages already waiting (to handle a burst as one)."""
        messages = []
        while not self._queue.empty():
            messages.append(self._queue.get_nowait())
        return messages


_subscribers: dict[str, set[Subscription]] = {}
_subscribers_lock = threading.Lock()
# How many messages of each topic this process has delivered (see heard_mark).
_heard: dict[str, int] = {}


def _deliver_here(topic: str, message: dict) -> None:
    with _subscribers_lock:
        _heard[topic] = _heard.get(topic, 0) + 1
        targets = list(_subscribers.get(topic, ()))
    for subscription in targets:
        try:
            subscription._loop.call_soon_threadsafe(subscription._push, message)
        except RuntimeError:  # its loop closed (the process is stopping)
            pass


@contextmanager
def subscribe(topic: str) -> Iterator[Subscription]:
    """Receive the topic's messages in the running event loop while the block lasts."""
    subscription = Subscription(topic, asyncio.get_running_loop())
    with _subscribers_lock:
        _subscribers.setdefault(topic, set()).add(subscription)
    _backend().ensure_listening(topic)
    try:
        yield subscription
    finally:
        with _subscribers_lock:
            group = _subscribers.get(topic)
            if group is not None:
                group.discard(subscription)
                if not group:
                    del _subscribers[topic]


def heard_mark(topic: str) -> str:
    """What this process has heard of the topic so far; "" when it cannot tell.

    A page takes the mark before it reads, and its watcher compares it once subscribed: the same
    mark means no message of the topic arrived in between, so the page's read is still current and
    the watcher's first look can be skipped. Only a process that hears every topic can tell (the
    Redis backend, once its listener is subscribed; its marks change when it subscribes again).
    """
    epoch = _backend().listening_epoch()
    if not epoch:
        return ""
    with _subscribers_lock:
        return f"{epoch}:{topic}:{_heard.get(topic, 0)}"


# --- One watcher per open page ---------------------------------------------------------------

# The page (client token) -> its watcher's subscription, in this process.
_pages: dict[str, Subscription] = {}
STOP: dict[str, Any] = {"stop": True}
RESUBSCRIBE: dict[str, Any] = {"resubscribe": True}


# The page (client token) -> what it shows, as its latest read in this process left it (see
# ContactsState._note_view). Only pages with a watcher here are kept.
_views: dict[str, "PageView"] = {}


@dataclass(frozen=True)
class PageView:
    # The contact open in the details (0: none): any change to it shows.
    open_contact: int
    # The contacts of the list's rows: a change to `row_columns` of one of them shows.
    rows: frozenset[int]
    row_columns: frozenset[str]
    # A change to these columns of any contact could bring it into the view or move it.
    view_columns: frozenset[str]


@contextmanager
def watch_page(token: str, topic: str) -> Iterator[Subscription]:
    """Like `subscribe`, for the page `token`: a page has one watcher, the newest (the older gets STOP)."""
    with subscribe(topic) as subscription:
        previous = _pages.get(token)
        _pages[token] = subscription
        # What an earlier watcher here noted may be older than the page: its next read notes it again.
        _views.pop(token, None)
        if previous is not None:
            previous._loop.call_soon_threadsafe(previous._push, STOP)
        try:
            yield subscription
        finally:
            if _pages.get(token) is subscription:
                del _pages[token]
                _views.pop(token, None)


def note_view(token: str, view: PageView) -> None:
    """What the page `token` now shows (kept while it has a watcher in this process)."""
    if token in _pages:
        _views[token] = view


def may_change_view(token: str, messages: list[dict]) -> bool:
    """False only when no message of the burst can change what the page shows: none touches its
    open contact, a row column (`row_columns`) of a contact on its page, or a column that could
    bring a contact into its view or move one (`view_columns`); the page then needs no read at all.
    True when unsure (no view noted here, a message naming no columns: an add, a delete, another table)."""
    view = _views.get(token)
    if view is None:
        return True
    for message in messages:
        if "columns" not in message or "contacts" not in message:
            return True
        contacts, columns = message["contacts"], message["columns"]
        if view.open_contact in contacts or view.view_columns.intersection(columns):
            return True
        if view.rows.intersection(contacts) and view.row_columns.intersection(columns):
            return True
    return False


def nudge_page(token: str) -> None:
    """The page now shows another topic (line): its watcher subscribes again."""
    subscription = _pages.get(token)
    if subscription is not None:
        subscription._loop.call_soon_threadsafe(subscription._push, RESUBSCRIBE)


# --- Reads shared by the pages that hear one change ------------------------------------------

# Changes whose reads are kept: a burst is shown within a second, so only the newest matter.
SHARED_CHANGES_KEPT = 64
# A page waits this long for another's read of the same view before reading it itself.
SHARED_READ_WAIT_SECONDS = 5.0


class _SharedRead:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.failed = False


_shared: OrderedDict[str, dict[Hashable, _SharedRead]] = OrderedDict()
_shared_lock = threading.Lock()


def shared_read(change_id: str, key: Hashable, read: Callable[[], Any]) -> Any:
    """`read()`, or what another page of this process read for the same `key` after the same change.

    Every open page of a line hears a change at the same moment (one edit reaches all ten pages
    of a business's staff); pages showing the same view then read it once between them. Any read
    made after the change arrived is as fresh as that change, and later changes come with ids of
    their own. The value must not hold database objects (it outlives the reader's session).
    """
    with _shared_lock:
        reads = _shared.get(change_id)
        if reads is None:
            reads = _shared[change_id] = {}
            while len(_shared) > SHARED_CHANGES_KEPT:
                _shared.popitem(last=False)
        entry = reads.get(key)
        mine = entry is None
        if mine:
            entry = reads[key] = _SharedRead()
    if not mine:
        if entry.done.wait(SHARED_READ_WAIT_SECONDS) and not entry.failed:
            return entry.value
        return read()
    try:
        entry.value = read()
    except BaseException:
        entry.failed = True
        with _shared_lock:
            reads.pop(key, None)
        raise
    finally:
        entry.done.set()
    return entry.value


# --- Backends ---------------------------------------------------------------------------------


class _InProcess:
    """The single-process default: from thread to thread, plus what other processes wrote to SQLite.

    Other processes (the command line's import, a `contacts-app worker`) cannot reach this one
    without a broker, so one thread per process watches SQLite's `PRAGMA data_version` (it moves
    when another connection commits; reading it costs no I/O) and, only then, compares a
    stamp of each line that has an open page here. Lines announced from this process meanwhile
    are not announced twice.
    """

    CHECK_SECONDS = 0.5

    def __init__(self) -> None:
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()
        self._announced: set[str] = set()
        # Each watched line's last stamp (see _line_stamp).
        self._stamps: dict[str, tuple] = {}

    def publish(self, topic: str, message: dict) -> None:
        if message.get("changed"):
            self._announced.add(topic)
        _deliver_here(topic, message)

    def listening_epoch(self) -> str:
        # Other processes' writes to SQLite are noticed only on lines watched here, from their baseline.
        return ""

    def ensure_listening(self, topic: str | None = None) -> None:
        path = self._sqlite_path()
        if not path:
            return
        if topic is not None and topic.startswith("line."):
            # The baseline is taken now, before the page's first refresh: no change falls in between.
            connection = sqlite3.connect(path)
            try:
                stamp = _line_stamp(connection, int(topic.removeprefix("line.")))
            finally:
                connection.close()
            with self._lock:
                self._stamps.setdefault(topic, stamp)
        with self._lock:
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(target=self._watch, args=(path,), name="live-sqlite", daemon=True)
                self._watcher.start()

    @staticmethod
    def _sqlite_path() -> str:
        from contacts_app.db import database_url

        url = database_url()
        path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
        return "" if path == ":memory:" else path

    def _watch(self, path: str) -> None:
        version = None
        connection = sqlite3.connect(path, check_same_thread=False)
        while True:
            time.sleep(self.CHECK_SECONDS)
            try:
                now = connection.execute("PRAGMA data_version").fetchone()[0]
                if now == version:
                    continue
                version = now
                with _subscribers_lock:
                    topics = [t for t in _subscribers if t.startswith("line.")]
                announced, self._announced = self._announced, set()
                for topic in topics:
                    stamp = _line_stamp(connection, int(topic.removeprefix("line.")))
                    with self._lock:
                        before = self._stamps.get(topic)
                        self._stamps[topic] = stamp
                    if before is not None and before != stamp and topic not in announced:
                        _deliver_here(topic, change_message())
                with self._lock:
                    for topic in set(self._stamps) - set(topics):
                        del self._stamps[topic]
            except Exception:  # noqa: BLE001 - a locked or busy database: look again next time
                log.exception("Live updates could not read the database's change counter.")


def _line_stamp(connection, line_id: int) -> tuple:
    """Moves when the line's contacts, consent, texts or review flags change (each part from an index)."""
    return tuple(
        connection.execute(sql, (line_id,)).fetchone()
        for sql in (
            "SELECT count(*), max(updated_at) FROM contact WHERE line_id = ?",
            "SELECT max(id) FROM consentevent WHERE line_id = ?",
            "SELECT max(id), max(status_changed_at) FROM message WHERE line_id = ?",
            "SELECT count(*), max(id) FROM review_flag WHERE line_id = ? AND resolved_at IS NULL",
        )
    )


class _Redis:
    """One publishing client and one listening thread per process, on a pattern subscription."""

    RECONNECT_SECONDS = 1.0

    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(url)
        self._listener: threading.Thread | None = None
        self._lock = threading.Lock()
        # Set while the listener is subscribed (a new one each time it subscribes), "" otherwise.
        self._epoch = ""

    def listening_epoch(self) -> str:
        return self._epoch

    def publish(self, topic: str, message: dict) -> None:
        try:
            self._client.publish(CHANNEL_PREFIX + topic, json.dumps(message))
        except Exception:  # noqa: BLE001 - a page missing one update must not fail the change itself
            log.exception("Could not publish a live update on %s.", topic)

    def ensure_listening(self, topic: str | None = None) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="live-updates", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self._client.pubsub()
                pubsub.psubscribe(CHANNEL_PREFIX + "*")
                for item in pubsub.listen():
                    if item.get("type") == "psubscribe":
                        # Every message published from now on reaches this process.
                        self._epoch = uuid.uuid4().hex
                    if item.get("type") != "pmessage":
                        continue
                    topic = item["channel"].decode().removeprefix(CHANNEL_PREFIX)
                    _deliver_here(topic, json.loads(item["data"]))
            except Exception:  # noqa: BLE001 - Redis restarted: listen again
                self._epoch = ""
                log.exception("Live updates lost Redis; reconnecting.")
                time.sleep(self.RECONNECT_SECONDS)


_backends: dict[str | None, Any] = {}
_backends_lock = threading.Lock()


def _backend():
    # Not from the jobs package: importing it here, inside a commit's hooks, would add its own
    # commit hook while SQLAlchemy walks them ("deque mutated during iteration").
    from contacts_app.db import redis_url

    url = redis_url()
    backend = _backends.get(url)
    if backend is None:
        with _backends_lock:
            backend = _backends.get(url)
            if backend is None:
                backend = _Redis(url) if url else _InProcess()
                _backends[url] = backend
    return backend


def publish(topic: str, message: dict | None = None) -> None:
    """Tell every open page of the topic (any process, any machine that shares the Redis)."""
    _backend().publish(topic, message or change_message())


def line_changed(line_id: int) -> None:
    publish(line_topic(line_id), change_message())


# --- Changes made through the ORM announce themselves ------------------------------------------

# The tables whose rows an open Contacts page shows (each has line_id).
_WATCHED_TABLES = {"contact", "consentevent", "message", "review_flag", "contact_list"}
_PENDING_KEY = "contacts_live_lines"
# A contact's tags, lists and custom-field values: pages read them beyond the rows (the tag choices,
# the lists' counts, the filters), so a transaction that changed any announces no columns.
_CONTACT_EXTRAS_TABLES = {"contact_tag", "list_membership", "contact_field_value"}
_EXTRAS_KEY = "contacts_live_extras"
# A change names the contacts whose own rows it changed, up to this many (more: "any contact").
NAMED_CONTACTS_MAX = 100


class _LineChange:
    """What one transaction changed of a line: the contacts whose own rows changed (None once
    anything else changed), and the columns edited (None once a contact was added or deleted)."""

    def __init__(self) -> None:
        self.contacts: set[int] | None = set()
        self.columns: set[str] | None = set()


def _collect(session: OrmSession, _flush_context) -> None:
    lines: dict[int, _LineChange] = session.info.setdefault(_PENDING_KEY, {})
    for edited, group in ((False, session.new), (True, session.dirty), (False, session.deleted)):
        for instance in group:
            table = getattr(instance, "__tablename__", None)
            if table in _CONTACT_EXTRAS_TABLES:
                session.info[_EXTRAS_KEY] = True
            line_id = getattr(instance, "line_id", None)
            if table not in _WATCHED_TABLES or line_id is None:
                continue
            change = lines.setdefault(line_id, _LineChange())
            if table != "contact" or instance.id is None or change.contacts is None:
                change.contacts = None
                continue
            change.contacts.add(instance.id)
            if not edited:
                change.columns = None
            elif change.columns is not None:
                # After a flush the attributes still hold their history (until after_flush_postexec).
                state = inspect(instance)
                change.columns.update(attr.key for attr in state.attrs if attr.history.has_changes())


def _announce(session: OrmSession) -> None:
    extras = session.info.pop(_EXTRAS_KEY, False)
    for line_id, change in session.info.pop(_PENDING_KEY, {}).items():
        publish(line_topic(line_id), change_message(change.contacts, None if extras else change.columns))


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_EXTRAS_KEY, None)


_installed = False


def install_session_hooks() -> None:
    """Announce, after each commit, the lines whose shown rows that transaction changed."""
    global _installed
    if _installed:
        return
    event.listen(OrmSession, "after_flush", _collect)
    event.listen(OrmSession, "after_commit", _announce)
    event.listen(OrmSession, "after_rollback", _forget)
    _installed = True


install_session_hooks()
