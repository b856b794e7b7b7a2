"""Capacity: N signed-in users on the Contacts page, over Reflex's own websocket protocol.

    .venv/bin/python benchmarks/load_bench.py                       # both set-ups, N = 50, 200, 500
    .venv/bin/python benchmarks/load_bench.py --setup many --users 200

Set-ups: (a) `one`: one web process, one worker, SQLite (what `bin/serve` runs); (b) `many`:
`bin/serve-many`, two web processes behind nginx (with its default workers, one per core in all, or
--workers each), PostgreSQL (a schema of its own at 127.0.0.1:5432, dropped afterwards) and Redis
(--redis-url). Each seeds its own database: one line per `--users-per-line` users (a business's
staff), each line with `--contacts-per-line` contacts, and signs every simulated user in (a session
of their own).

Each simulated user connects as the browser does (Engine.IO/Socket.IO on /_event, the hydrate event
in the CONNECT packet, the session cookie), opens the Contacts page, searches, opens two contacts,
clears the search, turns the page, opens a contact and edits its e-mail, with 1-3 s of thinking
between actions; users arrive over `--ramp` seconds. Like the page, each starts its live watcher
when the page opens, so other users' edits on its line are pushed to it (a state update that may
arrive while it waits for its own event's). Then every page stays open for `--idle` seconds,
sending nothing but Engine.IO's pong, as an idle open page does.

Printed per set-up and N: event round-trips (p50/p95/p99: from sending an event to the state update
that answers it, see PageClient.act), errors (failed connects, refusals, timeouts, dropped sockets),
the app's CPU (web processes, workers and nginx; not PostgreSQL or Redis, which other programs share here)
while users are active and while they idle, and its memory (PSS, so forked workers' shared pages
count once) per idle connected user. The load generator runs on the same machine: its own CPU use
is printed too.
"""

import argparse
import asyncio
import csv
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import reflex as rx
import websockets
from argon2 import PasswordHasher
from sqlalchemy import text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from contacts_app.db import make_engine, migrate, session_scope  # noqa: E402
from contacts_app.domain import auth, lines, users  # noqa: E402
from contacts_app.domain.importer import ImportOptions, run_import  # noqa: E402
from contacts_app.models import Role, User  # noqa: E402
from contacts_app.server import BUILD_DIR  # noqa: E402
from contacts_app.state.contacts import ContactsState  # noqa: E402
from contacts_app.state.live import LiveState  # noqa: E402

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "load bench password 42"
SURNAMES = ["Smith", "Jones", "Garcia", "Brown", "Miller", "Davis", "Lopez", "Wilson", "Moore", "Taylor"]
AREA_CODES = ["212", "415", "312", "617", "206", "303", "512", "646", "718", "917"]
EVENT_TIMEOUT_SECONDS = 15.0
CONNECT_TIMEOUT_SECONDS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

ROOT_STATE = rx.State.get_full_name()
CONTACTS = ContactsState.get_full_name()
# What an open Contacts page sends by itself: once, when it mounts, the start of its watcher
# (state/live.py, a background task awaiting the line's pushed changes); then nothing while idle.
PAGE_MOUNT_EVENTS = [f"{LiveState.get_full_name()}.watch"]
# How often an idle page checks that its socket is still up.
IDLE_CHECK_SECONDS = 1.0


# ----- seeding -----------------------------------------------------------------------------


def seed(database_url: str, user_count: int, users_per_line: int, contacts_per_line: int) -> list[str]:
    """Lines, their contacts and one signed-in session per simulated user; returns the session tokens."""
    # Seeding only: the simulated users are signed in here, not through the server, so their
    # password hashes may be cheap (the library's defaults take ~1 s each on a busy machine).
    auth.password_hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    engine = make_engine(database_url)
    migrate(engine)
    line_count = math.ceil(user_count / users_per_line)
    with session_scope(engine) as session:
        admin_id = users.create_user(session, "owner@bench.example", PASSWORD, Role.ADMIN).id
    with tempfile.TemporaryDirectory() as scratch:
        for line_number in range(line_count):
            with session_scope(engine) as session:
                admin = session.get(User, admin_id)
                staff = users.add_user(session, admin, f"staff{line_number}@bench.example", PASSWORD)
                line_id = lines.add_line(
                    session, admin, f"Line {line_number}", f"+1415555{2000 + line_number:04d}", owner_id=staff.id
                ).id
            path = Path(scratch) / f"line{line_number}.csv"
            with path.open("w", newline="") as out:
                writer = csv.writer(out)
                for k in range(contacts_per_line):
                    surname = SURNAMES[k % len(SURNAMES)]
                    phone = f"+1{AREA_CODES[k // 1000 % len(AREA_CODES)]}555{k % 1000:04d}"
                    writer.writerow([f"Customer {k:04d} {surname}", phone, ""])
            run_import(engine, path, line_id, ImportOptions())
    tokens = []
    for number in range(user_count):
        email = f"staff{number // users_per_line}@bench.example"
        client_ip = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        tokens.append(auth.authenticate(engine, email, PASSWORD, client_ip=client_ip).token)
    engine.dispose()
    return tokens


# ----- the app under test ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    redis_url: str | None

    def pids(self) -> list[int]:
        """The process and all its descendants (web processes, workers, nginx)."""
        found, frontier = [], [self.process.pid]
        while frontier:
            pid = frontier.pop()
            found.append(pid)
            children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
            frontier.extend(int(child) for child in children)
        return found

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def memory_mb(self) -> float:
        """Proportional set size: shared pages (forked workers) count once, split between sharers."""
        total_kb = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
            except OSError:
                continue
        return total_kb / 1024

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def redis_memory_mb(url: str | None) -> float:
    """Redis's memory in use (page state lives there in the scaled set-up); 0 without Redis."""
    if url is None:
        return 0.0
    client = redis.Redis.from_url(url)
    try:
        return client.info("memory")["used_memory"] / 2**20
    finally:
        client.close()


def ensure_build(port: int) -> None:
    if not (BUILD_DIR / "index.html").exists():
        subprocess.run(
            [sys.executable, "-m", "contacts_app.server", "build", "--public-url", f"http://localhost:{port}"],
            cwd=PROJECT_ROOT,
            check=True,
        )


def start_server(setup: str, database_url: str, redis_url: str, workers: int | None, log: Path) -> Server:
    port = free_port()
    ensure_build(port)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("REFLEX_REDIS_URL", None)
    if setup == "one":
        command = [sys.executable, "-m", "contacts_app.server", "web", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", "1"]
    else:
        env |= {
            "REFLEX_REDIS_URL": redis_url,
            "PORT": str(port),
            "WEB_PORTS": f"{free_port()} {free_port()}",
            "SKIP_BUILD": "1",
            "RUN_DIR": tempfile.mkdtemp(prefix="load-bench-nginx-"),
        }
        env.pop("WEB_WORKERS", None)
        if workers:
            env["WEB_WORKERS"] = str(workers)
        command = [str(PROJECT_ROOT / "bin" / "serve-many")]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, port, log, redis_url if setup == "many" else None)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(1)
    server.stop()
    raise RuntimeError(f"the server did not get ready:\n{log.read_text()[-3000:]}")


# ----- one simulated user ------------------------------------------------------------------


class Refused(Exception):
    """The app answered with an error instead of the expected change."""


@dataclass
class Results:
    round_trips: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, action: str, seconds: float) -> None:
        self.round_trips.setdefault(action, []).append(seconds)

    def all_round_trips(self) -> list[float]:
        return [value for values in self.round_trips.values() for value in values]


class PageClient:
    """One browser tab on the Contacts page, speaking Engine.IO 4 / Socket.IO 5 like Reflex's frontend."""

    def __init__(self, port: int, session_token: str, results: Results):
        self.port = port
        self.session_token = session_token
        self.results = results
        self.client_token = str(uuid.uuid4())
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self.websocket = None
        self.reader: asyncio.Task | None = None
        self.rows: list[dict] = []
        self.selected: dict = {}

    async def open_page(self) -> None:
        url = f"ws://127.0.0.1:{self.port}/_event/?EIO=4&transport=websocket&token={self.client_token}"
        cookie = f"{auth.SESSION_COOKIE}={self.session_token}"
        started = time.perf_counter()
        self.websocket = await asyncio.wait_for(
            # No websocket-level pings: browsers send none (Engine.IO's own ping/pong keeps the socket).
            websockets.connect(
                url, additional_headers={"Cookie": cookie}, max_size=None, compression=None, ping_interval=None
            ),
            CONNECT_TIMEOUT_SECONDS,
        )
        opening = json.loads((await self.websocket.recv())[1:])
        self.ping_interval = opening["pingInterval"] / 1000
        hydrate = self.event(f"{ROOT_STATE}.hydrate_and_load", {})
        await self.websocket.send("40/_event," + json.dumps({"event": hydrate}))
        self.reader = asyncio.create_task(self.read())
        # The page is open once hydration finishes and its rows have arrived.
        deadline = time.monotonic() + EVENT_TIMEOUT_SECONDS
        hydrated = False
        while not (hydrated and self.rows):
            update = await self.next_update(deadline)
            hydrated = hydrated or update.get("delta", {}).get(ROOT_STATE, {}).get("is_hydrated_rx_state_") is True
        self.results.record("open page", time.perf_counter() - started)
        for handler in PAGE_MOUNT_EVENTS:
            await self.websocket.send("42/_event," + json.dumps(["event", self.event(handler, {})]))

    @staticmethod
    def event(name: str, payload: dict) -> dict:
        return {"name": name, "payload": payload, "router_data": {"pathname": "/", "asPath": "/"}}

    async def read(self) -> None:
        try:
            async for message in self.websocket:
                if message == "2":  # Engine.IO ping: answer, or the server drops the socket
                    await self.websocket.send("3")
                elif message.startswith("42/_event,"):
                    name, update = json.loads(message[len("42/_event,") :])
                    if name == "event":
                        self.remember(update)
                        await self.updates.put(update)
                elif message.startswith("44/_event,"):
                    await self.updates.put({"connect_error": message})
        except websockets.ConnectionClosed:
            pass
        await self.updates.put({"closed": True})

    def remember(self, update: dict) -> None:
        contacts = update.get("delta", {}).get(CONTACTS, {})
        if "rows_rx_state_" in contacts:
            self.rows = contacts["rows_rx_state_"]
        if contacts.get("selected_rx_state_"):
            self.selected = contacts["selected_rx_state_"]

    async def next_update(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer")
        update = await asyncio.wait_for(self.updates.get(), remaining)
        if update.get("closed"):
            raise ConnectionError("the server closed the websocket")
        if "connect_error" in update:
            raise Refused(update["connect_error"][:200])
        return update

    async def act(self, action: str, handler: str, payload: dict) -> dict:
        """Send one event and wait for its own answer; returns the contacts delta.

        Reflex's updates name no event (and 0.10 sends no `final` flag), so the answer is told from
        a pushed refresh (another user's edit on the line, state/live.py) by what it carries: every
        handler this script calls returns events (the new address, or the toast), sent in the same
        update as its delta, while a pushed refresh is a delta alone. The first update of any kind,
        once counted, made a refresh that overtook a queued event look like its answer.
        """
        while not self.updates.empty():  # leftovers (pushed refreshes) belong to earlier events
            self.updates.get_nowait()
        started = time.perf_counter()
        await self.websocket.send("42/_event," + json.dumps(["event", self.event(f"{CONTACTS}.{handler}", payload)]))
        deadline = time.monotonic() + EVENT_TIMEOUT_SECONDS
        while True:
            update = await self.next_update(deadline)
            # A refused edit returns no events: its field errors are its answer.
            if update.get("events") or update.get("delta", {}).get(CONTACTS, {}).get("edit_errors_rx_state_"):
                break
        self.results.record(action, time.perf_counter() - started)
        return update.get("delta", {}).get(CONTACTS, {})

    async def think(self) -> None:
        await asyncio.sleep(random.uniform(1.0, 3.0))

    async def use_the_page(self) -> None:
        await self.open_page()
        await self.think()
        await self.act("search", "set_query", {"value": random.choice(SURNAMES).lower()})
        for row in self.rows[:2]:
            await self.think()
            await self.act("open contact", "select", {"contact_id": row["id"]})
        await self.think()
        await self.act("clear search", "set_query", {"value": ""})
        await self.think()
        await self.act("next page", "next_page", {})
        await self.think()
        await self.act("open contact", "select", {"contact_id": random.choice(self.rows)["id"]})
        await self.think()
        contact = self.selected
        form = [
            ["full_name", contact["full_name"]],
            ["phone", contact["phone"]],
            ["email", f"customer{random.randrange(10**6)}@example.com"],
        ]
        delta = await self.act("edit contact", "update_contact", {"form_data": {"__reflex_form_data__": form}})
        if delta.get("edit_errors_rx_state_"):
            raise Refused(f"the edit was refused: {delta['edit_errors_rx_state_']}")

    async def keep_open(self, until: float) -> None:
        """Leave the page open: like the real page it sends nothing (the reader answers pings)."""
        while time.monotonic() < until:
            await asyncio.sleep(min(IDLE_CHECK_SECONDS, max(0.0, until - time.monotonic())))
            if self.reader is not None and self.reader.done():
                raise ConnectionError("the websocket dropped while the page was open")

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


# ----- one round: N users ------------------------------------------------------------------


@dataclass
class Round:
    users: int
    results: Results
    active_seconds: float
    active_cpu: float
    idle_seconds: float
    idle_cpu: float
    memory_before_mb: float
    memory_idle_mb: float
    connected_at_idle: int
    generator_cpu: float
    redis_growth_mb: float


async def run_round(server: Server, tokens: list[str], ramp: float, idle: float) -> Round:
    results = Results()
    clients = [PageClient(server.port, token, results) for token in tokens]
    memory_before = server.memory_mb()
    redis_before = redis_memory_mb(server.redis_url)
    cpu_start, started = server.cpu_seconds(), time.monotonic()
    generator_start = time.process_time()

    async def one_user(number: int, client: PageClient) -> None:
        await asyncio.sleep(ramp * number / len(clients))
        try:
            await client.use_the_page()
        except (TimeoutError, ConnectionError, Refused, OSError, websockets.WebSocketException) as problem:
            results.errors.append(f"{type(problem).__name__}: {problem}")
            await client.close()
            client.websocket = None

    await asyncio.gather(*(one_user(number, client) for number, client in enumerate(clients)))
    active_end = time.monotonic()
    active_cpu = server.cpu_seconds() - cpu_start
    connected = [client for client in clients if client.websocket is not None]
    idle_until = time.monotonic() + idle
    cpu_idle_start = server.cpu_seconds()

    async def stay(client: PageClient) -> None:
        try:
            await client.keep_open(idle_until)
        except (ConnectionError, OSError, websockets.WebSocketException) as problem:
            results.errors.append(f"{type(problem).__name__}: {problem}")

    await asyncio.gather(*(stay(client) for client in connected))
    idle_cpu = server.cpu_seconds() - cpu_idle_start
    memory_idle = server.memory_mb()
    redis_idle = redis_memory_mb(server.redis_url)
    still_connected = sum(1 for client in connected if client.reader is not None and not client.reader.done())
    generator_cpu = time.process_time() - generator_start
    await asyncio.gather(*(client.close() for client in clients))
    return Round(
        users=len(clients),
        results=results,
        active_seconds=active_end - started,
        active_cpu=active_cpu,
        idle_seconds=idle,
        idle_cpu=idle_cpu,
        memory_before_mb=memory_before,
        memory_idle_mb=memory_idle,
        connected_at_idle=still_connected,
        redis_growth_mb=redis_idle - redis_before,
        generator_cpu=generator_cpu,
    )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(setup: str, result: Round) -> None:
    trips = result.results.all_round_trips()
    ms = [value * 1000 for value in trips]
    idle_users = max(result.connected_at_idle, 1)
    print(
        f"{setup:>4} N={result.users:<4} events={len(ms):<5} "
        f"p50={percentile(ms, 0.50):6.1f} ms  p95={percentile(ms, 0.95):6.1f} ms  p99={percentile(ms, 0.99):6.1f} ms  "
        f"errors={len(result.results.errors)}"
    )
    print(
        f"{'':>4} active {result.active_seconds:5.1f} s: app CPU "
        f"{100 * result.active_cpu / result.active_seconds:5.1f}% of a core "
        f"({100 * result.active_cpu / result.active_seconds / result.users:.3f}% per user) | "
        f"idle {result.idle_seconds:.0f} s with {result.connected_at_idle} pages open: "
        f"{100 * result.idle_cpu / result.idle_seconds:5.1f}% of a core "
        f"({100 * result.idle_cpu / result.idle_seconds / idle_users:.3f}% per user)"
    )
    per_user = (result.memory_idle_mb - result.memory_before_mb) / idle_users
    print(
        f"{'':>4} memory {result.memory_before_mb:.0f} MB before, {result.memory_idle_mb:.0f} MB with the pages open: "
        f"{per_user:.2f} MB per idle connected user"
        + (f" (+ Redis {result.redis_growth_mb / idle_users:.2f} MB)" if result.redis_growth_mb else "")
        + f" | load generator CPU {result.generator_cpu:.1f} s"
    )
    by_action = ", ".join(
        f"{action} {percentile([v * 1000 for v in values], 0.95):.0f}"
        for action, values in result.results.round_trips.items()
    )
    print(f"{'':>4} p95 by action (ms): {by_action}")
    for error in sorted(set(result.results.errors))[:5]:
        print(f"{'':>4} error: {error} (x{result.results.errors.count(error)})")
    sys.stdout.flush()


# ----- main ----------------------------------------------------------------------------------


def database_for(setup: str, scratch: Path) -> tuple[str, str | None]:
    if setup == "one":
        return f"sqlite:///{scratch / 'contacts.db'}", None
    schema = f"load_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def run_setup(setup: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="load-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        database_url, schema = database_for(setup, scratch)
        server = None
        try:
            started = time.monotonic()
            tokens = seed(database_url, max(args.users), args.users_per_line, args.contacts_per_line)
            print(
                f"[{setup}] seeded {math.ceil(max(args.users) / args.users_per_line)} lines x "
                f"{args.contacts_per_line} contacts, {len(tokens)} sessions in {time.monotonic() - started:.0f} s",
                flush=True,
            )
            server = start_server(setup, database_url, args.redis_url, args.workers, scratch / "server.log")
            # Warm up: a few users through the whole script, so every worker has imported and connected.
            asyncio.run(run_round(server, tokens[:8], ramp=2, idle=1))
            for count in args.users:
                time.sleep(10)  # let the server finish the previous round's work
                result = asyncio.run(run_round(server, tokens[:count], args.ramp * count / 100, args.idle))
                report(setup, result)
        finally:
            if server is not None:
                server.stop()
                problems = [line for line in server.log.read_text().splitlines() if "error" in line.lower()]
                problems = [line for line in problems if "GET /ready" not in line] or problems
                if problems:
                    print(
                        f"[{setup}] the server logged {len(problems)} error lines, such as:", *problems[:5], sep="\n  "
                    )
            if schema is not None:
                drop_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=["one", "many", "both"], default="both")
    parser.add_argument("--users", default="50,200,500", help="comma-separated N (default 50,200,500)")
    parser.add_argument("--users-per-line", type=int, default=10)
    parser.add_argument("--contacts-per-line", type=int, default=1000)
    parser.add_argument("--ramp", type=float, default=10.0, help="arrival seconds per 100 users (default 10)")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds every page stays open afterwards")
    parser.add_argument(
        "--workers", type=int, default=None, help="workers per web process in `many` (default: cores / 2)"
    )
    parser.add_argument("--redis-url", default=os.environ.get("CONTACTS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"))
    args = parser.parse_args()
    args.users = [int(count) for count in args.users.split(",")]
    print(
        f"load_bench: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
        f"an open page sends on mount: {', '.join(name.rsplit('.', 1)[1] for name in PAGE_MOUNT_EVENTS)}",
        flush=True,
    )
    for setup in ("one", "many") if args.setup == "both" else (args.setup,):
        run_setup(setup, args)
    print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
