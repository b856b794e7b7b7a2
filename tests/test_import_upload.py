"""The Import upload route refuses before it writes: signed-out visitors and files past 100 MB.

The route runs in a real server (granian, as `reflex run --env prod` serves the app) in a process
of its own, so the bytes it writes to disk can be read from the kernel's count of its writes
(/proc/PID/io `wchar`, which counts every write the server makes, files in /tmp included).
"""

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contacts_app.api.imports import upload_url
from contacts_app.db import make_engine, migrate, session_scope
from contacts_app.domain import auth, import_files, lines, users
from contacts_app.domain.contacts import ensure_default_line
from contacts_app.domain.csv_reader import MAX_IMPORT_BYTES
from contacts_app.models import Role

PASSWORD = "a long enough password"
GIGABYTE = 1024**3
CHUNK = b"Jane Doe,(415) 555-2671,jane@example.com\r\n" * 1560  # ~64 KB of plausible CSV
MB = 1024 * 1024


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Iterator[dict]:
    """One SQLite database for the module's server (the route's checks are the export route's,
    which runs on both databases): an administrator, and a clerk without the Import permission."""
    url = f"sqlite:///{tmp_path_factory.mktemp('upload') / 'contacts.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
        admin = users.create_user(session, "boss@example.com", PASSWORD, Role.ADMIN)
        clerk = users.create_user(session, "clerk@example.com", PASSWORD, Role.USER)
        lines.assign_owner(session, admin, line_id, clerk.id)
        users.set_permissions(session, admin, clerk.id, {"can_import": False})
    yield {
        "url": url,
        "admin": auth.authenticate(engine, "boss@example.com", PASSWORD).token,
        "clerk": auth.authenticate(engine, "clerk@example.com", PASSWORD).token,
        "line": line_id,
    }
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(people, tmp_path_factory) -> Iterator[dict]:
    """The API served by granian on its own port, staging files in a folder of the module's own."""
    port = _free_port()
    tmp_path = tmp_path_factory.mktemp("server")
    spool = tmp_path / "imports"
    env = {
        **os.environ,
        "DATABASE_URL": people["url"],
        "CONTACTS_IMPORT_DIR": str(spool),
        "TMPDIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--no-access-log", "--factory", "contacts_app.api:create_api"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the API server did not start: " + process.stderr.read1().decode(errors="replace"))
        yield {"port": port, "pid": process.pid, "spool": spool}
    finally:
        process.terminate()
        process.wait(timeout=10)


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += _process_tree(int(child))
    return found


def bytes_written(pid: int) -> int:
    """Every byte the server's processes have written (files, pipes, sockets) so far."""
    total = 0
    for member in _process_tree(pid):
        for line in Path(f"/proc/{member}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                total += int(line.split()[1])
    return total


def send(port: int, path: str, token: str | None, body_bytes: int, declare_length: bool) -> tuple[int, int]:
    """POST a generated body of `body_bytes` (never on disk); (status, bytes the server took)."""
    headers = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "X-File-Name: huge.csv"]
    headers.append(f"Content-Length: {body_bytes}" if declare_length else "Transfer-Encoding: chunked")
    if token:
        headers.append(f"Cookie: {auth.SESSION_COOKIE}={token}")
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        try:
            while sent < body_bytes:
                # Stop as soon as the server answers, as a browser would.
                if select.select([connection], [], [], 0)[0]:
                    break
                piece = CHUNK[: body_bytes - sent]
                connection.sendall(piece if declare_length else b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            if sent >= body_bytes and not declare_length:
                connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed between two pieces: its answer is read below
        try:
            while b"\r\n" not in answer and (received := connection.recv(65536)):
                answer += received
        except ConnectionResetError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def test_a_signed_out_visitor_sending_1_gb_gets_401_and_nothing_is_written(server, people):
    before = bytes_written(server["pid"])
    status, _sent = send(server["port"], upload_url(people["line"]), None, GIGABYTE, declare_length=False)
    assert status == 401
    assert bytes_written(server["pid"]) - before < 64 * 1024
    assert not any(server["spool"].glob("*"))


def test_a_user_without_the_import_permission_gets_403_and_nothing_is_written(server, people):
    before = bytes_written(server["pid"])
    status, _sent = send(server["port"], upload_url(people["line"]), people["clerk"], GIGABYTE, declare_length=False)
    assert status == 403
    assert bytes_written(server["pid"]) - before < 64 * 1024


def test_a_declared_1_gb_upload_is_refused_before_its_body_is_read(server, people):
    before = bytes_written(server["pid"])
    status, _sent = send(server["port"], upload_url(people["line"]), people["admin"], GIGABYTE, declare_length=True)
    assert status == 413
    assert bytes_written(server["pid"]) - before < 64 * 1024


def test_a_streamed_1_gb_upload_stops_at_100_mb_and_leaves_no_file(server, people):
    before = bytes_written(server["pid"])
    status, sent = send(server["port"], upload_url(people["line"]), people["admin"], GIGABYTE, declare_length=False)
    written = bytes_written(server["pid"]) - before
    assert status == 413
    assert written <= MAX_IMPORT_BYTES + 64 * 1024, f"{written / MB:.0f} MB written"
    assert sent < 2 * MAX_IMPORT_BYTES, f"the server kept reading: {sent / MB:.0f} MB taken"
    assert not any(server["spool"].glob("*"))


def test_a_file_within_the_limit_is_staged_for_the_user_who_sent_it(server, people):
    response = httpx.post(
        f"http://127.0.0.1:{server['port']}{upload_url(people['line'])}",
        content=b"Full Name,Phone\nJane Doe,415 555 2671\n",
        headers={"X-File-Name": "customers%20(1).csv"},
        cookies={auth.SESSION_COOKIE: people["admin"]},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["name"] == "customers (1).csv"
    assert answer["size"] == 38
    staged = server["spool"] / answer["id"]
    assert staged.read_bytes() == b"Full Name,Phone\nJane Doe,415 555 2671\n"


def test_reflexs_own_upload_endpoint_is_refused_before_reading(server, people):
    before = bytes_written(server["pid"])
    status, _sent = send(server["port"], "/_upload", None, GIGABYTE, declare_length=False)
    assert status == 404
    assert bytes_written(server["pid"]) - before < 64 * 1024


def test_a_staged_file_is_found_only_for_its_own_user(tmp_path, monkeypatch):
    monkeypatch.setattr(import_files, "IMPORT_SPOOL_DIR", tmp_path)
    staged_id, path = import_files.new_staged_file(7, "people.CSV")
    path.write_text("x")
    assert import_files.staged_file(7, staged_id) == path
    assert import_files.staged_file(8, staged_id) is None
    assert import_files.staged_file(7, "../" + staged_id) is None


def test_start_up_sweeps_staged_files_older_than_a_day(tmp_path, monkeypatch):
    monkeypatch.setattr(import_files, "IMPORT_SPOOL_DIR", tmp_path)
    _, old = import_files.new_staged_file(1, "old.csv")
    _, fresh = import_files.new_staged_file(1, "fresh.csv")
    old.write_text("people's data")
    fresh.write_text("people's data")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    assert import_files.sweep_stale_files() == 1
    assert not old.exists()
    assert fresh.exists()
