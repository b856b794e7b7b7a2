"""Delete All as a job: every contact the line had when the user confirmed, in batches.

Re-run after its worker died, it deletes what is left (the scope, taken at the confirmation,
keeps contacts added since out of it) and its progress counts on from where it stopped.
"""

from sqlmodel import Session, col, select

from contacts_app.domain import bulk_delete
from contacts_app.domain.permissions import Action, PermissionDenied, require
from contacts_app.jobs.core import JobContext, JobFailed, JobOutcome, create_job, job_kind, view
from contacts_app.models import BackgroundJob, JobStatus, User
from contacts_app.numbers import counted

KIND = "delete_all"


@job_kind(KIND)
def run(context: JobContext) -> JobOutcome:
    scope = bulk_delete.DeleteScope(total=context.args["total"], upto_id=context.args["upto_id"])
    try:
        bulk_delete.delete_all_contacts_for(
            context.engine, context.user_id, context.line_id, progress=context.progress, scope=scope
        )
    except PermissionDenied as refused:
        # Taken away since it was asked for (a re-run checks again): say so, do not retry.
        raise JobFailed(f"Delete All stopped: {refused}") from None
    context.progress(scope.total, scope.total)
    return JobOutcome(f"Deleted {counted(scope.total, 'contact')}. Opt-outs are kept.")


def running_job(session: Session, line_id: int) -> BackgroundJob | None:
    return session.exec(
        select(BackgroundJob)
        .where(BackgroundJob.line_id == line_id, BackgroundJob.kind == KIND)
        .where(col(BackgroundJob.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .order_by(col(BackgroundJob.id).desc())
        .limit(1)
    ).first()


def create(session: Session, user: User, line_id: int) -> BackgroundJob:
    """The Delete All job for the line, as the user asks it (refused unless they may); one at a time per line.

    Commit, then `dispatch(job.id)`, unless it was already running (`job.attempts` or status tells).
    """
    require(session, user, Action.DELETE_ALL, line_id)
    already = running_job(session, line_id)
    if already is not None:
        return already
    scope = bulk_delete.delete_scope(session, line_id)
    return create_job(
        session,
        KIND,
        {"total": scope.total, "upto_id": scope.upto_id},
        line_id=line_id,
        user_id=user.id,
        total=scope.total,
    )


__all__ = ["KIND", "create", "running_job", "run", "view"]
