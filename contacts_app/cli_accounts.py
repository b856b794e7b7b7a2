"""Accounts and lines for operators: `create-account`, `accounts`, `add-line`, `set-line-number`,
and the `--account` choice every account-scoped command takes.

A single-business install has one account and never needs `--account`; where there are several,
a command that acts on one refuses to guess. Registered in cli.COMMANDS.
"""

import argparse
import getpass
import sys

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from contacts_app.db import session_scope
from contacts_app.domain.accounts import AccountInvalid, AccountNotFound, create_account, find_account, list_accounts
from contacts_app.domain.contacts import DEFAULT_LINE_NAME, ensure_default_line
from contacts_app.domain.lines import LineInvalid, LineNotFound, provision_line, set_line_number
from contacts_app.domain.permissions import PLANS, plan_of
from contacts_app.models import Account, Line
from contacts_app.phones import PhoneError, normalize_phone

EXIT_OK = 0
EXIT_FAILED = 1


class CommandError(Exception):
    """A message for the person at the terminal; the command exits non-zero."""


def add_account_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account", metavar="NAME_OR_ID", help="the account (business) to act on; needed when there are several"
    )


def resolve_account(session: Session, wanted: str | None) -> Account:
    """The account named by --account; the only one when omitted (made on a fresh install)."""
    if wanted is not None:
        try:
            return find_account(session, wanted)
        except AccountNotFound as exc:
            raise CommandError(f"{exc} See `contacts-app accounts`.") from None
    accounts = list_accounts(session)
    if not accounts:
        return session.get(Account, ensure_default_line(session).account_id)
    if len(accounts) > 1:
        names = ", ".join(f"“{account.name}”" for account in accounts[:5])
        more = f" and {len(accounts) - 5:,} more" if len(accounts) > 5 else ""
        raise CommandError(f"This install has {len(accounts):,} accounts; choose one with --account ({names}{more}).")
    return accounts[0]


def several_accounts(session: Session) -> bool:
    return len(session.exec(select(Account.id).limit(2)).all()) > 1


def resolve_line(session: Session, account: Account, wanted: str | None) -> Line:
    """The account's line named by --line (its number, name or id); its only line when omitted."""
    lines = list(session.exec(select(Line).where(Line.account_id == account.id).order_by(col(Line.id))))
    if wanted is None:
        if not lines:
            raise CommandError(f"The account “{account.name}” has no line; add one with `contacts-app add-line`.")
        if len(lines) == 1:
            return lines[0]
        choices = ", ".join(f"{line.phone or line.name}" for line in lines)
        raise CommandError(f"“{account.name}” has {len(lines)} lines; choose one with --line ({choices}).")
    text = wanted.strip()
    try:
        phone = normalize_phone(text, account.default_region)
    except PhoneError:
        phone = None
    for line in lines:
        if (phone and line.phone == phone) or line.name.lower() == text.lower() or str(line.id) == text:
            return line
    raise CommandError(f"The account “{account.name}” has no line “{wanted}”.")


def _print_errors(command: str, errors: dict[str, str]) -> int:
    for message in errors.values():
        print(f"contacts-app {command}: {message}", file=sys.stderr)
    return EXIT_FAILED


def read_password(command: str, from_stdin: bool) -> str | None:
    if from_stdin:
        # One line; the newline the shell or `echo` adds is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        print(f"contacts-app {command}: no terminal to ask for the password; use --password-stdin.", file=sys.stderr)
        return None
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != password:
        print(f"contacts-app {command}: the passwords differ; nothing was created.", file=sys.stderr)
        return None
    return password


# --- create-account ---------------------------------------------------------------------


def add_create_account_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "create-account",
        help="add a business: an account with its first line and administrator",
        description="Add an account (a business) with its first line and its administrator, for installs "
        "that host many businesses. A single-business install uses the first-run screen instead.",
    )
    parser.add_argument("name", metavar="NAME", help="the business name")
    parser.add_argument("--admin", required=True, metavar="EMAIL", help="the administrator's e-mail address")
    parser.add_argument("--plan", choices=list(PLANS), help=f"{', '.join(PLANS)} (default: the default plan)")
    parser.add_argument("--region", metavar="REGION", help="numbers without a country code are read here (US)")
    parser.add_argument("--line-name", default=DEFAULT_LINE_NAME, metavar="NAME", help="the first line's name")
    parser.add_argument("--line-number", metavar="NUMBER", help="the first line's phone number")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of asking"
    )
    parser.set_defaults(handler=create_account_command)


def create_account_command(args: argparse.Namespace, engine: Engine) -> int:
    password = read_password("create-account", args.password_stdin)
    if password is None:
        return EXIT_FAILED
    try:
        with session_scope(engine) as session:
            made = create_account(
                session, args.name, args.admin, password, args.plan, args.region, line_name=args.line_name
            )
            if args.line_number:
                set_line_number(session, made.account.id, made.line.id, args.line_number)
            plan, _ = plan_of(session, made.account.id)
            summary = (
                f"Created account {made.account.id} “{made.account.name}” ({plan} plan, region "
                f"{made.account.default_region}) with the line “{made.line.name}” "
                f"{made.line.phone or '(no number yet)'} "
                f"and its administrator {made.admin.email}."
            )
    except (AccountInvalid, LineInvalid) as invalid:
        return _print_errors("create-account", invalid.errors)
    print(summary)
    return EXIT_OK


# --- accounts ---------------------------------------------------------------------------


def add_accounts_command(subparsers) -> None:
    parser = subparsers.add_parser("accounts", help="list the accounts with their lines")
    parser.set_defaults(handler=accounts_command)


def accounts_command(_args: argparse.Namespace, engine: Engine) -> int:
    with session_scope(engine) as session:
        for account in list_accounts(session):
            lines = session.exec(select(Line).where(Line.account_id == account.id).order_by(col(Line.id))).all()
            numbers = ", ".join(f"{line.name} {line.phone or '(no number)'}" for line in lines) or "no line"
            print(f"{account.id}\t{account.name}\t{numbers}")
    return EXIT_OK


# --- add-line / set-line-number ---------------------------------------------------------


def add_add_line_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "add-line",
        help="add a phone line (a business number) to an account",
        description="Add a line with its number; inbound texts to that number reach the account.",
    )
    parser.add_argument("name", metavar="NAME", help="the line's name, e.g. “Front desk”")
    parser.add_argument("number", metavar="NUMBER", help="its phone number")
    add_account_option(parser)
    parser.set_defaults(handler=add_line_command)


def add_line_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            account = resolve_account(session, args.account)
            line = provision_line(session, account.id, args.name, args.number)
            summary = f"Added the line {line.id} “{line.name}” {line.phone} to “{account.name}”."
    except LineInvalid as invalid:
        return _print_errors("add-line", invalid.errors)
    print(summary)
    return EXIT_OK


def add_set_line_number_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "set-line-number",
        help="set (or change) the phone number of a line",
        description="Give a line its number, e.g. the first line create-account made without one.",
    )
    parser.add_argument("line", metavar="LINE", help="the line's name, id or current number")
    parser.add_argument("number", metavar="NUMBER", help="its new phone number")
    add_account_option(parser)
    parser.set_defaults(handler=set_line_number_command)


def set_line_number_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            account = resolve_account(session, args.account)
            line = resolve_line(session, account, args.line)
            line = set_line_number(session, account.id, line.id, args.number)
            summary = f"The line “{line.name}” of “{account.name}” is now {line.phone}."
    except LineInvalid as invalid:
        return _print_errors("set-line-number", invalid.errors)
    except LineNotFound as exc:
        raise CommandError(str(exc)) from None
    print(summary)
    return EXIT_OK
