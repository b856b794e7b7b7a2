"""Background work as jobs on huey (see README, "Background jobs", for why huey).

Two kinds of work, one engine:

- Tracked jobs (`core`): long work a page shows (Delete All, imports). A `background_job` row
  holds the status, progress and outcome; it survives its worker (re-run when the worker dies).
  Define one in `contacts_app/jobs/<kind>.py`:

      @job_kind("delete_all")
      def run(context: JobContext) -> JobOutcome:
          ...context.args, context.line_id, context.progress(done, total)...
          return JobOutcome("Deleted 1,000 contacts.")

  list its module in `kinds.py`, and start it with `start_job(kind, args, line_id=..., user_id=...)`
  (or `create_job` inside your own transaction, then `dispatch(job.id)` after the commit).
  Pages follow it through `contacts_app.live` (progress and outcome are pushed on the line's
  topic) and `latest_job`/`get_job` when they open. `run_at=` schedules it for later.
  A kind's function must be safe to run again: all or nothing, or resuming from what is done.
  Raise `JobFailed` for a failure a retry cannot fix; any other exception is retried with
  backoff up to the kind's `max_attempts`.

- Outboxes (`outboxes`): rows waiting to be sent, many and short (webhook deliveries, carrier
  texts). The rows are the queue (claims, retry times, rate slots); one job per outbox drains
  what is due and schedules itself for the next row's time. A commit that adds a row wakes its
  outbox, and every consumer sweeps every outbox once a minute. Define one with
  `@outbox("name")` in a module listed in `kinds.py` (see `sends.py`).

Workers: `contacts-app worker` (own process, any number, any machine sharing the storage), or
the consumer each web process runs unless CONTACTS_JOBS_IN_PROCESS=0. Storage: see `engine`.
"""

from contacts_app.jobs.core import (
    JobContext,
    JobFailed,
    JobOutcome,
    JobView,
    create_job,
    dispatch,
    get_job,
    job_kind,
    latest_job,
    start_job,
)
from contacts_app.jobs.engine import get_huey, huey
from contacts_app.jobs.outboxes import outbox, wake

__all__ = [
    "JobContext",
    "JobFailed",
    "JobOutcome",
    "JobView",
    "create_job",
    "dispatch",
    "get_huey",
    "get_job",
    "huey",
    "job_kind",
    "latest_job",
    "outbox",
    "start_job",
    "wake",
]
