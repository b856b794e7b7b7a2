"""An import that dies half-way leaves all of the file or none of it: never part."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from contacts_app.db import make_engine, migrate, session_scope
from contacts_app.domain import import_writer
from contacts_app.domain.contacts import ensure_default_line
from contacts_app.domain.importer import run_import
from contacts_app.models import Contact

ROWS = 40_000


def write_csv(path, rows: int = ROWS) -> None:
    with path.open("w") as out:
        for i in range(rows):
            out.write(f"Customer {i:05d},+1 415 {200 + i // 10000:03d} {i % 10000:04d},\n")


def contact_count(engine, line_id: int) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Contact).where(Contact.line_id == line_id)).one()


class Crash(Exception):
    pass


def test_import_that_fails_while_saving_writes_nothing(engine, line_id, tmp_path, monkeypatch):
    csv_path = tmp_path / "big.csv"
    write_csv(csv_path)
    merge_chunk = import_writer._merge_chunk
    merged = []

    def crash_after_first_chunk(*args, **kwargs):
        # The first chunk of rows is merged into the contacts; the crash comes after it.
        if merged:
            raise Crash()
        merged.append(True)
        return merge_chunk(*args, **kwargs)

    monkeypatch.setattr(import_writer, "_merge_chunk", crash_after_first_chunk)
    with pytest.raises(Crash):
        run_import(engine, csv_path, line_id)
    assert merged, "the import never reached its write pass"
    assert contact_count(engine, line_id) == 0
    monkeypatch.setattr(import_writer, "_merge_chunk", merge_chunk)
    report = run_import(engine, csv_path, line_id)
    assert report.created == ROWS
    assert contact_count(engine, line_id) == ROWS


def test_import_whose_write_meets_a_lock_starts_over_and_writes_every_row_once(engine, line_id, tmp_path, monkeypatch):
    csv_path = tmp_path / "big.csv"
    write_csv(csv_path)
    with csv_path.open("a") as out:
        # The first row's phone again: the later row wins, once, however often the write starts.
        out.write("Customer again,+1 415 200 0000,\n")
    merge_chunk = import_writer._merge_chunk
    calls = []

    def locked_once_after_first_chunk(*args, **kwargs):
        calls.append(True)
        if len(calls) == 2:
            raise OperationalError("INSERT INTO contact ...", {}, Exception("database is locked"))
        return merge_chunk(*args, **kwargs)

    monkeypatch.setattr(import_writer, "_merge_chunk", locked_once_after_first_chunk)
    report = run_import(engine, csv_path, line_id)
    assert len(calls) > 2, "the write did not start over"
    assert (report.created, report.merged, report.merged_lines) == (ROWS, 1, [1])
    assert contact_count(engine, line_id) == ROWS
    with session_scope(engine) as session:
        assert session.exec(select(Contact.full_name).where(Contact.phone == "+14152000000")).one() == "Customer again"


@pytest.mark.parametrize("kill_after_seconds", [0.8, 1.6, 2.4])
def test_killed_import_process_leaves_all_or_nothing(tmp_path, kill_after_seconds):
    url = f"sqlite:///{tmp_path / 'contacts.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
    csv_path = tmp_path / "big.csv"
    write_csv(csv_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "contacts_app", "import", str(csv_path)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(kill_after_seconds)
    os.killpg(process.pid, signal.SIGKILL)  # a crash or power cut: no cleanup code runs
    process.wait()
    assert contact_count(engine, line_id) in (0, ROWS)
