"""The served app's REST API answers as its OpenAPI description says (schemathesis, default checks).

Requests the description calls valid must be accepted, ones it calls invalid refused, every status
and body must be documented. It runs against the real app started by the browser tests, so the
description checked is the one a client downloads from /api/openapi.json.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import custom_fields
from contacts_app.domain.api_keys import create_api_key
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.models import ContactList, FieldKind, Line

pytestmark = pytest.mark.browser

EXAMPLES_PER_OPERATION = 60

# The description's `format: phone` is "a number as a person writes it"; these are such numbers,
# in the international and the national way of writing them.
schemathesis.openapi.format(
    "phone",
    st.integers(0, 9999).flatmap(
        lambda n: st.sampled_from([f"+1415555{n:04d}", f"(415) 555-{n:04d}", f"415.555.{n:04d}"])
    ),
)

# `format: blast-text`: a text with a character that is not a space, and only the known merge fields.
schemathesis.openapi.format(
    "blast-text",
    st.from_regex(r"\A[A-Za-z0-9 ,.!?]{0,60}[A-Za-z0-9!?]( \{(first|full)_name\})?\Z"),
)

# `format: deliverable-email`: addresses mail can reach (no special-use domain such as .test).
schemathesis.openapi.format(
    "deliverable-email",
    st.from_regex(r"\A[a-z0-9]{1,20}(\.[a-z0-9]{1,10})?@[a-z][a-z0-9]{0,19}\.(com|org|net|co\.uk)\Z"),
)


# The account's custom fields are its own, so the description cannot name them: the test's
# account has one text field, and the requests name only it (any other name is a 422 saying so).
ACCOUNT_FIELD = "Company"


@schemathesis.hook
def before_load_schema(_context, raw_schema) -> None:
    def narrow(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict) and "fields" in node["properties"]:
                for option in node["properties"]["fields"].get("anyOf", [node["properties"]["fields"]]):
                    if option.get("type") == "object" and "propertyNames" in option:
                        option["propertyNames"] = {"enum": [ACCOUNT_FIELD]}
            for value in node.values():
                narrow(value)
        elif isinstance(node, list):
            for value in node:
                narrow(value)

    narrow(raw_schema)


@pytest.fixture
def served_api_schema(app_url):
    return schemathesis.openapi.from_url(app_url + "/api/openapi.json")


@pytest.fixture
def api_key(app_db) -> str:
    with session_scope(app_db) as session:
        line = session.exec(select(Line).order_by(Line.id)).first()
        for n in range(3):
            create_contact(session, line.id, ContactInput(f"Person {n}", f"(415) 555-01{n:02d}"))
        session.add(ContactList(line_id=line.id, name="VIP", name_key="vip"))
        if not any(field.name == ACCOUNT_FIELD for field in custom_fields.account_fields(session, line.account_id)):
            custom_fields.create_field(session, line.account_id, ACCOUNT_FIELD, FieldKind.TEXT)
        return create_api_key(session, line.account_id, "schemathesis")


def test_the_served_api_answers_as_its_description_says(served_api_schema, api_key):
    failures: list[str] = []
    for loaded in served_api_schema.get_all_operations():
        operation = loaded.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def answers_as_described(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"})

        try:
            answers_as_described()
        except Exception as mismatch:  # noqa: BLE001 - collect every operation's, then fail once
            failures.append(f"{operation.label}: {mismatch}")
    assert not failures, "\n\n".join(failures)
