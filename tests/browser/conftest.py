"""Starts the real app once (bin/serve, or bin/serve-many) and drives it with Chromium."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import text
from sqlmodel import select
from twilio_standin import TwilioStandin

import contacts_app.jobs  # noqa: F401 - its commit hooks wake the app's outboxes (see served_app)
from contacts_app.api.session import SIGN_IN_ROUTE
from contacts_app.db import make_engine, session_scope
from contacts_app.domain import auth, users
from contacts_app.models import Role, User

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_ROOT / "test-output" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
DEBIAN_CHROMIUM = "/usr/bin/chromium"
# The machine is offline: Chromium's own background calls would only fail, slowly.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
START_TIMEOUT_SECONDS = 900
# Empty: the real clock. A test writes an ISO time into it to move the app's scheduler.
APP_CLOCK_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / f"contacts-test-clock-{os.getpid()}"
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
# Everything a test may have written, children before parents; the administrator and lines stay.
WIPED_TABLES = (
    # A finished Delete All or import would otherwise show its outcome on the next test's page.
    "background_job",
    "processed_carrier_event",
    "line_carrier",
    "carrier_connection",
    "webhook_delivery",
    "webhook_endpoint",
    "api_key",
    "reminder",
    "message",
    "blast_skip",
    "blast",
    "review_flag",
    "list_membership",
    "contact_list",
    "consentevent",
    "contact_field_value",
    "contact_tag",
    "custom_field",
    "contact",
    "user_session",
    "login_attempt",
    "account_plan",
    # The consent message a test edits would otherwise reach the next test's texts.
    "account_settings",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with (
                urllib.request.urlopen(url + "/ping", timeout=2) as ping,
                urllib.request.urlopen(url, timeout=2) as page,
            ):
                if ping.status == 200 and page.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app did not answer at {url} in {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-4000:]}")


# CONTACTS_BROWSER_SETUP=many drives the scaled set-up instead of one process on SQLite: bin/serve-many,
# two web processes of two workers each behind nginx, sharing PostgreSQL (a fresh schema of the
# test database) and Redis (CONTACTS_TEST_REDIS_URL).
BROWSER_SETUP = os.environ.get("CONTACTS_BROWSER_SETUP", "one")
if BROWSER_SETUP not in ("one", "many"):
    raise pytest.UsageError(f"CONTACTS_BROWSER_SETUP is one or many, not {BROWSER_SETUP!r}")
TEST_POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("CONTACTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
MANY_WEB_PROCESSES = 2
MANY_WORKERS_EACH = 2


@dataclass
class ServedApp:
    """The app the browser tests drive: its public address and the processes behind it."""

    url: str
    setup: str
    process: subprocess.Popen
    web_ports: list[int]

    def workers(self) -> list[int]:
        """The pids of the worker processes serving requests (Granian's children of each web process)."""
        web_processes = [self.process.pid] if self.setup == "one" else _children(self.process.pid, "python")
        return [pid for web in web_processes for pid in _children(web, "python")]


def _children(pid: int, name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid), name], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


@pytest.fixture(scope="session")
def twilio_standin() -> Iterator[TwilioStandin]:
    """The app's Twilio: a local stand-in speaking Twilio's REST API (tests/twilio_standin.py)."""
    with TwilioStandin() as standin:
        yield standin


@pytest.fixture(scope="session")
def app_database_url(tmp_path_factory) -> Iterator[str]:
    if BROWSER_SETUP == "one":
        yield f"sqlite:///{tmp_path_factory.mktemp('app-db') / 'contacts.db'}"
        return
    # A schema of its own in the test database, empty: the web processes migrate it as they start.
    schema = f"browser_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{TEST_POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def app_import_dir(tmp_path_factory) -> Path:
    """Where the app stages uploaded import files (tests check that none is kept)."""
    return tmp_path_factory.mktemp("imports")


@pytest.fixture(scope="session")
def app_log_path(tmp_path_factory) -> Path:
    """Where the served app's output goes (the error watch reads it)."""
    return tmp_path_factory.mktemp("app-log") / "serve.log"


@pytest.fixture(scope="session")
def served_app(app_database_url, app_import_dir, app_log_path, tmp_path_factory, twilio_standin) -> Iterator[ServedApp]:
    port = _free_port()
    log_path = app_log_path
    env = {
        **os.environ,
        "DATABASE_URL": app_database_url,
        # Carrier credentials are encrypted with this key; the official twilio client is aimed at the stand-in.
        "CONTACTS_SECRET_KEY": Fernet.generate_key().decode(),
        "CONTACTS_TWILIO_API_BASE": twilio_standin.url,
        "CONTACTS_IMPORT_DIR": str(app_import_dir),
        # The reminders' scheduler goes by this file's time when it holds one (tests/browser/test_reminders.py).
        "CONTACTS_TEST_CLOCK_FILE": str(APP_CLOCK_FILE),
        "REFLEX_USE_NPM": "1",
        "PORT": str(port),
        # The tests' webhook receivers listen on 127.0.0.1, refused by default (see SECURITY.md).
        "CONTACTS_WEBHOOK_ALLOW_PRIVATE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # A row a test writes straight to the database (a contact that fires a webhook) wakes the app's
    # outbox through the app's own job queue, as the command line's writes do.
    jobs_url = TEST_REDIS_URL if BROWSER_SETUP == "many" else app_database_url.removesuffix(".db") + ".jobs.db"
    env["CONTACTS_JOBS_URL"] = jobs_url
    # The test's own writes (another user, the API, an import) reach the open pages as the command
    # line's do: in the scaled set-up through the app's Redis (live.py), which PostgreSQL cannot
    # announce by itself; without it only the first refresh after the page opened could show them.
    test_process_env = {"CONTACTS_JOBS_URL": jobs_url}
    if BROWSER_SETUP == "many":
        test_process_env["CONTACTS_REDIS_URL"] = TEST_REDIS_URL
    previous_env = {name: os.environ.get(name) for name in test_process_env}
    os.environ.update(test_process_env)
    web_ports = [port]
    command = [str(PROJECT_ROOT / "bin" / "serve")]
    if BROWSER_SETUP == "many":
        web_ports = [_free_port() for _ in range(MANY_WEB_PROCESSES)]
        env |= {
            "REFLEX_REDIS_URL": TEST_REDIS_URL,
            "WEB_PORTS": " ".join(map(str, web_ports)),
            "WEB_WORKERS": str(MANY_WORKERS_EACH),
            "RUN_DIR": str(tmp_path_factory.mktemp("serve-many")),
        }
        command = [str(PROJECT_ROOT / "bin" / "serve-many")]
    else:
        env.pop("REFLEX_REDIS_URL", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        yield ServedApp(url=url, setup=BROWSER_SETUP, process=process, web_ports=web_ports)
    finally:
        for name, previous in previous_env.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


@pytest.fixture(scope="session")
def app_url(served_app) -> str:
    return served_app.url


# Per module: Playwright's sync API keeps an asyncio loop running while it is open, which would
# break later non-browser tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        executable = DEBIAN_CHROMIUM if Path(DEBIAN_CHROMIUM).exists() else None
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_db(app_database_url):
    """The app's own database, emptied of contacts before each test."""
    engine = make_engine(app_database_url)
    with engine.begin() as connection:
        for table in WIPED_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM line_access"))
        connection.execute(text("DELETE FROM line WHERE id <> (SELECT MIN(id) FROM line)"))
        connection.execute(text("DELETE FROM app_user WHERE email <> :email"), {"email": ADMIN_EMAIL})
    with session_scope(engine) as session:
        if session.exec(select(User).where(User.email == ADMIN_EMAIL)).first() is None:
            users.create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN)
    yield engine
    engine.dispose()


# ----- errors in the browser or the server fail the test -----

# What the server prints when a handler or route breaks (Reflex logs handler errors, uvicorn
# prints tracebacks); refusals and validation errors are answers, not errors, and print neither.
SERVER_ERROR = re.compile(r"Traceback \(most recent call last\)|^\s*ERROR\b|\[ERROR\]|Exception in ASGI", re.MULTILINE)


class ErrorWatch:
    """Collects console errors and uncaught exceptions of every page of the test's browser contexts."""

    def __init__(self, allowed: list[re.Pattern]) -> None:
        self.allowed = allowed
        self.errors: list[str] = []

    def _record(self, error: str) -> None:
        if not any(pattern.search(error) for pattern in self.allowed):
            self.errors.append(error)

    def attach(self, context) -> None:
        context.on(
            "console",
            lambda message: (
                message.type == "error" and self._record(f"console: {message.text} ({message.location.get('url', '')})")
            ),
        )
        context.on("weberror", lambda web_error: self._record(f"uncaught: {web_error.error}"))


@pytest.fixture
def error_watch(request, app_log_path) -> Iterator[ErrorWatch]:
    """Fails the test on any browser console error or server error that happened during it.

    A test expecting one says so: @pytest.mark.allow_errors(r"regex", ...).
    """
    marker = request.node.get_closest_marker("allow_errors")
    watch = ErrorWatch([re.compile(p) for p in (marker.args if marker else ())])
    start = app_log_path.stat().st_size if app_log_path.exists() else 0
    yield watch
    if app_log_path.exists():
        with app_log_path.open(errors="replace") as log:
            log.seek(start)
            server_output = log.read()
        for match in SERVER_ERROR.finditer(server_output):
            watch._record(f"server: {server_output[match.start() : match.start() + 2000]}")
    if watch.errors:
        pytest.fail("errors during the test:\n" + "\n".join(watch.errors), pytrace=False)


@pytest.fixture(params=list(VIEWPORTS))
def viewport_name(request) -> str:
    return request.param


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in_cookie(engine, app_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> dict:
    """The session cookie the server's sign-in route sets (the form itself has its own tests).

    `engine` is the app's database, for callers that sign in someone they just created there.
    """
    body = urllib.parse.urlencode({"email": email, "password": password}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(f"{app_url}{SIGN_IN_ROUTE}", data=body, method="POST"), timeout=30)
    except urllib.error.HTTPError as answer:
        response = answer
    else:
        raise AssertionError("the sign-in route answered without a redirect")
    set_cookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        set_cookie.load(header)
    if auth.SESSION_COOKIE not in set_cookie:
        raise AssertionError(f"{email} was not signed in: {response.headers.get('Location')}")
    morsel = set_cookie[auth.SESSION_COOKIE]
    assert morsel["httponly"], "the session cookie must be HttpOnly"
    return {"name": morsel.key, "value": morsel.value, "url": app_url, "httpOnly": True, "sameSite": "Lax"}


@pytest.fixture
def new_context(browser, app_url, viewport_name, error_watch):
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORTS[viewport_name], base_url=app_url)
        error_watch.attach(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context, app_url, app_db) -> Iterator[Page]:
    """A page signed in as the administrator."""
    context = new_context()
    context.add_cookies([sign_in_cookie(app_db, app_url)])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page


@pytest.fixture
def shot(page, request, viewport_name):
    """shot("state") saves a screenshot named after the test, the state and the viewport."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"\[.*\]$", "", request.node.name)

    def take(state: str) -> Path:
        path = SCREENSHOT_DIR / f"{test_name}--{state}--{viewport_name}.png"
        page.screenshot(path=path)
        return path

    return take
