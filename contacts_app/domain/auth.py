"""Passwords, sign-in with throttling, and sign-in sessions.

Passwords are hashed with Argon2id (argon2-cffi). A session token is random and handed to the
browser once; the database keeps only its SHA-256, so a copy of the database signs nobody in.
"""

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.db import session_scope
from contacts_app.models import LoginAttempt, User, UserSession, utcnow

SESSION_LIFETIME = timedelta(days=14)
# A session in use is extended, at most once per this interval (one write a day, not one a click).
SESSION_REFRESH_AFTER = timedelta(days=1)

# Throttling: after FREE_FAILURES wrong passwords for one e-mail from one address (or
# FREE_FAILURES_PER_EMAIL from all addresses together) each further try waits FIRST_DELAY,
# doubling up to MAX_DELAY. Failures older than ATTEMPT_WINDOW, or before a success, are forgotten.
FREE_FAILURES = 5
FREE_FAILURES_PER_EMAIL = 20
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
ATTEMPT_WINDOW = timedelta(hours=1)

WRONG_CREDENTIALS = "The e-mail address or password is incorrect."

# Argon2id with the library's defaults (RFC 9106 "low memory" profile). Tests swap in cheaper parameters.
password_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so the answer takes as long as for a known one.
_DUMMY_HASH: str | None = None

# The browser keeps the session token in an HttpOnly cookie set by the server (api/session.py):
# page scripts never see it. Over https it is the `__Host-` one (Secure, whole site, this host only).
SESSION_COOKIE = "contacts_session"
SECURE_SESSION_COOKIE = "__Host-contacts_session"


class SignInFailed(Exception):
    def __init__(self, message: str = WRONG_CREDENTIALS) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class AccountDisabled(SignInFailed):
    def __init__(self) -> None:
        super().__init__("Your account is disabled; ask your administrator.")


class TooManyAttempts(SignInFailed):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins. Try again in {_duration(retry_after)}.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignIn:
    token: str  # give to the browser (cookie / local storage); it is not stored anywhere else
    user_id: int
    expires_at: datetime


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_sign_in_email(email: str) -> str:
    return (email or "").strip().lower()


# --- Sign-in ----------------------------------------------------------------------------


def authenticate(engine: Engine, email: str, password: str, client_ip: str = "", now: datetime | None = None) -> SignIn:
    """Check the password and open a session, or raise SignInFailed / TooManyAttempts.

    Takes the engine, not a session: the failed attempt must be committed even though the
    caller gets an exception.
    """
    now = now or utcnow()
    key = normalize_sign_in_email(email)
    client_ip = client_ip or ""
    with session_scope(engine) as session:
        wait = retry_after(session, key, client_ip, now)
        user = session.exec(select(User).where(User.email == key)).first()
    if wait:
        raise TooManyAttempts(wait)
    if user is None:
        verify_password(_dummy_hash(), password or "")
        ok = False
    else:
        ok = verify_password(user.password_hash, password or "")
    with session_scope(engine) as session:
        session.add(LoginAttempt(email=key, client_ip=client_ip, succeeded=ok, created_at=now))
        if not ok:
            result = None
        elif user.disabled:
            result = AccountDisabled()
        else:
            result = _open_session(session, user, password, client_ip, now)
            # A success wipes this e-mail's slate, and clears everyone's attempts too old to count.
            session.exec(delete(LoginAttempt).where(LoginAttempt.email == key, col(LoginAttempt.created_at) < now))
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.created_at) < now - ATTEMPT_WINDOW))
    if result is None:
        raise SignInFailed()
    if isinstance(result, SignInFailed):
        raise result
    return result


def _open_session(session: Session, user: User, password: str, client_ip: str, now: datetime) -> SignIn:
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    session.add(
        UserSession(
            token_hash=hash_token(token), user_id=user.id, client_ip=client_ip, created_at=now, expires_at=expires_at
        )
    )
    stored = session.get(User, user.id)
    stored.last_sign_in_at = now
    if password_hasher.check_needs_rehash(stored.password_hash):
        # The hashing parameters changed since this hash was made; the password is at hand only now.
        stored.password_hash = hash_password(password)
    session.add(stored)
    session.flush()
    return SignIn(token=token, user_id=user.id, expires_at=expires_at)


def retry_after(session: Session, email: str, client_ip: str, now: datetime | None = None) -> int:
    """Seconds until this e-mail may try again from this address; 0 when it may now."""
    now = now or utcnow()
    recent = session.exec(
        select(LoginAttempt)
        .where(LoginAttempt.email == email, col(LoginAttempt.created_at) > now - ATTEMPT_WINDOW)
        .order_by(col(LoginAttempt.created_at).desc(), col(LoginAttempt.id).desc())
        .limit(FREE_FAILURES_PER_EMAIL + 20)
    ).all()
    failures: list[LoginAttempt] = []
    for attempt in recent:
        if attempt.succeeded:
            break
        failures.append(attempt)
    from_here = [attempt for attempt in failures if attempt.client_ip == client_ip]
    wait = max(_lockout(from_here, FREE_FAILURES, now), _lockout(failures, FREE_FAILURES_PER_EMAIL, now))
    return math.ceil(wait.total_seconds())


def _lockout(failures: list[LoginAttempt], free: int, now: datetime) -> timedelta:
    """How much longer the newest of these failures (newest first) keeps the door shut."""
    if len(failures) < free:
        return timedelta(0)
    delay = min(FIRST_DELAY * 2 ** (len(failures) - free), MAX_DELAY)
    return max(timedelta(0), _aware(failures[0].created_at) + delay - now)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = password_hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH


# --- Sessions ---------------------------------------------------------------------------


def session_cookie_name(secure: bool) -> str:
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def token_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """The session token a request carries (the https cookie first)."""
    return cookies.get(SECURE_SESSION_COOKIE) or cookies.get(SESSION_COOKIE) or None


def user_for_session(session: Session, token: str | None, now: datetime | None = None) -> User | None:
    """The signed-in user of this token; None when it is unknown, expired, revoked or the user disabled."""
    if not token:
        return None
    return user_for_token_hash(session, hash_token(token), now)


def user_for_token_hash(session: Session, token_hash: str | None, now: datetime | None = None) -> User | None:
    """As user_for_session, given the token's hash (what page events carry, see api/session.py)."""
    if not token_hash:
        return None
    found = session.exec(session_user_query(token_hash)).first()
    return live_session_user(session, *found, now=now) if found is not None else None


def session_user_query(token_hash: str):
    """The session row of a token's hash with its user (callers may join more to it, see state/session.py)."""
    return (
        select(UserSession, User)
        .join(User, col(User.id) == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    )


def live_session_user(session: Session, row: UserSession, user: User, now: datetime | None = None) -> User | None:
    """The user of a session row read by session_user_query; None when expired, revoked or the user disabled.

    A session in use is extended (sliding expiry)."""
    now = now or utcnow()
    if row.revoked_at is not None or _aware(row.expires_at) <= now or user.disabled:
        return None
    if _aware(row.expires_at) - now < SESSION_LIFETIME - SESSION_REFRESH_AFTER:
        row.expires_at = now + SESSION_LIFETIME
        session.add(row)
        session.flush()
    return user


def sign_out(session: Session, token: str | None) -> bool:
    """End this session; False when there was no live session with this token."""
    if not token:
        return False
    result = session.exec(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


def revoke_sessions(session: Session, user_id: int, keep_token: str | None = None) -> int:
    """End every session of the user (but `keep_token`'s): on disabling, or a password change."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_token:
        statement = statement.where(UserSession.token_hash != hash_token(keep_token))
    return session.exec(statement).rowcount


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without their zone; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
