"""Property-based: schemathesis generates requests from the API's own OpenAPI spec; none may get a 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlmodel import select
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.db import session_scope
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.models import ContactList, Line

EXAMPLES_PER_RUN = 300


@pytest.fixture
def api_and_key(engine, line_id):
    with session_scope(engine) as session:
        line = session.get(Line, line_id)
        line.phone = "+14155550100"
        session.add(line)
        key = create_api_key(session, line.account_id, "fuzz")
        # Some rows for generated ids to hit.
        for n in range(3):
            create_contact(session, line_id, ContactInput(f"Person {n}", f"(415) 555-01{n:02d}"))
        session.add(ContactList(line_id=line_id, name="VIP", name_key="vip"))
    return create_api(engine), key


def test_no_generated_request_gets_a_server_error(api_and_key, engine):
    api, key = api_and_key
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api)
    seen: list[tuple[str, str, int]] = []

    @given(case=schema.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_RUN,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {key}"})
        seen.append((case.method, case.path, response.status_code))
        assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text}"

    run()
    # The run reached every route, and past authentication (not only 4xx for bad input).
    assert {path for _, path, _ in seen} >= set(schema.raw_schema["paths"])
    assert any(status < 300 for _, _, status in seen)
    with session_scope(engine) as session:
        assert session.exec(select(Line)).first() is not None


def test_unauthenticated_generated_requests_get_401(api_and_key):
    api, _ = api_and_key
    with TestClient(api) as client:
        for path, methods in client.get("/api/openapi.json").json()["paths"].items():
            concrete = path.replace("{contact_id}", "1").replace("{list_id}", "1").replace("{phone}", "4155550100")
            for method in methods:
                if path.startswith("/api/v1/carriers/"):
                    # Carriers sign their webhooks instead of sending a key: unsigned is 403.
                    unsigned = client.request(method.upper(), path.replace("{carrier}", "twilio"), data={"To": "1"})
                    assert unsigned.status_code == 403, (method, path)
                    continue
                assert client.request(method.upper(), concrete, json={}).status_code == 401, (method, path)
