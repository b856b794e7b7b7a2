"""Tracked background jobs: claimed once, retried, re-run when their worker dies, and Delete All on them."""

import time

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, count_contacts, create_contact
from contacts_app.domain.importer import ImportOptions
from contacts_app.jobs import core
from contacts_app.jobs import delete_all as delete_all_job
from contacts_app.jobs import imports as import_job
from contacts_app.jobs.core import JobContext, JobFailed, JobOutcome, job_kind
from contacts_app.models import BackgroundJob, JobStatus, Role, User

runs: list[int] = []


@job_kind("test_flaky", max_attempts=2)
def flaky(context: JobContext) -> JobOutcome:
    runs.append(context.attempt)
    if context.args.get("fail") == "always":
        raise RuntimeError("the disk is full")
    if context.args.get("fail") == "refused":
        raise JobFailed("The list no longer exists.")
    context.progress(5, 5)
    return JobOutcome("Done: 5 of 5.", {"rows": 5})


@pytest.fixture(autouse=True)
def memory_queue(monkeypatch):
    # The queue itself is in memory here; tests/test_job_workers.py runs real workers on real storage.
    monkeypatch.setenv("CONTACTS_JOBS_URL", "memory://")
    runs.clear()


def new_job(engine, **args) -> int:
    with session_scope(engine) as session:
        return core.create_job(session, "test_flaky", args).id


def job_row(engine, job_id: int) -> BackgroundJob:
    with session_scope(engine) as session:
        return session.get(BackgroundJob, job_id)


def test_a_job_runs_once_and_keeps_its_outcome(engine):
    job_id = new_job(engine)
    core.execute(job_id, engine)
    core.execute(job_id, engine)  # a duplicate queue message finds it taken and does nothing
    job = job_row(engine, job_id)
    assert runs == [1]
    assert (job.status, job.message, job.attempts) == (JobStatus.SUCCEEDED, "Done: 5 of 5.", 1)
    assert (job.done, job.total) == (5, 5)
    with session_scope(engine) as session:
        assert core.get_job(session, job_id).result == {"rows": 5}


def test_a_failing_job_is_retried_then_reported(engine):
    job_id = new_job(engine, fail="always")
    core.execute(job_id, engine)
    job = job_row(engine, job_id)
    assert job.status == JobStatus.QUEUED and "the disk is full" in job.message
    with session_scope(engine) as session:
        session.get(BackgroundJob, job_id).run_at = job.created_at  # the backoff has passed
    core.execute(job_id, engine)
    job = job_row(engine, job_id)
    assert runs == [1, 2]
    assert job.status == JobStatus.FAILED
    assert job.message == "It failed 2 times; the last error: the disk is full"


def test_a_job_that_cannot_succeed_is_not_retried(engine):
    job_id = new_job(engine, fail="refused")
    core.execute(job_id, engine)
    job = job_row(engine, job_id)
    assert runs == [1]
    assert (job.status, job.message) == (JobStatus.FAILED, "The list no longer exists.")


def test_a_job_whose_worker_died_is_queued_again_then_given_up(engine, monkeypatch):
    job_id = new_job(engine)
    # A worker claimed it and died: running, and its heartbeat is old.
    assert core._claim(engine, job_id) is not None
    monkeypatch.setattr(core, "STALL_SECONDS", 0.0)
    core._beat(job_id, 3, 10)
    time.sleep(0.01)
    assert core.recover(engine) == [job_id]
    job = job_row(engine, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.message == "The worker running it stopped; it is running again."
    # Its second worker dies too: max_attempts (2) reached, so it fails with the reason.
    assert core._claim(engine, job_id) is not None
    core._beat(job_id, 3, 10)
    time.sleep(0.01)
    assert core.recover(engine) == []
    job = job_row(engine, job_id)
    assert job.status == JobStatus.FAILED
    assert job.message == "The worker running it stopped 2 times; it was not finished."


def test_a_live_job_is_left_alone_by_the_watchdog(engine):
    job_id = new_job(engine)
    core._claim(engine, job_id)
    core._beat(job_id, 1, 10)
    assert core.recover(engine) == []
    assert job_row(engine, job_id).status == JobStatus.RUNNING


def test_a_queued_job_whose_message_was_lost_is_queued_again_once(engine, monkeypatch):
    job_id = new_job(engine)
    monkeypatch.setattr(core, "LOST_AFTER_SECONDS", 0.5)
    assert core.recover(engine) == []  # not yet: its message may still be on its way
    time.sleep(0.6)
    assert core.recover(engine) == [job_id]
    assert core.recover(engine) == []  # run_at moved: not flooded by every pass


def test_delete_all_job_deletes_what_the_line_had_when_confirmed(engine, line_id):
    with session_scope(engine) as session:
        admin = User(account_id=1, email="boss@example.com", password_hash="x", role=Role.ADMIN)
        session.add(admin)
        session.flush()
        for i in range(25):
            create_contact(session, line_id, ContactInput(f"Customer {i}", f"415 555 {i:04d}"))
        job_id = delete_all_job.create(session, admin, line_id).id
        # Asking again while it is queued gives the same job, not a second one.
        assert delete_all_job.create(session, admin, line_id).id == job_id
    with session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Added Meanwhile", "415 555 9999"))
    core.execute(job_id, engine)
    job = job_row(engine, job_id)
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 25, 25)
    assert job.message == "Deleted 25 contacts. Opt-outs are kept."
    with session_scope(engine) as session:
        assert count_contacts(session, line_id) == 1
        assert session.exec(select(BackgroundJob)).all()[0].kind == "delete_all"


def test_a_rejected_import_job_removes_the_staged_file(engine, line_id, tmp_path):
    # Issue 8: staged files of rejected imports stayed in data/imports/ with people's data.
    staged = tmp_path / "bad.csv"
    staged.write_text("Ada Lovelace,not a phone number\n")
    with session_scope(engine) as session:
        admin = User(account_id=1, email="boss@example.com", password_hash="x", role=Role.ADMIN)
        session.add(admin)
        session.flush()
        job_id = import_job.create(session, admin, line_id, staged, ImportOptions(), "bad.csv").id
    core.execute(job_id, engine)
    job = job_row(engine, job_id)
    assert job.status == JobStatus.FAILED
    assert not staged.exists()
