"""Signing in and out through the server: the token lives only in an HttpOnly cookie.

The routes answer a native form post with a redirect and `Set-Cookie`; page events get the
token's hash from the event channel's handshake (EventSessionHeader), never the token itself.
"""

from http.cookies import SimpleCookie

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from contacts_app.api import create_api
from contacts_app.api.session import (
    SESSION_HASH_HEADER,
    SETUP_ROUTE,
    SIGN_IN_ROUTE,
    SIGN_OUT_ROUTE,
    hashed_session_headers,
)
from contacts_app.db import session_scope
from contacts_app.domain import auth, users
from contacts_app.models import Account, Role, User, UserSession

PASSWORD = "a long enough password"
EMAIL = "boss@example.com"


@pytest.fixture
def admin(engine, line_id) -> int:
    with session_scope(engine) as session:
        return users.create_user(session, EMAIL, PASSWORD, Role.ADMIN).id


def client(engine, base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_api(engine), base_url=base_url, follow_redirects=False)


def set_cookie_of(response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def sign_in(browser: TestClient, password: str = PASSWORD, **headers: str):
    return browser.post(SIGN_IN_ROUTE, data={"email": EMAIL, "password": password}, headers=headers)


def test_sign_in_over_http_sets_an_httponly_lax_cookie_and_goes_to_the_contacts(engine, admin):
    response = sign_in(client(engine))
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    [header] = response.headers.get_list("set-cookie")
    assert header.startswith(f"{auth.SESSION_COOKIE}=")
    assert "HttpOnly" in header
    assert "samesite=lax" in header.lower()
    assert "Secure" not in header
    token = set_cookie_of(response)[auth.SESSION_COOKIE].value
    with session_scope(engine) as session:
        assert auth.user_for_session(session, token).id == admin


@pytest.mark.parametrize("how", ["forwarded", "direct"])
def test_sign_in_over_https_sets_a_secure_host_prefixed_cookie(engine, admin, how):
    if how == "forwarded":
        response = sign_in(client(engine), **{"X-Forwarded-Proto": "https"})
    else:
        response = sign_in(client(engine, "https://testserver"))
    [header] = response.headers.get_list("set-cookie")
    assert header.startswith(f"{auth.SECURE_SESSION_COOKIE}=")
    cookie = set_cookie_of(response)[auth.SECURE_SESSION_COOKIE]
    # What the __Host- prefix requires: Secure, Path=/, no Domain.
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/" and not cookie["domain"]
    assert cookie["samesite"].lower() == "lax"


def test_a_wrong_password_goes_back_to_sign_in_with_the_message_code_and_no_cookie(engine, admin):
    response = sign_in(client(engine), password="not the password")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?error=wrong&email=boss%40example.com"
    assert not response.headers.get_list("set-cookie")


def test_sign_in_stays_throttled_through_the_route(engine, admin):
    browser = client(engine)
    for _ in range(auth.FREE_FAILURES):
        sign_in(browser, password="wrong password")
    response = sign_in(browser)
    assert response.headers["location"].startswith("/sign-in?error=throttled&retry=")
    assert not response.headers.get_list("set-cookie")


def test_a_disabled_user_is_told_so(engine, admin):
    with session_scope(engine) as session:
        clerk = users.create_user(session, "clerk@example.com", PASSWORD, Role.USER)
        users.set_disabled(session, session.get(User, admin), clerk.id, True)
    response = client(engine).post(SIGN_IN_ROUTE, data={"email": "clerk@example.com", "password": PASSWORD})
    assert response.headers["location"].startswith("/sign-in?error=disabled")


def test_a_sign_in_posted_from_another_site_is_refused(engine, admin):
    response = sign_in(client(engine), Origin="https://evil.example")
    assert response.status_code == 403
    assert not response.headers.get_list("set-cookie")


def test_sign_out_revokes_the_session_and_clears_the_cookie(engine, admin):
    browser = client(engine)
    token = set_cookie_of(sign_in(browser))[auth.SESSION_COOKIE].value
    response = browser.post(SIGN_OUT_ROUTE)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    cleared = set_cookie_of(response)[auth.SESSION_COOKIE]
    assert cleared.value == "" and cleared["max-age"] == "0"
    with session_scope(engine) as session:
        assert auth.user_for_session(session, token) is None
        assert session.exec(select(UserSession)).one().revoked_at is not None


def test_first_run_names_the_business_creates_the_administrator_and_signs_in(engine, line_id):
    form = {"business_name": "Corner Bakery", "email": EMAIL, "password": PASSWORD, "confirm": PASSWORD}
    response = client(engine).post(SETUP_ROUTE, data=form)
    assert response.headers["location"] == "/"
    token = set_cookie_of(response)[auth.SESSION_COOKIE].value
    with session_scope(engine) as session:
        user = auth.user_for_session(session, token)
        assert user.email == EMAIL and user.role == Role.ADMIN
        assert session.get(Account, user.account_id).name == "Corner Bakery"
    # Once somebody exists the route creates nobody.
    again = client(engine).post(SETUP_ROUTE, data={**form, "email": "intruder@example.com"})
    assert again.headers["location"] == "/sign-in"
    assert not again.headers.get_list("set-cookie")


def test_first_run_reports_every_field_at_once(engine, line_id):
    with session_scope(engine) as session:
        problems = users.first_run_problems(session, users.FirstRun("", "not-an-address", "short", "other"))
    assert set(problems) == {"business_name", "email", "password", "confirm"}


def test_page_events_see_the_tokens_hash_and_never_the_token():
    headers = hashed_session_headers(
        [
            (b"host", b"example.com"),
            (b"cookie", f"theme=dark; {auth.SESSION_COOKIE}=the-token".encode()),
            # A client cannot pick whose session its events run as.
            (SESSION_HASH_HEADER.encode(), b"forged"),
        ]
    )
    assert dict(headers) == {
        b"host": b"example.com",
        b"cookie": b"theme=dark",
        SESSION_HASH_HEADER.encode(): auth.hash_token("the-token").encode(),
    }
    assert not any(b"the-token" in value for _, value in headers)
