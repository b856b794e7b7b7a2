"""The app served by several processes: a worker dying, two pages on different processes.

Run against the scaled set-up (two web processes behind nginx, PostgreSQL, Redis) with
CONTACTS_BROWSER_SETUP=many; the worker test runs on the default one-process set-up too.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from contacts_app.db import head_revision, make_engine
from contacts_app.domain import auth
from contacts_app.server import BUILD_DIR

from .conftest import (
    BROWSER_SETUP,
    PROJECT_ROOT,
    TEST_POSTGRES_URL,
    TEST_REDIS_URL,
    ServedApp,
    _free_port,
    _wait_until_serving,
    sign_in_cookie,
)
from .contacts_page import add_contact, contact_rows, open_contacts

pytestmark = pytest.mark.browser

RESPAWN_TIMEOUT_SECONDS = 60


def wait_for_replacement(served_app: ServedApp, killed: int, count: int) -> None:
    deadline = time.monotonic() + RESPAWN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        workers = served_app.workers()
        if killed not in workers and len(workers) == count:
            return
        assert served_app.process.poll() is None, "the app stopped when one worker died"
        time.sleep(0.5)
    raise AssertionError(f"worker {killed} was not replaced in {RESPAWN_TIMEOUT_SECONDS}s")


# The page's socket to the killed worker breaks and reconnects; the server notes the killed worker.
@pytest.mark.allow_errors(r"WebSocket connection to .* failed", r"Unexpected exit from worker")
def test_a_worker_killed_mid_session_is_replaced_and_the_open_page_keeps_working(page, served_app, viewport_name, shot):
    if viewport_name == "phone":
        pytest.skip("a server matter, the same at every size")
    open_contacts(page)
    workers = served_app.workers()
    assert workers, "no worker processes found"
    # Every worker in turn, so the one holding this page's websocket dies too.
    for number, victim in enumerate(workers, start=1):
        os.kill(victim, signal.SIGKILL)
        wait_for_replacement(served_app, victim, len(workers))
        add_contact(page, f"Survivor {number}", f"415 555 01{number:02d}")
        expect(contact_rows(page).filter(has_text=f"Survivor {number}")).to_be_visible()
    shot("after-every-worker-was-killed")
    # A new visitor is served as well.
    page.reload()
    expect(contact_rows(page)).to_have_count(len(workers))


def socket_owner(page: Page) -> str | None:
    """The id of the worker process holding this page's websocket (Reflex records it in Redis)."""
    from redis import Redis

    redis = Redis.from_url(TEST_REDIS_URL)
    # The record is written just after the websocket connects, which may be well after the page shows
    # on a loaded machine. The token is read afresh each time: when a reconnect finds the old record
    # still in Redis, Reflex hands the page a new token, and the old one's record never comes.
    deadline = time.monotonic() + 30
    while True:
        token = page.evaluate("() => window.sessionStorage.getItem('token')")
        record = redis.get(f"token_manager_socket_record_{token}")
        if record is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return pickle.loads(record).instance_id if record else None


def page_on_another_process(new_context, app_url, app_db, than: str) -> Page:
    """A second signed-in page whose websocket another worker process holds (nginx spreads them)."""
    for _ in range(12):
        context = new_context()
        context.add_cookies([sign_in_cookie(app_db, app_url)])
        other = context.new_page()
        other.set_default_timeout(10_000)
        open_contacts(other)
        owner = socket_owner(other)
        if owner is not None and owner != than:
            return other
        context.close()
    raise AssertionError("every page landed on the same process: is nginx spreading connections?")


@pytest.mark.skipif(BROWSER_SETUP != "many", reason="needs the scaled set-up (CONTACTS_BROWSER_SETUP=many)")
def test_two_pages_on_different_processes_act_as_one_app(page, new_context, app_url, app_db, viewport_name, shot):
    if viewport_name == "phone":
        pytest.skip("a server matter, the same at every size")
    open_contacts(page)
    first_owner = socket_owner(page)
    assert first_owner is not None
    other = page_on_another_process(new_context, app_url, app_db, than=first_owner)

    add_contact(page, "Ada Lovelace", "415 555 2671")
    expect(contact_rows(other).filter(has_text="Ada Lovelace")).to_be_visible(timeout=10_000)
    add_contact(other, "Grace Hopper", "415 555 0101")
    expect(contact_rows(page).filter(has_text="Grace Hopper")).to_be_visible(timeout=10_000)
    shot("first-page")
    # Each page's own state stays its own, wherever its events are handled.
    page.get_by_label("Search contacts").fill("grace")
    expect(contact_rows(page)).to_have_count(1)
    expect(contact_rows(other)).to_have_count(2)


@pytest.mark.skipif(BROWSER_SETUP != "many", reason="needs the scaled set-up (CONTACTS_BROWSER_SETUP=many)")
def test_an_edit_on_one_process_shows_in_the_contact_open_on_another(page, new_context, app_url, app_db, viewport_name):
    if viewport_name == "phone":
        pytest.skip("a server matter, the same at every size")
    open_contacts(page)
    other = page_on_another_process(new_context, app_url, app_db, than=socket_owner(page))
    add_contact(page, "Ada Lovelace", "415 555 2671")
    add_contact(page, "Grace Hopper", "415 555 0101")
    contact_rows(other).filter(has_text="Ada Lovelace").click()
    expect(contact_details(other).get_by_label("Email")).to_have_value("")

    contact_rows(page).filter(has_text="Ada Lovelace").click()
    panel = contact_details(page)
    expect(panel.get_by_label("Full Name")).to_have_value("Ada Lovelace")
    panel.get_by_label("Email").fill("ada@analytical.engine")
    panel.get_by_role("button", name="Update Contact Details").click()
    expect(page.get_by_text("Contact details updated.")).to_be_visible()
    expect(contact_details(other).get_by_label("Email")).to_have_value("ada@analytical.engine", timeout=10_000)


def contact_details(page: Page):
    return page.get_by_role("region", name="Contact details")


@pytest.mark.skipif(BROWSER_SETUP != "many", reason="needs the scaled set-up (CONTACTS_BROWSER_SETUP=many)")
def test_no_raw_session_token_is_kept_in_redis_by_the_scaled_setup(page, viewport_name):
    """Page state lives in Redis here: after signing in, searching and opening a contact, the
    token of the browser's session cookie is nowhere in it (only its hash, as in the database)."""
    from redis import Redis

    from .test_sessions import _everything_in

    if viewport_name == "phone":
        pytest.skip("a server matter, the same at every size")
    open_contacts(page)
    add_contact(page, "Katherine Johnson", "415 555 0177")
    page.get_by_label("Search contacts").fill("katherine")
    expect(contact_rows(page)).to_have_count(1)
    contact_rows(page).first.click()
    expect(page.get_by_role("heading", name="Katherine Johnson")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == auth.SESSION_COOKIE]
    assert cookie["httpOnly"]
    token = cookie["value"].encode()
    store = Redis.from_url(TEST_REDIS_URL)
    try:
        stored = _everything_in(store)
    finally:
        store.close()
    assert any(b"Katherine Johnson" in value for value in stored), "the page state is not in this Redis database"
    assert not [value[:80] for value in stored if token in value]


@pytest.mark.skipif(BROWSER_SETUP != "many", reason="needs PostgreSQL and Redis (CONTACTS_BROWSER_SETUP=many)")
def test_web_processes_on_an_empty_database_migrate_once_and_serve_without_rebuilding(served_app, tmp_path):
    """What `bin/serve` runs after its build, with REFLEX_REDIS_URL: several workers, a new database."""
    built_at = (BUILD_DIR / "index.html").stat().st_mtime
    schema = f"empty_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    port = _free_port()
    log_path = tmp_path / "web.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"{TEST_POSTGRES_URL}?options=-csearch_path%3D{schema}",
        "REFLEX_REDIS_URL": TEST_REDIS_URL,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "contacts_app.server", "web", "--port", str(port), "--workers", "3"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, process, log_path)
        with urllib.request.urlopen(url + "/ready", timeout=10) as ready:
            assert json.load(ready) == {"ready": True, "database": "ok", "redis": "ok"}
        with admin.connect() as connection:
            versions = connection.execute(text(f'SELECT version_num FROM "{schema}".alembic_version')).all()
        assert versions == [(head_revision(),)]
        assert (BUILD_DIR / "index.html").stat().st_mtime == built_at
        assert "UniqueViolation" not in log_path.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
