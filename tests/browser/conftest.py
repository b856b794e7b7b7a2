"""Starts the real app once (production build, one port) and drives it with Chromium."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import text
from sqlmodel import select
from twilio_standin import TwilioStandin

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
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
# Everything a test may have written, children before parents; the administrator and lines stay.
WIPED_TABLES = (
    "processed_carrier_event",
    "line_carrier",
    "carrier_connection",
    "webhook_delivery",
    "webhook_endpoint",
    "api_key",
    "message",
    "review_flag",
    "list_membership",
    "contact_list",
    "consentevent",
    "contact",
    "user_session",
    "login_attempt",
    "account_plan",
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


@pytest.fixture(scope="session")
def app_database_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('app-db') / 'contacts.db'}"


@pytest.fixture(scope="session")
def twilio_standin() -> Iterator[TwilioStandin]:
    """The app's Twilio: a local stand-in speaking Twilio's REST API (tests/twilio_standin.py)."""
    with TwilioStandin() as standin:
        yield standin


@pytest.fixture(scope="session")
def app_url(app_database_url, tmp_path_factory, twilio_standin) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app-log") / "reflex.log"
    env = {
        **os.environ,
        "DATABASE_URL": app_database_url,
        # Carrier credentials are encrypted with this key; the official twilio client is aimed at the stand-in.
        "CONTACTS_SECRET_KEY": Fernet.generate_key().decode(),
        "CONTACTS_TWILIO_API_BASE": twilio_standin.url,
        "REFLEX_USE_NPM": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    reflex = shutil.which("reflex", path=env["PATH"])
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                reflex,
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        yield url
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


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


@pytest.fixture(params=list(VIEWPORTS))
def viewport_name(request) -> str:
    return request.param


def sign_in_cookie(engine, app_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> dict:
    """The session cookie a sign-in would set (signing in through the form has its own tests)."""
    signed_in = auth.authenticate(engine, email, password, client_ip="127.0.0.1")
    return {"name": "contacts_session", "value": signed_in.token, "url": app_url}


@pytest.fixture
def new_context(browser, app_url, viewport_name):
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORTS[viewport_name], base_url=app_url)
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
