"""How often the single-process set-up sweeps expired page states from disk.

Reflex's disk state manager (`bin/serve`, no Redis) lists and stats every page's state file after
each batch of writes, every 2 s while anyone is active. The files expire after an hour
(`redis_token_expiration`), so an hour of visitors leaves thousands of them: with 7,700 files the
sweep took over a third of the web worker's CPU under load_bench's 50 users. Sweeping every few
minutes removes the same files, a few minutes later.
"""

import time

from reflex.istate.manager.disk import StateManagerDisk

PURGE_EVERY_SECONDS = 300.0

_purge_all = StateManagerDisk._purge_expired_states
_last_purge: dict[int, float] = {}


def _purge_now_and_then(manager: StateManagerDisk) -> None:
    now = time.monotonic()
    if now - _last_purge.get(id(manager), -PURGE_EVERY_SECONDS) < PURGE_EVERY_SECONDS:
        return
    _last_purge[id(manager)] = now
    _purge_all(manager)


def sweep_page_states_now_and_then() -> None:
    StateManagerDisk._purge_expired_states = _purge_now_and_then
