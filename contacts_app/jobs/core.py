"""Tracked jobs: a `background_job` row per job, run by huey, re-run if its worker dies.

huey carries only the job's id and does not acknowledge tasks: a worker killed mid-task loses
it (huey's documented behaviour). So the row is the truth. A worker claims the row (queued ->
running) before running the job, and while the job runs a heartbeat (kept in huey's own
key-value store, never in the app's database, which an import holds locked while it writes)
says it is alive. Every worker process runs a watchdog that puts a running job whose heartbeat
stopped back in the queue (up to its `max_attempts`), and queues again a queued job whose huey
message was lost. A job is therefore run at least once and, thanks to the claim, never twice at
the same time; job kinds are written to be re-run safely (all or nothing, or resuming).
"""

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app import live
from contacts_app.db import get_engine, session_scope
from contacts_app.jobs.engine import get_huey, huey
from contacts_app.models import BackgroundJob, JobStatus, utcnow

log = logging.getLogger(__name__)


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


# A running job beats at this interval; one silent for STALL_SECONDS lost its worker.
HEARTBEAT_SECONDS = _seconds("CONTACTS_JOB_HEARTBEAT_SECONDS", 2.0)
STALL_SECONDS = _seconds("CONTACTS_JOB_STALL_SECONDS", 20.0)
# A queued job not started this long after its run-at time lost its huey message: queue it again.
LOST_AFTER_SECONDS = _seconds("CONTACTS_JOB_LOST_SECONDS", 60.0)
# Progress reaches open pages at most this often.
PROGRESS_PUSH_SECONDS = 0.2
RETRY_BASE_SECONDS = 2.0


class JobFailed(Exception):
    """Raised by a job for a failure that a re-run cannot fix; its message is shown to the user.

    `result` is kept with the job like a success's (e.g. the problems that rejected an import).
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class JobContext:
    """What a job kind's function is handed."""

    job_id: int
    kind: str
    args: dict[str, Any]
    attempt: int
    line_id: int | None
    user_id: int | None
    account_id: int | None
    engine: Engine
    _last_push: float = 0.0
    _progress: tuple[int, int] = (0, 0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, done: int, total: int) -> None:
        """Report progress (cheap to call often: it reaches pages at most five times a second)."""
        with self._lock:
            self._progress = (done, total)
            now = time.monotonic()
            if now - self._last_push < PROGRESS_PUSH_SECONDS and done < total:
                return
            self._last_push = now
        _beat(self.job_id, done, total)
        _announce(self.job_id, self.kind, self.line_id, JobStatus.RUNNING, done, total)

    def beat(self) -> None:
        with self._lock:
            done, total = self._progress
        _beat(self.job_id, done, total)


JobFunction = Callable[[JobContext], "JobOutcome | None"]


@dataclass
class JobOutcome:
    """A job's result: a sentence for the page and anything else the page needs (JSON-able)."""

    message: str = ""
    result: Any = None


@dataclass(frozen=True)
class JobKind:
    name: str
    run: JobFunction
    max_attempts: int


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, max_attempts: int = 3) -> Callable[[JobFunction], JobFunction]:
    """Register a function as the job kind `name` (module `contacts_app/jobs/<name>.py`)."""

    def register(function: JobFunction) -> JobFunction:
        _KINDS[name] = JobKind(name, function, max_attempts)
        return function

    return register


# --- Starting jobs --------------------------------------------------------------------------


def create_job(
    session: Session,
    kind: str,
    args: dict[str, Any] | None = None,
    *,
    line_id: int | None = None,
    user_id: int | None = None,
    account_id: int | None = None,
    total: int = 0,
    run_at: datetime | None = None,
) -> BackgroundJob:
    """Add the job's row in the caller's transaction; call `dispatch` once it has committed.

    If the process dies between the commit and the dispatch, the watchdog finds the row and
    queues it (after LOST_AFTER_SECONDS).
    """
    if kind not in _KINDS:
        raise KeyError(f"Unknown job kind {kind!r}.")
    job = BackgroundJob(
        kind=kind,
        args=json.dumps(args or {}),
        line_id=line_id,
        user_id=user_id,
        account_id=account_id,
        total=total,
        max_attempts=_KINDS[kind].max_attempts,
        run_at=run_at or utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def dispatch(job_id: int, run_at: datetime | None = None) -> None:
    """Hand the job to the engine (now, or at `run_at`)."""
    get_huey()
    if run_at is not None and _aware(run_at) > utcnow():
        run_job.schedule((job_id,), eta=_aware(run_at))
    else:
        run_job(job_id)


def start_job(kind: str, args: dict[str, Any] | None = None, **fields: Any) -> int:
    """Create and dispatch a job in one go; returns its id."""
    with session_scope() as session:
        job = create_job(session, kind, args, **fields)
        job_id, run_at = job.id, job.run_at
    dispatch(job_id, run_at)
    return job_id


# --- Reading jobs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it."""

    id: int
    kind: str
    status: str
    done: int
    total: int
    message: str
    result: Any

    @property
    def finished(self) -> bool:
        return self.status in JobStatus.FINISHED


def view(job: BackgroundJob) -> JobView:
    done, total = job.done, job.total
    if job.status == JobStatus.RUNNING:
        beat = _read_beat(job.id)
        if beat is not None:
            done, total = beat[0], beat[1] or total
    return JobView(
        id=job.id,
        kind=job.kind,
        status=job.status,
        done=done,
        total=total,
        message=job.message,
        result=json.loads(job.result) if job.result else None,
    )


def get_job(session: Session, job_id: int) -> JobView | None:
    job = session.get(BackgroundJob, job_id)
    return view(job) if job is not None else None


def latest_job(session: Session, line_id: int, kind: str) -> JobView | None:
    """The line's most recent job of this kind (what a page opening shows: running, or how it ended)."""
    job = session.exec(
        select(BackgroundJob)
        .where(BackgroundJob.line_id == line_id, BackgroundJob.kind == kind)
        .order_by(col(BackgroundJob.id).desc())
        .limit(1)
    ).first()
    return view(job) if job is not None else None


# --- Running jobs -----------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _beat_key(job_id: int) -> str:
    return f"contacts.job.{job_id}.beat"


def _beat(job_id: int, done: int, total: int) -> None:
    try:
        get_huey().put(_beat_key(job_id), (done, total, time.time()))
    except Exception:  # noqa: BLE001 - a missed beat is survivable; a crashed job is not
        log.exception("Could not record job %s's heartbeat.", job_id)


def _read_beat(job_id: int) -> tuple[int, int, float] | None:
    try:
        return get_huey().get(_beat_key(job_id), peek=True)
    except Exception:  # noqa: BLE001
        log.exception("Could not read job %s's heartbeat.", job_id)
        return None


def _announce(job_id: int, kind: str, line_id: int | None, status: str, done: int, total: int, message: str = ""):
    if line_id is not None:
        live.publish(
            live.line_topic(line_id),
            {"job": job_id, "kind": kind, "status": status, "done": done, "total": total, "message": message},
        )


def _claim(engine: Engine, job_id: int) -> BackgroundJob | None:
    """queued -> running, in one conditional UPDATE: of two workers handed one job, one wins."""
    now = utcnow()
    with session_scope(engine) as session:
        job = session.get(BackgroundJob, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return None
        taken = session.execute(
            update(BackgroundJob)
            .where(col(BackgroundJob.id) == job_id, col(BackgroundJob.status) == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                attempts=job.attempts + 1,
                started_at=job.started_at or now,
                heartbeat_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None
        job.attempts += 1
        return job


def _settle(engine: Engine, job: BackgroundJob, **values: Any) -> bool:
    """Write the job's outcome unless another worker re-ran it meanwhile (its attempt is newer)."""
    with session_scope(engine) as session:
        changed = session.execute(
            update(BackgroundJob)
            .where(
                col(BackgroundJob.id) == job.id,
                col(BackgroundJob.status) == JobStatus.RUNNING,
                col(BackgroundJob.attempts) == job.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return changed.rowcount == 1


def execute(job_id: int, engine: Engine | None = None) -> None:
    """Run one job here and now (what the huey task does); a job someone else holds is left alone."""
    engine = engine or get_engine()
    job = _claim(engine, job_id)
    if job is None:
        return
    kind = _KINDS.get(job.kind)
    context = JobContext(
        job_id=job.id,
        kind=job.kind,
        args=json.loads(job.args or "{}"),
        attempt=job.attempts,
        line_id=job.line_id,
        user_id=job.user_id,
        account_id=job.account_id,
        engine=engine,
    )
    _announce(job.id, job.kind, job.line_id, JobStatus.RUNNING, job.done, job.total)
    stop = threading.Event()
    heart = threading.Thread(target=_heartbeat, args=(context, stop), name=f"job-{job.id}-heartbeat", daemon=True)
    context.beat()
    heart.start()
    try:
        if kind is None:
            raise JobFailed(f"This version of the app does not know jobs of kind {job.kind!r}.")
        outcome = kind.run(context) or JobOutcome()
    except JobFailed as failed:
        _finish(engine, job, JobStatus.FAILED, str(failed), failed.result, context)
    except Exception as exc:  # noqa: BLE001 - any other failure is retried, then reported
        log.exception("Job %s (%s) failed on attempt %s.", job.id, job.kind, job.attempts)
        if job.attempts < job.max_attempts:
            delay = RETRY_BASE_SECONDS * 2 ** (job.attempts - 1)
            run_at = utcnow() + timedelta(seconds=delay)
            if _settle(engine, job, status=JobStatus.QUEUED, run_at=run_at, message=f"Retrying: {exc}"[:500]):
                dispatch(job.id, run_at)
        else:
            _finish(
                engine, job, JobStatus.FAILED, f"It failed {job.attempts} times; the last error: {exc}", None, context
            )
    else:
        _finish(engine, job, JobStatus.SUCCEEDED, outcome.message, outcome.result, context)
    finally:
        stop.set()


def _finish(engine: Engine, job: BackgroundJob, status: str, message: str, result: Any, context: JobContext) -> None:
    done, total = context._progress
    settled = _settle(
        engine,
        job,
        status=status,
        message=message,
        result=json.dumps(result) if result is not None else None,
        done=done,
        total=total,
        finished_at=utcnow(),
    )
    if settled:
        _announce(job.id, job.kind, job.line_id, status, done, total, message)


def _heartbeat(context: JobContext, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        context.beat()


@huey.task(name="contacts.run_job")
def run_job(job_id: int) -> None:
    execute(job_id)


# --- The watchdog ---------------------------------------------------------------------------


def recover(engine: Engine | None = None) -> list[int]:
    """Queue again the jobs whose worker died and those whose queue message was lost; returns their ids.

    Safe to run in every worker process at once: each change is a conditional UPDATE.
    """
    engine = engine or get_engine()
    now = utcnow()
    requeued: list[int] = []
    with session_scope(engine) as session:
        running = list(session.exec(select(BackgroundJob).where(BackgroundJob.status == JobStatus.RUNNING)))
        lost = list(
            session.exec(
                select(BackgroundJob.id).where(
                    BackgroundJob.status == JobStatus.QUEUED,
                    col(BackgroundJob.run_at) < now - timedelta(seconds=LOST_AFTER_SECONDS),
                )
            )
        )
    for job in running:
        beat = _read_beat(job.id)
        last = beat[2] if beat is not None else _aware(job.heartbeat_at or job.started_at or now).timestamp()
        if time.time() - last < STALL_SECONDS:
            continue
        if job.attempts >= job.max_attempts:
            message = f"The worker running it stopped {job.attempts} times; it was not finished."
            if _settle(engine, job, status=JobStatus.FAILED, message=message, finished_at=now):
                _announce(job.id, job.kind, job.line_id, JobStatus.FAILED, job.done, job.total, message)
            continue
        message = "The worker running it stopped; it is running again."
        if _settle(engine, job, status=JobStatus.QUEUED, run_at=now, message=message):
            log.warning("Job %s (%s) lost its worker; queued again.", job.id, job.kind)
            requeued.append(job.id)
            dispatch(job.id)
    for job_id in lost:
        # Moving run_at on first means one pass (of one process) queues it; a backlog is not flooded.
        with session_scope(engine) as session:
            moved = session.execute(
                update(BackgroundJob)
                .where(col(BackgroundJob.id) == job_id, col(BackgroundJob.status) == JobStatus.QUEUED)
                .where(col(BackgroundJob.run_at) < now - timedelta(seconds=LOST_AFTER_SECONDS))
                .values(run_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        if moved == 1:
            log.warning("Job %s was never started; queued again.", job_id)
            requeued.append(job_id)
            dispatch(job_id)
    return requeued


def watchdog(stop: threading.Event, interval: float | None = None) -> None:
    """Run `recover` every few seconds until `stop` is set (a thread in every worker process)."""
    interval = interval or max(1.0, STALL_SECONDS / 4)
    while True:
        try:
            recover()
        except Exception:  # noqa: BLE001 - a database hiccup must not end the watchdog
            log.exception("Job watchdog pass failed; trying again shortly.")
        if stop.wait(interval):
            return
