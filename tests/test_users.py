"""Users, first run, sign-in with throttling, and sessions, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from contacts_app.db import migrate, session_scope
from contacts_app.domain import auth, users
from contacts_app.domain.auth import SignInFailed, TooManyAttempts, authenticate, sign_out, user_for_session
from contacts_app.domain.users import FirstAdminExists, UserInvalid, create_first_admin, create_user
from contacts_app.models import Line, LoginAttempt, Role, User, UserSession, utcnow

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    # Argon2 at its real cost takes a tenth of a second a hash; the tests check behaviour, not cost.
    monkeypatch.setattr(auth, "password_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
    monkeypatch.setattr(auth, "_DUMMY_HASH", None)


def add(engine: Engine, email: str, role: str | None = None, password: str = PASSWORD) -> User:
    with session_scope(engine) as session:
        return create_user(session, email, password, role)


# --- First run and creating users ------------------------------------------------------


def test_fresh_install_needs_a_first_administrator_until_one_exists(engine):
    with session_scope(engine) as session:
        assert users.needs_first_admin(session) is True
    add(engine, "owner@shop.com")
    with session_scope(engine) as session:
        assert users.needs_first_admin(session) is False


def test_first_user_becomes_administrator_even_when_created_as_a_user(engine):
    first = add(engine, "owner@shop.com", Role.USER)
    second = add(engine, "clerk@shop.com")
    assert (first.role, second.role) == (Role.ADMIN, Role.USER)
    assert first.account_id == second.account_id


def test_first_admin_screen_is_refused_once_a_user_exists(engine):
    with session_scope(engine) as session:
        create_first_admin(session, "owner@shop.com", PASSWORD)
    with pytest.raises(FirstAdminExists, match="already exists"), session_scope(engine) as session:
        create_first_admin(session, "intruder@evil.com", PASSWORD)


def test_email_is_lower_cased_and_unique_whatever_its_case(engine):
    user = add(engine, "  Owner@Shop.COM ")
    assert user.email == "owner@shop.com"
    with pytest.raises(UserInvalid) as caught, session_scope(engine) as session:
        create_user(session, "OWNER@shop.com", PASSWORD)
    assert caught.value.errors == {"email": "A user with the e-mail address owner@shop.com already exists."}


def test_invalid_email_and_short_password_are_each_named(engine):
    with pytest.raises(UserInvalid) as caught, session_scope(engine) as session:
        create_user(session, "not-an-address", "short")
    assert set(caught.value.errors) == {"email", "password"}
    assert "Enter an e-mail address like name@example.com." in caught.value.errors["email"]
    assert caught.value.errors["password"] == f"The password must have at least {users.MIN_PASSWORD_LENGTH} characters."
    with session_scope(engine) as session:
        assert users.needs_first_admin(session)


def test_password_is_stored_as_an_argon2id_hash(engine):
    user = add(engine, "owner@shop.com")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


# --- Sign-in -----------------------------------------------------------------------------


def test_sign_in_gives_a_token_that_finds_the_user_and_is_stored_only_hashed(engine):
    user = add(engine, "owner@shop.com")
    signed_in = authenticate(engine, "Owner@Shop.com", PASSWORD, "10.0.0.1")
    assert signed_in.user_id == user.id
    with session_scope(engine) as session:
        assert user_for_session(session, signed_in.token).id == user.id
        stored = session.exec(select(UserSession)).one()
        assert stored.token_hash != signed_in.token and signed_in.token not in stored.token_hash
        assert session.get(User, user.id).last_sign_in_at is not None


def test_wrong_password_and_unknown_email_get_the_same_clear_message(engine):
    add(engine, "owner@shop.com")
    with pytest.raises(SignInFailed) as wrong:
        authenticate(engine, "owner@shop.com", "not the password")
    with pytest.raises(SignInFailed) as unknown:
        authenticate(engine, "nobody@shop.com", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "The e-mail address or password is incorrect."


def test_repeated_failures_are_slowed_down_with_a_growing_wait(engine):
    add(engine, "owner@shop.com")
    start = utcnow()
    for second in range(auth.FREE_FAILURES):
        with pytest.raises(SignInFailed) as failed:
            authenticate(engine, "owner@shop.com", "guess", "10.0.0.9", now=start + timedelta(seconds=second))
        assert not isinstance(failed.value, TooManyAttempts)
    last = start + timedelta(seconds=auth.FREE_FAILURES - 1)

    # Locked: even the right password is not looked at.
    with pytest.raises(TooManyAttempts) as locked:
        authenticate(engine, "owner@shop.com", PASSWORD, "10.0.0.9", now=last + timedelta(seconds=10))
    assert locked.value.retry_after == 20
    assert str(locked.value) == "Too many failed sign-ins. Try again in 20 seconds."

    # After the wait one more guess is allowed; failing it doubles the wait.
    later = last + timedelta(seconds=30)
    with pytest.raises(SignInFailed):
        authenticate(engine, "owner@shop.com", "guess", "10.0.0.9", now=later)
    with pytest.raises(TooManyAttempts) as doubled:
        authenticate(engine, "owner@shop.com", PASSWORD, "10.0.0.9", now=later + timedelta(seconds=1))
    assert doubled.value.retry_after == 59


def test_throttle_counts_per_address_and_a_success_clears_it(engine):
    user = add(engine, "owner@shop.com")
    now = utcnow()
    for _ in range(auth.FREE_FAILURES):
        with pytest.raises(SignInFailed):
            authenticate(engine, "owner@shop.com", "guess", "10.0.0.9", now=now)
    # The owner at the office is not locked out by guesses from elsewhere.
    assert authenticate(engine, "owner@shop.com", PASSWORD, "192.168.1.5", now=now).user_id == user.id
    with session_scope(engine) as session:
        assert auth.retry_after(session, "owner@shop.com", "10.0.0.9", now) == 0


def test_many_failures_from_many_addresses_lock_the_email(engine):
    add(engine, "owner@shop.com")
    now = utcnow()
    for n in range(auth.FREE_FAILURES_PER_EMAIL):
        with pytest.raises(SignInFailed):
            authenticate(engine, "owner@shop.com", "guess", f"10.0.{n}.1", now=now)
    with pytest.raises(TooManyAttempts):
        authenticate(engine, "owner@shop.com", PASSWORD, "203.0.113.7", now=now)


def test_a_success_clears_attempts_too_old_to_count(engine):
    add(engine, "owner@shop.com")
    long_ago = utcnow() - auth.ATTEMPT_WINDOW - timedelta(minutes=1)
    with pytest.raises(SignInFailed):
        authenticate(engine, "someone@else.com", "guess", now=long_ago)
    with pytest.raises(SignInFailed):
        authenticate(engine, "someone@else.com", "guess")
    authenticate(engine, "owner@shop.com", PASSWORD)
    with session_scope(engine) as session:
        # The recent failure still counts; the success itself is what later counting starts from.
        remaining = session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        assert [(a.email, a.succeeded) for a in remaining] == [("someone@else.com", False), ("owner@shop.com", True)]


def test_disabled_user_cannot_sign_in_and_is_signed_out(engine):
    admin = add(engine, "owner@shop.com")
    clerk = add(engine, "clerk@shop.com")
    token = authenticate(engine, "clerk@shop.com", PASSWORD).token
    with session_scope(engine) as session:
        users.set_disabled(session, admin, clerk.id, True)
    with session_scope(engine) as session:
        assert user_for_session(session, token) is None
    with pytest.raises(SignInFailed, match="disabled"):
        authenticate(engine, "clerk@shop.com", PASSWORD)


# --- Sessions ----------------------------------------------------------------------------


def test_session_survives_a_reload_and_ends_on_sign_out(engine):
    add(engine, "owner@shop.com")
    token = authenticate(engine, "owner@shop.com", PASSWORD).token
    # A reload is a new request: a new database session finds the same user.
    for _ in range(2):
        with session_scope(engine) as session:
            assert user_for_session(session, token).email == "owner@shop.com"
    with session_scope(engine) as session:
        assert sign_out(session, token) is True
    with session_scope(engine) as session:
        assert user_for_session(session, token) is None
        assert sign_out(session, token) is False


def test_session_expires_after_its_lifetime_and_use_extends_it(engine):
    add(engine, "owner@shop.com")
    start = utcnow()
    signed_in = authenticate(engine, "owner@shop.com", PASSWORD, now=start)
    with session_scope(engine) as session:
        assert user_for_session(session, signed_in.token, now=start + auth.SESSION_LIFETIME - timedelta(minutes=1))
    # Used on its last day, it was extended by a whole lifetime from then.
    with session_scope(engine) as session:
        assert user_for_session(session, signed_in.token, now=start + auth.SESSION_LIFETIME + timedelta(days=1))
    with session_scope(engine) as session:
        assert user_for_session(session, signed_in.token, now=start + 3 * auth.SESSION_LIFETIME) is None


def test_unknown_or_empty_token_finds_nobody(engine):
    add(engine, "owner@shop.com")
    with session_scope(engine) as session:
        assert user_for_session(session, "forged-token") is None
        assert user_for_session(session, "") is None
        assert user_for_session(session, None) is None


def test_password_reset_ends_the_users_sessions(engine):
    admin = add(engine, "owner@shop.com")
    clerk = add(engine, "clerk@shop.com")
    token = authenticate(engine, "clerk@shop.com", PASSWORD).token
    with session_scope(engine) as session:
        users.reset_password(session, admin, clerk.id, "a brand new password")
    with session_scope(engine) as session:
        assert user_for_session(session, token) is None
    assert authenticate(engine, "clerk@shop.com", "a brand new password").user_id == clerk.id


def test_own_password_change_keeps_this_session_only(engine):
    owner = add(engine, "owner@shop.com")
    here = authenticate(engine, "owner@shop.com", PASSWORD).token
    elsewhere = authenticate(engine, "owner@shop.com", PASSWORD).token
    with pytest.raises(UserInvalid, match="current password"), session_scope(engine) as session:
        users.change_password(session, owner, "wrong", "another long password")
    with session_scope(engine) as session:
        users.change_password(session, owner, PASSWORD, "another long password", keep_token=here)
    with session_scope(engine) as session:
        assert user_for_session(session, here) is not None
        assert user_for_session(session, elsewhere) is None


def test_the_last_administrator_can_be_neither_demoted_nor_disabled(engine):
    admin = add(engine, "owner@shop.com")
    clerk = add(engine, "clerk@shop.com")
    with pytest.raises(UserInvalid, match="at least one administrator"), session_scope(engine) as session:
        users.set_role(session, admin, admin.id, Role.USER)
    with session_scope(engine) as session:
        users.set_role(session, admin, clerk.id, Role.ADMIN)
    with session_scope(engine) as session:
        assert users.set_role(session, admin, admin.id, Role.USER).role == Role.USER


# --- Upgrading an existing install ------------------------------------------------------


def test_existing_install_keeps_its_line_and_asks_for_a_first_administrator(blank_engine):
    migrate(blank_engine, "0005")
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO account (id, name, default_region, created_at) VALUES (7, 'Corner Shop', 'US', :t)"),
            {"t": utcnow()},
        )
        connection.execute(
            text("INSERT INTO line (id, account_id, name, phone, created_at) VALUES (3, 7, 'Main line', NULL, :t)"),
            {"t": utcnow()},
        )
    migrate(blank_engine)
    with session_scope(blank_engine) as session:
        assert users.needs_first_admin(session)
        admin = create_first_admin(session, "owner@shop.com", PASSWORD)
        assert (admin.account_id, admin.role) == (7, Role.ADMIN)
        assert [(line.id, line.name) for line in session.exec(select(Line))] == [(3, "Main line")]
