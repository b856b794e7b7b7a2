"""`contacts-app create-user` and `set-plan`, run as a real process against a temporary SQLite database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from contacts_app.db import make_engine, session_scope
from contacts_app.domain.auth import authenticate
from contacts_app.domain.consent_message import consent_message_for
from contacts_app.domain.contacts import ensure_default_line
from contacts_app.domain.permissions import Action, explain
from contacts_app.models import Role, User

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def contacts_app(database_url: str, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "contacts_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )


def stored_users(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return [(u.email, u.role) for u in session.exec(select(User).order_by(User.id))]
    finally:
        engine.dispose()


def test_first_user_from_the_terminal_is_an_administrator_who_can_sign_in(database_url):
    done = contacts_app(
        database_url, "create-user", "Owner@Shop.com", "--password-stdin", stdin="correct horse battery\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Created administrator owner@shop.com."

    done = contacts_app(database_url, "create-user", "clerk@shop.com", "--password-stdin", stdin="another password\n")
    assert done.stdout.strip() == "Created user clerk@shop.com."
    done = contacts_app(
        database_url, "create-user", "boss@shop.com", "--admin", "--password-stdin", stdin="a third password\n"
    )
    assert done.stdout.strip() == "Created administrator boss@shop.com."

    assert stored_users(database_url) == [
        ("owner@shop.com", Role.ADMIN),
        ("clerk@shop.com", Role.USER),
        ("boss@shop.com", Role.ADMIN),
    ]
    engine = make_engine(database_url)
    try:
        # The trailing newline of stdin is not part of the password.
        assert authenticate(engine, "owner@shop.com", "correct horse battery").user_id
    finally:
        engine.dispose()


def test_bad_input_is_refused_with_the_reason_and_creates_nobody(database_url):
    done = contacts_app(database_url, "create-user", "not-an-email", "--password-stdin", stdin="short\n")
    assert done.returncode == 1
    assert "Enter an e-mail address like name@example.com." in done.stderr
    assert "at least 10 characters" in done.stderr
    assert stored_users(database_url) == []


def test_duplicate_email_is_refused(database_url):
    contacts_app(database_url, "create-user", "owner@shop.com", "--password-stdin", stdin="correct horse battery\n")
    done = contacts_app(database_url, "create-user", "OWNER@shop.com", "--password-stdin", stdin="other password\n")
    assert done.returncode == 1
    assert "already exists" in done.stderr


def test_without_a_terminal_the_password_must_come_from_stdin(database_url):
    done = contacts_app(database_url, "create-user", "owner@shop.com", stdin="correct horse battery\n")
    assert done.returncode == 1
    assert "--password-stdin" in done.stderr
    assert stored_users(database_url) == []


def test_set_plan_takes_features_away_from_everyone(database_url):
    contacts_app(database_url, "create-user", "owner@shop.com", "--password-stdin", stdin="correct horse battery\n")
    done = contacts_app(database_url, "set-plan", "basic")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "“My Business” is on the basic plan: deleting contacts."
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            admin = session.exec(select(User)).one()
            assert explain(session, admin, Action.DELETE_ALL) == "Your plan does not include Delete All."
            assert explain(session, admin, Action.DELETE_CONTACT) is None
    finally:
        engine.dispose()
    assert contacts_app(database_url, "set-plan", "gold").returncode == 2  # argparse: not a plan


def test_set_region_makes_numbers_without_country_code_read_in_that_country(database_url, tmp_path):
    done = contacts_app(database_url, "set-region", "gb")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Numbers without a country code are now read as GB numbers."
    csv_file = tmp_path / "uk.csv"
    csv_file.write_text("Ada Lovelace,020 7946 0958\n")
    assert contacts_app(database_url, "import", str(csv_file)).returncode == 0
    assert contacts_app(database_url, "export").stdout.splitlines()[1].startswith("Ada Lovelace,+442079460958,,")


def test_set_region_refuses_an_unknown_code(database_url):
    done = contacts_app(database_url, "set-region", "XX")
    assert done.returncode != 0
    assert "“XX” is not a region code" in done.stderr


def test_set_business_name_is_what_consent_requests_start_with(database_url):
    done = contacts_app(database_url, "set-business-name", "  Corner   Bakery ")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Consent requests now start with “Corner Bakery”."
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        account_id = ensure_default_line(session).account_id
        assert consent_message_for(session, account_id).startswith("Corner Bakery: ")
    engine.dispose()


def test_set_business_name_refuses_a_blank_name(database_url):
    done = contacts_app(database_url, "set-business-name", "   ")
    assert done.returncode != 0
    assert "Enter the business name" in done.stderr
