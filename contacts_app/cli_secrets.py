"""`contacts-app rotate-secret-key`: re-encrypt stored carrier credentials under the newest key.

Registered in cli.COMMANDS. See SECURITY.md, "Rotating CONTACTS_SECRET_KEY".
"""

import argparse
import sys

from sqlalchemy.engine import Engine
from sqlmodel import select

from contacts_app.carriers.secrets import SecretKeyInvalid, SecretKeyMissing, SecretUnreadable, reencrypt_secret
from contacts_app.db import session_scope
from contacts_app.models import CarrierConnection, utcnow
from contacts_app.numbers import counted

EXIT_OK = 0
EXIT_FAILED = 1


def add_rotate_secret_key_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "rotate-secret-key",
        help="re-encrypt saved carrier credentials with the first key of CONTACTS_SECRET_KEY",
        description=(
            "Re-encrypt every saved carrier credential with the first key of CONTACTS_SECRET_KEY "
            "(comma-separated, newest first). Afterwards the older keys can be removed."
        ),
    )
    parser.set_defaults(handler=rotate_secret_key_command)


def rotate_secret_key_command(_args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            connections = list(session.exec(select(CarrierConnection)))
            for connection in connections:
                if connection.auth_token_encrypted:
                    connection.auth_token_encrypted = reencrypt_secret(connection.auth_token_encrypted)
                if connection.api_key_secret_encrypted:
                    connection.api_key_secret_encrypted = reencrypt_secret(connection.api_key_secret_encrypted)
                connection.updated_at = utcnow()
                session.add(connection)
    except (SecretKeyMissing, SecretKeyInvalid, SecretUnreadable) as exc:
        # All or nothing: one unreadable credential leaves every row as it was.
        print(f"contacts-app rotate-secret-key: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Re-encrypted the credentials of {counted(len(connections), 'carrier connection')} with the newest key.")
    return EXIT_OK
