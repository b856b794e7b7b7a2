"""Build the frontend once; serve it from web processes that start without rebuilding.

    python -m contacts_app.server build --public-url https://contacts.example.com
    python -m contacts_app.server web --port 8001 [--workers N]

`build` writes the production bundle to .web/build/client (the same as `reflex export
--frontend-only`); the public address is fixed in it, because the browser opens its websocket there.
`web` migrates the database once (under the migration lock), then serves the app and the bundle on
one port from several Granian workers. A worker that dies is replaced and its browsers reconnect:
`reflex run --env prod` stops every worker and exits when one dies.
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from contacts_app.db import PROJECT_ROOT, get_engine, migrate

# Set by `web` once it has migrated, so that its workers (and their replacements) skip the
# start-up migration that `reflex run` and the test harness rely on.
SCHEMA_READY_ENV = "CONTACTS_SCHEMA_READY"
BUILD_DIR = PROJECT_ROOT / ".web" / "build" / "client"


def build(public_url: str) -> None:
    """The production bundle, pointed at `public_url` (where browsers reach the app)."""
    env = {
        **os.environ,
        "REFLEX_API_URL": public_url.rstrip("/"),
        "REFLEX_USE_NPM": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    reflex = shutil.which("reflex", path=env["PATH"]) or "reflex"
    subprocess.run(
        [reflex, "export", "--frontend-only", "--no-zip", "--env", "prod"], cwd=PROJECT_ROOT, env=env, check=True
    )
    print(f"Built the frontend for {public_url} in {BUILD_DIR}.", flush=True)


def serve_web(host: str, port: int, workers: int | None) -> None:
    """One web process: the app and the built bundle on one port, lost workers replaced."""
    if not (BUILD_DIR / "index.html").exists():
        sys.exit(f"No frontend build in {BUILD_DIR}: run `python -m contacts_app.server build` first.")
    os.chdir(PROJECT_ROOT)
    engine = get_engine()
    migrate(engine)
    # The workers are forked from this process: they must not share its database connections.
    engine.dispose()
    os.environ[SCHEMA_READY_ENV] = "1"

    from granian.constants import Interfaces
    from granian.server import Server
    from reflex.utils import exec as reflex_exec
    from reflex.utils import processes
    from reflex_base import constants
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)
    # Reflex starts 2 x cores + 1 workers with Redis (one without: the page states live in its
    # memory). Here every database read and write of a handler runs in a thread (off_the_loop), so
    # what a worker's loop does is CPU work, and workers beyond the cores only queue it behind each
    # other: 200 users on `bin/serve-many`'s two web processes of this 2-core machine got p95
    # 293-747 ms with one worker each, 1,257 ms with two and 1,797 ms with five (load_bench).
    workers = workers or min(processes.get_num_workers(), os.cpu_count() or 1)
    # As `reflex run --env prod` does: import the app here so forked workers share its memory.
    import multiprocessing

    if (start_method := reflex_exec._backend_start_method()) is not None:
        multiprocessing.set_start_method(start_method, force=True)
        import contacts_app.asgi  # noqa: F401 - the app, loaded once before the workers fork

        if start_method == "fork" and not reflex_exec._preload_for_fork("contacts_app.asgi:served_app"):
            multiprocessing.set_start_method("spawn", force=True)
    print(f"App running at: http://{host}:{port}/ ({workers} worker{'s' if workers != 1 else ''})", flush=True)
    Server(
        target="contacts_app.asgi:served_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        respawn_failed_workers=True,
        respawn_interval=1.0,
        workers_kill_timeout=10,
    ).serve()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m contacts_app.server", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="build the frontend bundle once")
    build_parser.add_argument("--public-url", required=True, help="where browsers reach the app (the proxy)")
    web_parser = commands.add_parser("web", help="serve the app from several workers (no build)")
    web_parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    web_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    web_parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ["WEB_WORKERS"]) if os.environ.get("WEB_WORKERS") else None,
        help="worker processes (default: 2 x cores + 1 with REFLEX_REDIS_URL, otherwise 1)",
    )
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.public_url)
    else:
        serve_web(args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
