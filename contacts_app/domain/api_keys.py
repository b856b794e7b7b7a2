"""Per-account API keys: shown once, stored only as a SHA-256 hash, revocable.

A key carries 256 random bits, so a plain (unsalted) hash is as strong as a password hash
would be, and it lets a request find its key with one indexed lookup.
"""

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from contacts_app.models import Account, ApiKey, utcnow

KEY_PREFIX = "ck_"
SHOWN_PREFIX_LENGTH = 10
MAX_KEY_NAME_LENGTH = 100


@dataclass
class ApiKeyInvalid(Exception):
    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class ApiKeyNotFound(LookupError):
    pass


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_api_key(session: Session, account_id: int, name: str, actor: str | None = None) -> str:
    """Create a key for the account and return it in plain text; it cannot be shown again."""
    clean = " ".join((name or "").split())
    if not clean:
        raise ApiKeyInvalid({"name": "Name is required."})
    if len(clean) > MAX_KEY_NAME_LENGTH:
        raise ApiKeyInvalid({"name": f"Name is too long (the limit is {MAX_KEY_NAME_LENGTH} characters)."})
    if session.get(Account, account_id) is None:
        raise ApiKeyInvalid({"account": f"Account {account_id} does not exist."})
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            account_id=account_id,
            name=clean,
            prefix=plaintext[:SHOWN_PREFIX_LENGTH],
            key_hash=hash_key(plaintext),
            created_by=actor,
        )
    )
    session.flush()
    return plaintext


def list_api_keys(session: Session, account_id: int, include_revoked: bool = True) -> list[ApiKey]:
    statement = select(ApiKey).where(ApiKey.account_id == account_id)
    if not include_revoked:
        statement = statement.where(col(ApiKey.revoked_at).is_(None))
    return list(session.exec(statement.order_by(col(ApiKey.id))))


def revoke_api_key(session: Session, account_id: int, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.account_id != account_id:
        raise ApiKeyNotFound(f"API key {key_id} does not exist.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    return key


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """The live key with this text, or None; records when it was last used."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX) or len(plaintext) > 200:
        return None
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext))).first()
    if key is None or key.revoked_at is not None:
        return None
    key.last_used_at = utcnow()
    session.add(key)
    return key
