"""An import as a job: the staged CSV file into a line, all of it or none of it.

The file is staged by the web process (the Import dialog, or pasted text written to a file) in
IMPORT_SPOOL_DIR, which the workers must reach (the same machine, or a shared folder set with
CONTACTS_IMPORT_DIR). Re-run after its worker died, the import starts again from the file: the
interrupted run wrote nothing, since its one transaction never committed. The file is removed
once the import has ended, whatever the outcome.
"""

import uuid
from dataclasses import asdict
from pathlib import Path

from sqlmodel import Session

from contacts_app.db import session_scope
from contacts_app.domain.column_mapping import ColumnMapping
from contacts_app.domain.csv_reader import Problem
from contacts_app.domain.import_files import IMPORT_SPOOL_DIR
from contacts_app.domain.importer import ImportOptions, ImportRejected, run_import
from contacts_app.domain.lists import ListNotFound
from contacts_app.domain.mapping_memory import remember_mapping
from contacts_app.domain.permissions import Action, PermissionDenied, require
from contacts_app.jobs.core import JobContext, JobFailed, JobOutcome, create_job, job_kind
from contacts_app.models import BackgroundJob, Line, User

KIND = "import"
# Problems kept with the job for the page and the bad-rows file (the count is always exact).
KEPT_PROBLEMS = 10_000


def stage_text(text: str) -> Path:
    """Pasted CSV text as a staged file, so that every import runs from a file a worker can read."""
    IMPORT_SPOOL_DIR.mkdir(parents=True, exist_ok=True)
    path = IMPORT_SPOOL_DIR / f"{uuid.uuid4().hex}.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def create(
    session: Session,
    user: User,
    line_id: int,
    path: str | Path,
    options: ImportOptions,
    file_name: str = "",
    keep_rejected_file: bool = False,
) -> BackgroundJob:
    """The import job for a staged file, as the user asks it (refused unless they may); dispatch after commit.

    `keep_rejected_file`: a file the page still offers (to import again with other options) is
    left in place when the import is refused; the page removes it when the dialog lets it go.
    """
    require(session, user, Action.IMPORT, line_id)
    if options.list_id is not None or (options.mapping is not None and options.mapping.fills_lists()):
        require(session, user, Action.LISTS, line_id)
    mapping = None
    if options.mapping is not None:
        mapping = {
            "targets": list(options.mapping.targets),
            "priority": list(options.mapping.priority),
            "headers": list(options.mapping.headers),
        }
    return create_job(
        session,
        KIND,
        {
            "path": str(path),
            "file_name": file_name,
            "skip_first_line": options.skip_first_line,
            "list_id": options.list_id,
            "skip_invalid": options.skip_invalid,
            "mapping": mapping,
            "actor": user.email,
            "keep_rejected_file": keep_rejected_file,
        },
        line_id=line_id,
        user_id=user.id,
    )


def problems_of(result: dict | None) -> list[Problem]:
    """The problems an import job kept (for the page's table and the bad-rows file)."""
    return [Problem(**{**p, "row": tuple(p.get("row", ()))}) for p in (result or {}).get("problems", [])]


def _report_result(problems: list[Problem], problem_count: int, **extra) -> dict:
    return {"problems": [asdict(p) for p in problems[:KEPT_PROBLEMS]], "problem_count": problem_count, **extra}


@job_kind(KIND)
def run(context: JobContext) -> JobOutcome:
    args = context.args
    path = Path(args["path"])
    mapping = args.get("mapping")
    options = ImportOptions(
        skip_first_line=bool(args.get("skip_first_line")),
        list_id=args.get("list_id"),
        skip_invalid=bool(args.get("skip_invalid")),
        mapping=ColumnMapping(tuple(mapping["targets"]), tuple(mapping["priority"]), tuple(mapping["headers"]))
        if mapping
        else None,
        actor=args.get("actor"),
    )
    if not path.exists():
        raise JobFailed("The uploaded file is no longer there (it was removed, or this worker cannot reach it).")
    try:
        with session_scope(context.engine) as session:
            # Checked again when it runs: permissions may have been taken away since the click.
            require(session, session.get(User, context.user_id), Action.IMPORT, context.line_id)
        report = run_import(context.engine, path, context.line_id, options, context.progress)
    except ImportRejected as rejected:
        if not args.get("keep_rejected_file"):
            path.unlink(missing_ok=True)
        raise JobFailed(
            str(rejected), _report_result(rejected.problems, rejected.problem_count, rejected=True)
        ) from None
    except ListNotFound:
        if not args.get("keep_rejected_file"):
            path.unlink(missing_ok=True)
        raise JobFailed("The chosen list no longer exists. Choose another list and try again.") from None
    except PermissionDenied as refused:
        path.unlink(missing_ok=True)
        raise JobFailed(f"The import stopped: {refused}") from None
    path.unlink(missing_ok=True)
    if options.mapping is not None:
        # The next file with these columns is proposed the way this one was imported.
        with session_scope(context.engine) as session:
            remember_mapping(session, session.get(Line, context.line_id).account_id, options.mapping)
    return JobOutcome(
        f"Import finished: {report.summary()}",
        _report_result(report.problems, report.problem_count, summary=report.summary(), rows=report.rows_read),
    )
