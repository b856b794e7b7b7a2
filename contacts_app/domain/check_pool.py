"""The worker processes that check a big file's rows, kept for the life of the process."""

import multiprocessing
import os
import select
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

Result = TypeVar("Result")

_pool: ProcessPoolExecutor | None = None
# The workers check imports in the background: a person's search or click in the web process
# comes first when both want the machine's cores.
CHECK_WORKER_NICENESS = 10


def checking_pool() -> ProcessPoolExecutor | None:
    """A process pool kept for the life of the process (starting one costs ~0.2 s); None on one core."""
    global _pool
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2:
        return None
    if _pool is None:
        # forkserver: forking a server that runs threads (Reflex does) can deadlock the child.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["contacts_app.domain.import_check"])
        _pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
        )
    return _pool


def _start_worker(owner_pid: int) -> None:
    """Give way to the web process, and end with the process that owns the pool.

    A pool's workers outlive an owner killed with SIGKILL (a `contacts-app worker` stopped
    mid-import, say): each holds both ends of the pool's queues, so none ever reads an end of file,
    and each would keep ~65 MB for good.
    """
    os.nice(CHECK_WORKER_NICENESS)
    if not hasattr(os, "pidfd_open"):  # Linux only; elsewhere the workers may outlive a killed owner
        return
    try:
        owner = os.pidfd_open(owner_pid)
    except ProcessLookupError:
        os._exit(1)

    def exit_with_owner() -> None:
        select.select([owner], [], [])  # readable once the owner has exited
        os._exit(1)

    threading.Thread(target=exit_with_owner, name="exit-with-owner", daemon=True).start()


def discard_pool() -> None:
    """Forget a broken pool (a worker was killed); the next import starts a new one."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None


def worker_pids() -> list[int]:
    """The pool's worker processes (for the benchmark's memory figures)."""
    return list((_pool._processes or {}).keys()) if _pool is not None else []


def map_in_order(
    pool: ProcessPoolExecutor, work: Callable[..., Result], batches: Iterable[Any], *args: Any
) -> Iterator[Result]:
    """`work(batch, *args)` for each batch in the pool, yielded in order, a bounded number in
    flight (memory stays flat however big the file)."""
    pending = []
    in_flight = 2 * (os.cpu_count() or 1) + 1
    for batch in batches:
        pending.append(pool.submit(work, batch, *args))
        if len(pending) >= in_flight:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()
