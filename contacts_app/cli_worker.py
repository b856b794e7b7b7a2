"""`contacts-app worker`: run background jobs in a process of their own."""

import argparse
import logging

from sqlalchemy.engine import Engine

from contacts_app.jobs.worker import run_worker, thread_count


def add_worker_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run background jobs (imports, Delete All, sends, webhooks) until stopped",
        description=(
            "Runs background jobs from the queue the web processes fill (Redis when REFLEX_REDIS_URL "
            "or CONTACTS_REDIS_URL is set, else PostgreSQL or the SQLite file beside the database). "
            "Start as many as you like, on any machine that reaches the same database and queue; "
            "set CONTACTS_JOBS_IN_PROCESS=0 on the web processes so that they only enqueue. "
            "Ctrl-C (SIGINT) finishes running jobs first; SIGTERM stops at once (the jobs are re-run)."
        ),
    )
    parser.add_argument(
        "--threads", type=int, default=None, help=f"jobs run at once in this process (default {thread_count()})"
    )
    parser.set_defaults(handler=run_worker_command)


def run_worker_command(args: argparse.Namespace, engine: Engine) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_worker(args.threads)
    return 0
