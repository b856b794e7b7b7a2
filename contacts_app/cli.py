"""`contacts-app` on the command line: the same domain functions the web app calls.

Each subcommand is a function that adds its parser (`add_*_command`) and a handler taking the
parsed arguments and an engine; add new ones to COMMANDS.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from contacts_app import live  # noqa: F401 - changes made here reach open pages
from contacts_app.cli_accounts import (
    CommandError,
    add_account_option,
    add_accounts_command,
    add_add_line_command,
    add_create_account_command,
    add_set_line_number_command,
    resolve_account,
    resolve_line,
)
from contacts_app.cli_api_keys import add_create_api_key_command, add_revoke_api_key_command
from contacts_app.cli_secrets import add_rotate_secret_key_command
from contacts_app.cli_users import (
    add_create_user_command,
    add_set_business_name_command,
    add_set_plan_command,
    add_set_region_command,
)
from contacts_app.cli_worker import add_worker_command
from contacts_app.db import get_engine, migrate, schema_revision, session_scope
from contacts_app.domain.column_mapping import ColumnMapping, MappingError, parse_mapping, propose_mapping
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.custom_fields import line_fields
from contacts_app.domain.exporter import write_export
from contacts_app.domain.importer import (
    ImportOptions,
    ImportRejected,
    Problem,
    ProblemCode,
    file_header,
    first_rows,
    run_import,
)
from contacts_app.domain.lists import ListNotFound, find_list
from contacts_app.models import Line
from contacts_app.numbers import count, counted

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def resolve_list_id(session: Session, line: Line, name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return find_list(session, line.id, name).id
    except ListNotFound as exc:
        raise CommandError(f"{exc} Create it on the Lists page first.") from None


def add_import_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import contacts from a CSV file (Full Name, Phone, Email)",
        description="Import a CSV file of contacts: all of it, or nothing when any row has a problem.",
    )
    parser.add_argument("file", help="the CSV file")
    parser.add_argument("--skip-first-line", action="store_true", help="the first line is a header")
    parser.add_argument("--list", dest="list_name", metavar="NAME", help="also add the contacts to this list")
    parser.add_argument("--line", metavar="NUMBER", help="the line's phone number (needed when there are several)")
    parser.add_argument("--skip-invalid", action="store_true", help="import the good rows, report the rest")
    parser.add_argument(
        "--map",
        dest="mapping",
        metavar="COLUMNS",
        help='what the header\'s columns hold, e.g. "Mobile=phone,Given Name=first_name,Company=field:Company" '
        "(full_name, first_name, last_name, phone, email, opted_out, tags, lists, notes, field:NAME for a "
        "custom field, list:NAME for a yes/no list column, skip); columns not named keep the proposed "
        'meaning; "auto" takes the proposal as it is',
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check the file and show the proposed column mapping; write nothing"
    )
    add_account_option(parser)
    parser.set_defaults(handler=run_import_command)


def run_import_command(args: argparse.Namespace, engine: Engine) -> int:
    with session_scope(engine) as session:
        line = resolve_line(session, resolve_account(session, args.account), args.line)
        list_id = resolve_list_id(session, line, args.list_name)
    with session_scope(engine) as session:
        field_names = [field.name for field in line_fields(session, line.id)]
    try:
        mapping = _mapping_for(args, field_names)
        options = ImportOptions(
            skip_first_line=args.skip_first_line,
            list_id=list_id,
            skip_invalid=args.skip_invalid,
            mapping=mapping,
            dry_run=args.dry_run,
        )
        report = run_import(engine, args.file, line.id, options, progress=_terminal_progress())
    except ImportRejected as rejected:
        _clear_progress()
        print(f"Nothing was imported: {_problems_phrase(rejected.problem_count)} in {args.file}.", file=sys.stderr)
        for problem in rejected.problems:
            print(f"  {_problem_line(problem)}", file=sys.stderr)
        _print_unlisted(rejected.problem_count, len(rejected.problems))
        return EXIT_FAILED
    except OSError as exc:
        raise CommandError(f"Cannot read {args.file}: {exc.strerror or exc}") from None
    _clear_progress()
    if args.dry_run:
        print(f"Checked {args.file} for {line.phone or line.name}: {report.summary()}")
    else:
        print(f"Imported {args.file} into {line.phone or line.name}: {report.summary()}")
    if report.problem_count:
        print(f"Skipped {_problems_phrase(report.problem_count)}:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {_problem_line(problem)}", file=sys.stderr)
        _print_unlisted(report.problem_count, len(report.problems))
    return EXIT_OK


def _mapping_for(args: argparse.Namespace, field_names: list[str]) -> ColumnMapping | None:
    """The --map given (or, for --dry-run of a file with a header, the proposal), printed."""
    if args.mapping is None and not args.dry_run:
        return None
    headers = file_header(args.file)
    if args.mapping is not None and headers is None:
        rows = first_rows(args.file, 1)
        headers = rows[0] if rows else None
    if headers is None:
        print("No header line: the columns are read as Full Name, Phone, Email.")
        return None
    try:
        if args.mapping is None or args.mapping.strip().lower() == "auto":
            mapping = propose_mapping(headers, field_names)
        else:
            mapping = parse_mapping(args.mapping, headers, field_names)
    except MappingError as wrong:
        raise CommandError(str(wrong)) from None
    print("Column mapping (the header line is not imported):")
    for line in mapping.describe(headers):
        print(f"  {line}")
    print(f'  as --map "{mapping.as_option(headers)}"')
    if missing := mapping.problems():
        raise CommandError(" ".join(missing))
    return mapping


def _problems_phrase(problems: int) -> str:
    return counted(problems, "problem")


def _problem_line(problem: Problem) -> str:
    if problem.code == ProblemCode.HEADER:
        return f"Line {problem.line}: this looks like a header row (column names); use --skip-first-line."
    value = f" [{problem.value}]" if problem.value and problem.value not in problem.reason else ""
    return f"{problem}{value}"


def _print_unlisted(total: int, listed: int) -> None:
    if total > listed:
        print(f"  ... and {count(total - listed)} more.", file=sys.stderr)


def _terminal_progress() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{count(done)} of {counted(total, 'row')}", end="", file=sys.stderr, flush=True)

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def add_export_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export contacts as CSV (the import format)",
        description="Write the line's (or a list's) contacts as CSV: Full Name, Phone (E.164), Email.",
    )
    parser.add_argument("--list", dest="list_name", metavar="NAME", help="only this list's contacts")
    parser.add_argument("--line", metavar="NUMBER", help="the line's phone number (needed when there are several)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of to standard output")
    add_account_option(parser)
    parser.set_defaults(handler=run_export_command)


def run_export_command(args: argparse.Namespace, engine: Engine) -> int:
    with session_scope(engine) as session:
        line = resolve_line(session, resolve_account(session, args.account), args.line)
        list_id = resolve_list_id(session, line, args.list_name)
    if args.output is None:
        write_export(engine, sys.stdout, line.id, ContactFilter(list_id=list_id))
        sys.stdout.flush()
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            write_export(engine, out, line.id, ContactFilter(list_id=list_id))
    except OSError as exc:
        raise CommandError(f"Cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"Exported to {args.output}.", file=sys.stderr)
    return EXIT_OK


def add_migrate_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="bring the database schema up to date, then exit",
        description="Apply the schema migrations (for deploy pipelines that migrate before starting web processes). "
        "Safe to run from several machines at once: one migrates, the others wait and find nothing to do.",
    )
    parser.set_defaults(handler=run_migrate_command)


def run_migrate_command(args: argparse.Namespace, engine: Engine) -> int:
    # main() has just migrated, under the lock; say where the schema stands.
    print(f"The database is at schema revision {schema_revision(engine)}.")
    return EXIT_OK


COMMANDS: list[Callable] = [
    add_migrate_command,
    add_create_account_command,
    add_accounts_command,
    add_add_line_command,
    add_set_line_number_command,
    add_import_command,
    add_export_command,
    add_create_user_command,
    add_set_plan_command,
    add_set_region_command,
    add_set_business_name_command,
    add_create_api_key_command,
    add_revoke_api_key_command,
    add_rotate_secret_key_command,
    add_worker_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contacts-app", description="Contacts from the command line. Uses DATABASE_URL like the app."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    engine = get_engine()
    try:
        migrate(engine)
        return args.handler(args, engine)
    except CommandError as exc:
        print(f"contacts-app {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ListNotFound as exc:
        print(f"contacts-app {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
