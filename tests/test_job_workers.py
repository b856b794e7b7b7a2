"""A job survives its worker: `kill -9` a real `contacts-app worker` mid-job, start another, the job ends well.

Real processes on real storage: the app's database (SQLite file or PostgreSQL schema) and the
job queue beside it (a SQLite file, or PostgreSQL's huey tables).
"""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from contacts_app.db import session_scope
from contacts_app.domain.contacts import count_contacts, search_text_for
from contacts_app.domain.importer import ImportOptions
from contacts_app.jobs import core, get_huey
from contacts_app.jobs import delete_all as delete_all_job
from contacts_app.jobs import imports as import_job
from contacts_app.models import BackgroundJob, Contact, JobStatus, Role, User, utcnow

IMPORT_ROWS = 200_000


def database_url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False).replace("+psycopg", "")


@pytest.fixture
def queue(engine, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment a worker (and this test, which enqueues) share."""
    url = database_url_of(engine)
    jobs_url = f"sqlite:///{tmp_path / 'jobs.db'}" if engine.dialect.name == "sqlite" else url
    env = {
        "DATABASE_URL": url,
        "CONTACTS_JOBS_URL": jobs_url,
        "CONTACTS_JOB_HEARTBEAT_SECONDS": "0.3",
        "CONTACTS_JOB_STALL_SECONDS": "2",
        "CONTACTS_IMPORT_DIR": str(tmp_path / "imports"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.delenv("CONTACTS_REDIS_URL", raising=False)
    monkeypatch.setattr(import_job, "IMPORT_SPOOL_DIR", tmp_path / "imports")
    get_huey()
    return env


class Worker:
    def __init__(self, env: dict[str, str], log_path: Path, **extra: str):
        self.log_path = log_path
        self.log = log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contacts_app", "worker", "--threads", "1"],
            env={**os.environ, **env, **extra},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def workers(queue, tmp_path):
    started: list[Worker] = []

    def start(**extra: str) -> Worker:
        worker = Worker(queue, tmp_path / "worker.log", **extra)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def admin_of(engine, line_id: int) -> User:
    with session_scope(engine) as session:
        user = User(account_id=1, email="boss@example.com", password_hash="x", role=Role.ADMIN)
        session.add(user)
        session.flush()
        return user


def seed_contacts(engine, line_id: int, how_many: int) -> None:
    now = utcnow()
    rows = []
    for i in range(how_many):
        name, phone = f"Person {i:06d}", f"+1415{2000000 + i:07d}"
        rows.append(
            {
                "line_id": line_id,
                "full_name": name,
                "name_key": name.lower(),
                "phone": phone,
                "search_text": search_text_for(name, phone, None),
                "opted_out": False,
                "consent_status": "not_sent",
                "created_at": now,
                "updated_at": now,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Contact), rows)


def job_of(engine, job_id: int) -> BackgroundJob:
    with session_scope(engine) as session:
        return session.get(BackgroundJob, job_id)


def wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    detail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{detail}")


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, and by those."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    children = [int(child) for child in found.split()]
    return children + [grandchild for child in children for grandchild in descendants(child)]


def contacts_of(engine, line_id: int) -> int:
    with session_scope(engine) as session:
        return count_contacts(session, line_id)


def test_delete_all_finishes_after_its_worker_is_killed_mid_way(engine, line_id, workers, tmp_path):
    seed_contacts(engine, line_id, 20_000)
    admin = admin_of(engine, line_id)
    with session_scope(engine) as session:
        job_id = delete_all_job.create(session, session.get(User, admin.id), line_id).id
    core.dispatch(job_id)
    # Small batches, so that the worker is caught between two of them.
    first = workers(CONTACTS_DELETE_BATCH_SIZE="200")
    wait_for(lambda: 0 < contacts_of(engine, line_id) < 19_000, 60, "the first batches", tmp_path / "worker.log")
    first.kill()
    left = contacts_of(engine, line_id)
    assert 0 < left < 20_000
    assert job_of(engine, job_id).status == JobStatus.RUNNING  # as the dead worker left it

    workers(CONTACTS_DELETE_BATCH_SIZE="200")
    job = wait_for(
        lambda: (j := job_of(engine, job_id)).status in JobStatus.FINISHED and j,
        90,
        "the job to be re-run to its end",
        tmp_path / "worker.log",
    )
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.attempts, job.done, job.total) == (2, 20_000, 20_000)
    assert job.message == "Deleted 20,000 contacts. Opt-outs are kept."
    assert contacts_of(engine, line_id) == 0


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        for i in range(rows):
            writer.writerow([f"Customer {i:06d}", f"+1212{3000000 + i:07d}", f"c{i}@example.com"])
    return path


def test_an_import_killed_mid_way_writes_nothing_then_all_when_run_again(engine, line_id, workers, tmp_path):
    admin = admin_of(engine, line_id)
    import_job.IMPORT_SPOOL_DIR.mkdir(parents=True)
    staged = write_csv(import_job.IMPORT_SPOOL_DIR / "a.csv", IMPORT_ROWS)
    with session_scope(engine) as session:
        job_id = import_job.create(session, session.get(User, admin.id), line_id, staged, ImportOptions(), "a.csv").id
    core.dispatch(job_id)
    first = workers()

    def progressing():
        beat = core._read_beat(job_id)
        return beat is not None and beat[0] > IMPORT_ROWS // 4

    wait_for(progressing, 120, "the import to be well under way", tmp_path / "worker.log")
    checkers = descendants(first.process.pid)
    assert checkers, "a 200,000-row file is checked by a pool of processes"
    first.kill()
    assert contacts_of(engine, line_id) in (0, IMPORT_ROWS)  # all or nothing, never part
    # Nothing of the killed worker stays behind holding memory.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in checkers), 15, "its checking processes to end")
    if contacts_of(engine, line_id) == 0:
        assert job_of(engine, job_id).status == JobStatus.RUNNING

    workers()
    job = wait_for(
        lambda: (j := job_of(engine, job_id)).status in JobStatus.FINISHED and j,
        240,
        "the import to be re-run to its end",
        tmp_path / "worker.log",
    )
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert contacts_of(engine, line_id) == IMPORT_ROWS
    assert job.message.startswith("Import finished:")
    assert not staged.exists()  # the staged upload is removed once the import has ended
