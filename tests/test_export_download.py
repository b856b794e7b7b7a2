"""The browser's CSV download: streamed by the server, and checked like any event handler."""

import pytest
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.api.exports import export_url
from contacts_app.db import session_scope
from contacts_app.domain import auth, lines, users
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact
from contacts_app.domain.lists import add_to_list, create_list
from contacts_app.models import Role

PASSWORD = "a long enough password"


@pytest.fixture
def setup(engine, line_id):
    with session_scope(engine) as session:
        admin = users.create_user(session, "boss@example.com", PASSWORD, Role.ADMIN)
        clerk = users.create_user(session, "clerk@example.com", PASSWORD, Role.USER)
        other = lines.add_line(session, admin, "Support", "(415) 555-0199")
        jane = create_contact(session, line_id, ContactInput("Jane Doe", "(415) 555-2671", "Jane@Example.com"))
        create_contact(session, line_id, ContactInput("=HYPERLINK(1)", "415 555 0102"))
        vip = create_list(session, line_id, "VIP")
        add_to_list(session, line_id, vip.id, [jane.id])
        return {"admin": admin, "clerk": clerk, "other_line": other.id, "list": vip.id}


def client_for(engine, email: str | None) -> TestClient:
    client = TestClient(create_api(engine))
    if email:
        client.cookies.set(auth.SESSION_COOKIE, auth.authenticate(engine, email, PASSWORD).token)
    return client


HEADER = "Full Name,Phone,Email,Opted Out,Opted Out Source,Consent Status,Tags,Notes,List: VIP"


def test_signed_in_user_downloads_the_lines_contacts_with_every_column(engine, line_id, setup):
    response = client_for(engine, "boss@example.com").get(export_url(line_id))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="contacts.csv"'
    assert response.text.splitlines() == [
        HEADER,
        "'=HYPERLINK(1),+14155550102,,no,,Not sent,,,",
        "Jane Doe,+14155552671,jane@example.com,no,,Not sent,,,yes",
    ]


def test_a_lists_download_holds_its_members_only(engine, line_id, setup):
    response = client_for(engine, "boss@example.com").get(export_url(line_id, ContactFilter(list_id=setup["list"])))
    assert response.text.splitlines() == [HEADER, "Jane Doe,+14155552671,jane@example.com,no,,Not sent,,,yes"]
    assert 'filename="VIP.csv"' in response.headers["content-disposition"]


def test_download_needs_a_signed_in_user(engine, line_id, setup):
    assert client_for(engine, None).get(export_url(line_id)).status_code == 401


def test_download_of_a_line_that_is_not_yours_is_refused(engine, line_id, setup):
    response = client_for(engine, "clerk@example.com").get(export_url(setup["other_line"]))
    assert response.status_code == 403


def test_download_is_refused_when_export_is_taken_away(engine, line_id, setup):
    with session_scope(engine) as session:
        lines.assign_owner(session, setup["admin"], line_id, setup["clerk"].id)
        users.set_permissions(session, setup["admin"], setup["clerk"].id, {"can_export": False})
    response = client_for(engine, "clerk@example.com").get(export_url(line_id))
    assert response.status_code == 403
    assert "export" in response.text.lower()
