"""`contacts-app create-user`, `set-plan`, `set-region`, `set-business-name`: users and account settings.

Registered in cli.COMMANDS; each handler takes the parsed arguments and an engine, like the others.
"""

import argparse
import sys

from sqlalchemy.engine import Engine

from contacts_app.cli_accounts import add_account_option, read_password, resolve_account, several_accounts
from contacts_app.db import session_scope
from contacts_app.domain.account import BusinessNameInvalid, set_business_name
from contacts_app.domain.contacts import RegionInvalid, set_account_region
from contacts_app.domain.permissions import PLANS, UnknownPlan, set_account_plan
from contacts_app.domain.users import UserInvalid, create_user
from contacts_app.models import Role

EXIT_OK = 0
EXIT_FAILED = 1


def add_create_user_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "create-user",
        help="add a user who signs in with e-mail and password",
        description="Add a user. The install's first user is always an administrator.",
    )
    parser.add_argument("email", metavar="EMAIL")
    parser.add_argument("--admin", action="store_true", help="make the user an administrator")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of asking"
    )
    add_account_option(parser)
    parser.set_defaults(handler=create_user_command)


def create_user_command(args: argparse.Namespace, engine: Engine) -> int:
    password = read_password("create-user", args.password_stdin)
    if password is None:
        return EXIT_FAILED
    try:
        with session_scope(engine) as session:
            account = resolve_account(session, args.account) if args.account or several_accounts(session) else None
            role = Role.ADMIN if args.admin else Role.USER
            user = create_user(session, args.email, password, role, account_id=account.id if account else None)
    except UserInvalid as invalid:
        for message in invalid.errors.values():
            print(f"contacts-app create-user: {message}", file=sys.stderr)
        return EXIT_FAILED
    what = "administrator" if user.role == Role.ADMIN else "user"
    print(f"Created {what} {user.email}.")
    return EXIT_OK


def add_set_plan_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "set-plan",
        help="choose the account type, which decides the features every user has",
        description=f"Put the account on a plan: {', '.join(PLANS)}.",
    )
    parser.add_argument("plan", choices=list(PLANS), metavar="PLAN", help=", ".join(PLANS))
    add_account_option(parser)
    parser.set_defaults(handler=set_plan_command)


def set_plan_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            account = resolve_account(session, args.account)
            plan = set_account_plan(session, account.id, args.plan)
    except UnknownPlan as exc:
        print(f"contacts-app set-plan: {exc}", file=sys.stderr)
        return EXIT_FAILED
    features = [
        name
        for name, on in (
            ("deleting contacts", plan.allows_delete),
            ("Delete All", plan.allows_delete_all),
            ("Lists", plan.allows_lists),
            ("Text Blasting", plan.allows_blasts),
        )
        if on
    ]
    print(f"“{account.name}” is on the {plan.name} plan: {', '.join(features) or 'no optional features'}.")
    return EXIT_OK


def add_set_business_name_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "set-business-name",
        help="the name consent requests start with ({business} in the message)",
        description="Set the business name customers know you by; consent requests use it for {business}.",
    )
    parser.add_argument("name", metavar="NAME", help='the business name, e.g. "Corner Bakery"')
    add_account_option(parser)
    parser.set_defaults(handler=set_business_name_command)


def set_business_name_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            name = set_business_name(session, resolve_account(session, args.account).id, args.name)
    except BusinessNameInvalid as exc:
        print(f"contacts-app set-business-name: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Consent requests now start with “{name}”.")
    return EXIT_OK


def add_set_region_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "set-region",
        help="the country whose numbers may be written without a country code (default US)",
        description="Set the account's default region, e.g. GB: numbers without +44 are read as British "
        "and shown in national format.",
    )
    parser.add_argument("region", metavar="REGION", help="a two-letter region code such as US, CA or GB")
    add_account_option(parser)
    parser.set_defaults(handler=set_region_command)


def set_region_command(args: argparse.Namespace, engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            region = set_account_region(session, resolve_account(session, args.account).id, args.region)
    except RegionInvalid as exc:
        print(f"contacts-app set-region: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Numbers without a country code are now read as {region} numbers.")
    return EXIT_OK
