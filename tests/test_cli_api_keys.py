"""`contacts-app create-api-key` / `revoke-api-key` as real processes; the printed key opens the API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import make_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def contacts_app(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "contacts_app", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
    )


def status_with(database_url: str, key: str) -> int:
    engine = make_engine(database_url)
    try:
        with TestClient(create_api(engine), headers={"Authorization": f"Bearer {key}"}) as client:
            return client.get("/api/v1/contacts").status_code
    finally:
        engine.dispose()


def test_create_api_key_prints_only_the_key_and_it_opens_the_api_until_revoked(database_url):
    created = contacts_app(database_url, "create-api-key", "Zapier")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("ck_") and "\n" not in key
    assert "cannot be shown again" in created.stderr
    assert status_with(database_url, key) == 200

    revoked = contacts_app(database_url, "revoke-api-key", "zapier")
    assert revoked.returncode == 0, revoked.stderr
    assert "Revoked the API key “Zapier”" in revoked.stdout
    assert status_with(database_url, key) == 401


def test_revoke_by_the_start_of_the_key_and_unknown_names_are_refused(database_url):
    key = contacts_app(database_url, "create-api-key", "Website").stdout.strip()
    unknown = contacts_app(database_url, "revoke-api-key", "Nope")
    assert unknown.returncode == 1 and "No live API key is named “Nope”" in unknown.stderr
    assert contacts_app(database_url, "revoke-api-key", key[:12]).returncode == 0
    assert status_with(database_url, key) == 401


def test_a_blank_key_name_is_refused(database_url):
    blank = contacts_app(database_url, "create-api-key", "   ")
    assert blank.returncode == 1
    assert blank.stdout == "" and "Name is required." in blank.stderr
