"""The `contacts-app` command, run for real in a subprocess against a temporary SQLite database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from contacts_app.db import make_engine, session_scope
from contacts_app.domain.contacts import ensure_default_line
from contacts_app.domain.lists import create_list
from contacts_app.models import Contact, Line

SAMPLE = Path(__file__).resolve().parent.parent / "assets" / "sample_contacts.csv"


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def contacts_app(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "contacts_app", *args], env=env, capture_output=True, text=True, timeout=120
    )


def with_database(database_url: str):
    return session_scope(make_engine(database_url))


def test_import_prints_the_summary(database_url):
    result = contacts_app(database_url, "import", str(SAMPLE), "--skip-first-line")
    assert result.returncode == 0, result.stderr
    assert "4 created, 0 updated, 0 unchanged" in result.stdout


def test_rejected_file_exits_non_zero_lists_each_problem_and_writes_nothing(database_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Jane Doe,4155552671\n,2125550199\nSci,1.55501E+10\n", encoding="utf-8")
    result = contacts_app(database_url, "import", str(bad))
    assert result.returncode == 1
    assert "Nothing was imported: 2 problems" in result.stderr
    assert "Line 2, Full Name: Full Name is missing." in result.stderr
    assert "Line 3, Phone:" in result.stderr and "scientific notation" in result.stderr
    assert contacts_app(database_url, "export").stdout.splitlines() == [
        "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes"
    ]


def test_header_without_skip_first_line_suggests_the_option(database_url):
    result = contacts_app(database_url, "import", str(SAMPLE))
    assert result.returncode == 1
    assert "--skip-first-line" in result.stderr


def test_skip_invalid_imports_the_rest_and_reports_what_was_skipped(database_url, tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("Jane Doe,4155552671\nBad,123\n", encoding="utf-8")
    result = contacts_app(database_url, "import", str(mixed), "--skip-invalid")
    assert result.returncode == 0
    assert "1 created" in result.stdout and "1 invalid rows skipped" in result.stdout
    assert "Line 2, Phone" in result.stderr


def test_export_writes_every_column_to_stdout_or_a_file(database_url, tmp_path):
    contacts_app(database_url, "import", str(SAMPLE), "--skip-first-line")
    result = contacts_app(database_url, "export")
    assert result.returncode == 0
    assert result.stdout.splitlines()[:2] == [
        "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes",
        "Jane Doe,+14155552671,jane.doe@example.com,no,,Not sent,,",
    ]
    out = tmp_path / "out.csv"
    assert contacts_app(database_url, "export", "-o", str(out)).returncode == 0
    assert out.read_bytes().decode().splitlines() == result.stdout.splitlines()


def test_import_into_a_list_by_name_and_export_that_list(database_url, tmp_path):
    contacts_app(database_url, "export")  # creates the schema
    with with_database(database_url) as session:
        create_list(session, ensure_default_line(session).id, "VIP")
    one = tmp_path / "one.csv"
    one.write_text("Jane Doe,4155552671\n", encoding="utf-8")
    imported = contacts_app(database_url, "import", str(one), "--list", "vip")
    assert imported.returncode == 0 and "1 added to list" in imported.stdout
    contacts_app(database_url, "import", str(SAMPLE), "--skip-first-line")
    assert contacts_app(database_url, "export", "--list", "VIP").stdout.splitlines()[1:] == [
        "Jane Doe,+14155552671,jane.doe@example.com,no,,Not sent,,,yes"
    ]
    missing = contacts_app(database_url, "export", "--list", "Nope")
    assert missing.returncode == 1 and "no list named" in missing.stderr


def test_line_must_be_named_when_the_install_has_several(database_url, tmp_path):
    contacts_app(database_url, "export")
    with with_database(database_url) as session:
        first = ensure_default_line(session)
        first.phone = "+14155550000"
        session.add(first)
        session.add(Line(account_id=first.account_id, name="Shop", phone="+12125550000"))
    one = tmp_path / "one.csv"
    one.write_text("Jane Doe,4155552671\n", encoding="utf-8")
    unnamed = contacts_app(database_url, "import", str(one))
    assert unnamed.returncode == 1 and "--line" in unnamed.stderr
    assert contacts_app(database_url, "import", str(one), "--line", "(212) 555-0000").returncode == 0
    assert contacts_app(database_url, "export", "--line", "+1 212 555 0000").stdout.count("\n") == 2
    assert contacts_app(database_url, "export", "--line", "4155550000").stdout.count("\n") == 1


def test_installed_console_script_runs(database_url):
    script = Path(sys.executable).parent / "contacts-app"
    if not script.exists():
        pytest.skip("the package is not installed (pip install -e .)")
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run([str(script), "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "import" in result.stdout and "export" in result.stdout


def test_dry_run_proposes_a_mapping_from_the_header_and_writes_nothing(database_url, tmp_path):
    path = tmp_path / "outlook.csv"
    path.write_text("First Name,Last Name,Company,Mobile Phone\nGrace,Hopper,Navy,(415) 555-0103\n")
    result = contacts_app(database_url, "import", str(path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Mobile Phone -> Phone" in result.stdout
    assert "Company -> Don't import" in result.stdout
    assert 'as --map "First Name=first_name,Last Name=last_name,Mobile Phone=phone"' in result.stdout
    assert "1 rows ready to import, nothing written" in result.stdout
    with with_database(database_url) as session:
        assert session.exec(select(Contact)).all() == []


def test_map_option_imports_columns_by_their_names(database_url, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Mobile,Given Name,Family Name,Company\n415 555 0103,Grace,Hopper,Navy\n")
    result = contacts_app(
        database_url, "import", str(path), "--map", "Mobile=phone,Given Name=first_name,Family Name=last_name"
    )
    assert result.returncode == 0, result.stderr
    with with_database(database_url) as session:
        assert [(c.full_name, c.phone) for c in session.exec(select(Contact))] == [("Grace Hopper", "+14155550103")]


def test_map_option_naming_a_missing_column_says_which_columns_there_are(database_url, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Mobile,Name\n415 555 0103,Grace\n")
    result = contacts_app(database_url, "import", str(path), "--map", "Fax=phone")
    assert result.returncode != 0
    assert "The file has no column “Fax”; its columns are: Mobile, Name." in result.stderr
