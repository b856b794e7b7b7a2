"""Carrier credentials at rest: Fernet tokens under keys from CONTACTS_SECRET_KEY.

CONTACTS_SECRET_KEY holds one or more Fernet keys separated by commas, newest first. New
secrets are encrypted with the first; any of them decrypts (MultiFernet), which is how a key
is rotated without downtime (SECURITY.md; `contacts-app rotate-secret-key` re-encrypts).
"""

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_KEY_ENV = "CONTACTS_SECRET_KEY"
MISSING_KEY = (
    "Credentials cannot be saved: the server has no encryption key. Set CONTACTS_SECRET_KEY "
    '(make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") '
    "and restart the app."
)


class SecretKeyMissing(Exception):
    def __str__(self) -> str:
        return MISSING_KEY


class SecretKeyInvalid(Exception):
    def __str__(self) -> str:
        return "CONTACTS_SECRET_KEY is not a list of Fernet keys (32 url-safe base64 bytes each, separated by commas)."


class SecretUnreadable(Exception):
    """No key of CONTACTS_SECRET_KEY opens the stored secret (the key it was saved with was removed)."""

    def __str__(self) -> str:
        return (
            "The saved credentials cannot be decrypted with CONTACTS_SECRET_KEY: the key they were saved "
            "with is no longer in it. Put the old key back after the new one, or enter the credentials again."
        )


def _keys() -> list[str]:
    return [key.strip() for key in os.environ.get(SECRET_KEY_ENV, "").split(",") if key.strip()]


def has_secret_key() -> bool:
    return bool(_keys())


def _cipher() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise SecretKeyMissing()
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise SecretKeyInvalid() from None


def encrypt_secret(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


def reencrypt_secret(token: str) -> str:
    """The same secret under the newest key (MultiFernet.rotate)."""
    try:
        return _cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


def last4(secret: str) -> str:
    return secret[-4:]
