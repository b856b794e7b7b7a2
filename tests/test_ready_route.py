"""GET /ready says whether a web process can serve: database with the current schema, and Redis."""

import os

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api

REDIS_URL = os.environ.get("CONTACTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def test_ready_when_the_database_is_migrated_and_no_redis_is_configured(engine, monkeypatch):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    with TestClient(create_api(engine)) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "redis": "not used"}


def test_not_ready_before_the_schema_is_migrated(blank_engine, monkeypatch):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    with TestClient(create_api(blank_engine)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert "contacts-app migrate" in response.json()["database"]


def test_not_ready_when_redis_does_not_answer(engine, monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:1/0")
    with TestClient(create_api(engine)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert "ConnectionError" in response.json()["redis"]


def test_ready_with_redis_answering(engine, monkeypatch):
    from redis import Redis
    from redis.exceptions import ConnectionError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except ConnectionError:
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    monkeypatch.setenv("REFLEX_REDIS_URL", REDIS_URL)
    with TestClient(create_api(engine)) as client:
        assert client.get("/ready").json() == {"ready": True, "database": "ok", "redis": "ok"}
