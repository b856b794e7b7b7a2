"""Many processes starting together on an empty database migrate it exactly once."""

import os
import subprocess
import sys
import time

from sqlalchemy import text

from contacts_app.db import head_revision, schema_revision

PROCESSES = 4
# Each process imports the app first, then all migrate at the same instant: the collision the
# lock prevents (several CREATE TABLE alembic_version at once) needs them to start together.
SIMULTANEOUS_START = """
import sys, time
start_at = float(sys.argv[1])
from contacts_app.cli import main
time.sleep(max(0.0, start_at - time.time()))
sys.exit(main(["migrate"]))
"""


def migrate_from_many_processes(database_url: str) -> list[subprocess.CompletedProcess]:
    start_at = time.time() + 4
    env = {**os.environ, "DATABASE_URL": database_url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SIMULTANEOUS_START, str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


def assert_all_migrated_once(results: list[subprocess.CompletedProcess], engine) -> None:
    failures = [result.stderr[-2000:] for result in results if result.returncode != 0]
    assert failures == []
    head = head_revision()
    assert all(f"schema revision {head}" in result.stdout for result in results)
    assert schema_revision(engine) == head
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar_one() == 1


def test_processes_starting_together_on_an_empty_database_migrate_it_once(blank_engine):
    url = blank_engine.url.render_as_string(hide_password=False)
    results = migrate_from_many_processes(url)
    assert_all_migrated_once(results, blank_engine)
