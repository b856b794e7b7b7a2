"""`contacts-app create-account`, `add-line`, `set-line-number` and `--account`, as real processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from contacts_app.db import make_engine, session_scope
from contacts_app.domain.auth import authenticate
from contacts_app.domain.permissions import plan_of
from contacts_app.models import Account, Contact, Line, Role, User

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery\n"


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def contacts_app(database_url: str, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "contacts_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
    )


def two_accounts(database_url: str) -> None:
    for name, email, number in (
        ("Acme Plumbing", "ann@acme.example.com", "+14155550101"),
        ("Bravo Bakery", "bob@bravo.example.com", "+14155550202"),
    ):
        made = contacts_app(
            database_url,
            "create-account",
            name,
            "--admin",
            email,
            "--line-number",
            number,
            "--password-stdin",
            stdin=PASSWORD,
        )
        assert made.returncode == 0, made.stderr


def test_create_account_makes_the_account_its_first_line_and_its_administrator(database_url):
    made = contacts_app(
        database_url,
        "create-account",
        "Acme Plumbing",
        "--admin",
        "Ann@Acme.example.com",
        "--plan",
        "basic",
        "--region",
        "GB",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert made.returncode == 0, made.stderr
    assert "Acme Plumbing" in made.stdout and "ann@acme.example.com" in made.stdout
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            [account] = session.exec(select(Account)).all()
            assert (account.name, account.default_region) == ("Acme Plumbing", "GB")
            assert plan_of(session, account.id)[0] == "basic"
            [line] = session.exec(select(Line)).all()
            assert line.account_id == account.id and line.phone is None
            [admin] = session.exec(select(User)).all()
            assert (admin.account_id, admin.role) == (account.id, Role.ADMIN)
        assert authenticate(engine, "ann@acme.example.com", PASSWORD.strip()).user_id == admin.id
    finally:
        engine.dispose()


def test_a_bad_create_account_names_every_problem_and_creates_nothing(database_url):
    failed = contacts_app(
        database_url,
        "create-account",
        " ",
        "--admin",
        "not-an-address",
        "--region",
        "XX",
        "--password-stdin",
        stdin="short\n",
    )
    assert failed.returncode == 1
    for word in ("business name", "e-mail", "password", "XX"):
        assert word in failed.stderr
    assert contacts_app(database_url, "accounts").stdout == ""


def test_with_several_accounts_commands_ask_which_and_act_only_on_that_one(database_url, tmp_path):
    two_accounts(database_url)
    guessed = contacts_app(database_url, "set-plan", "basic")
    assert guessed.returncode == 1 and "--account" in guessed.stderr and "Bravo Bakery" in guessed.stderr
    csv = tmp_path / "people.csv"
    csv.write_text("Jane Doe,(415) 555-2671\n")
    imported = contacts_app(database_url, "import", str(csv), "--account", "bravo bakery")
    assert imported.returncode == 0, imported.stderr
    # Acme's export has nobody; Bravo's has Jane; Acme cannot reach Bravo's line by its number.
    assert "Jane" not in contacts_app(database_url, "export", "--account", "Acme Plumbing").stdout
    assert "Jane Doe" in contacts_app(database_url, "export", "--account", "Bravo Bakery").stdout
    crossed = contacts_app(database_url, "export", "--account", "Acme Plumbing", "--line", "+14155550202")
    assert crossed.returncode == 1 and "Jane" not in crossed.stdout
    assert contacts_app(database_url, "set-plan", "basic", "--account", "Bravo Bakery").returncode == 0
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            plans = {account.name: plan_of(session, account.id)[0] for account in session.exec(select(Account))}
            assert plans["Bravo Bakery"] == "basic" and plans["Acme Plumbing"] != "basic"
            assert [contact.full_name for contact in session.exec(select(Contact))] == ["Jane Doe"]
    finally:
        engine.dispose()


def test_add_line_and_set_line_number_provision_numbers_without_the_browser(database_url):
    two_accounts(database_url)
    added = contacts_app(database_url, "add-line", "Front desk", "415 555 0303", "--account", "Acme Plumbing")
    assert added.returncode == 0, added.stderr
    renumbered = contacts_app(
        database_url, "set-line-number", "Main line", "+14155550404", "--account", "Acme Plumbing"
    )
    assert renumbered.returncode == 0, renumbered.stderr
    taken = contacts_app(database_url, "add-line", "Copy", "+14155550202", "--account", "Acme Plumbing")
    assert taken.returncode == 1 and "another account's line" in taken.stderr
    listing = contacts_app(database_url, "accounts").stdout
    assert "Front desk +14155550303" in listing and "Main line +14155550404" in listing
