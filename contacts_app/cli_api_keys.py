"""`contacts-app create-api-key` and `revoke-api-key`: the account's REST API keys from a terminal.

Registered in cli.COMMANDS. The key is printed once, on standard output alone, so that
`KEY=$(contacts-app create-api-key Zapier)` captures exactly the key.
"""

import argparse
import sys

from sqlalchemy.engine import Engine

from contacts_app.cli_accounts import add_account_option, resolve_account
from contacts_app.db import session_scope
from contacts_app.domain.api_keys import ApiKeyInvalid, ApiKeyNotFound, create_api_key, list_api_keys, revoke_api_key

EXIT_OK = 0
EXIT_FAILED = 1


def add_create_api_key_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "create-api-key",
        help="create an API key for the REST API and print it (once)",
        description="Create an API key of the account. It is printed once and stored only as a hash.",
    )
    parser.add_argument("name", metavar="NAME", help="what the key is for, e.g. Zapier")
    add_account_option(parser)
    parser.set_defaults(handler=create_api_key_command)


def create_api_key_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            account_id = resolve_account(session, args.account).id
            plaintext = create_api_key(session, account_id, args.name, actor="command line")
    except ApiKeyInvalid as invalid:
        for message in invalid.errors.values():
            print(f"contacts-app create-api-key: {message}", file=sys.stderr)
        return EXIT_FAILED
    print(plaintext)
    print("Keep this key now: it cannot be shown again.", file=sys.stderr)
    return EXIT_OK


def add_revoke_api_key_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "revoke-api-key",
        help="revoke an API key by its name or the start of the key",
        description="Revoke an API key: requests with it get 401 from then on.",
    )
    parser.add_argument("key", metavar="NAME_OR_PREFIX", help="the key's name, or its first characters (ck_...)")
    add_account_option(parser)
    parser.set_defaults(handler=revoke_api_key_command)


def revoke_api_key_command(args: argparse.Namespace, engine: Engine) -> int:
    wanted = args.key.strip()
    with session_scope(engine) as session:
        account_id = resolve_account(session, args.account).id
        live = list_api_keys(session, account_id, include_revoked=False)
        matches = [
            key for key in live if key.name.lower() == wanted.lower() or (wanted and wanted.startswith(key.prefix))
        ]
        if len(matches) != 1:
            problem = "No live API key is" if not matches else f"{len(matches)} live API keys are"
            print(f"contacts-app revoke-api-key: {problem} named “{wanted}”.", file=sys.stderr)
            return EXIT_FAILED
        try:
            key = revoke_api_key(session, account_id, matches[0].id)
        except ApiKeyNotFound as exc:
            print(f"contacts-app revoke-api-key: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"Revoked the API key “{key.name}” ({key.prefix}…).")
    return EXIT_OK
