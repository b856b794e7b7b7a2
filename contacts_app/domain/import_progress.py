"""An import's progress as the page sees it: throttled, ending at the total, never silent for long."""

import threading
import time
from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]

PROGRESS_INTERVAL_SECONDS = 0.25
# The longest the callback goes unheard while an import runs.
PROGRESS_HEARTBEAT_SECONDS = 0.7


class ProgressTracker:
    """Throttled progress: checking is the first half of `rows`, saving the second.

    A single statement (a commit that checkpoints SQLite's log, an index build) can run for
    seconds; a heartbeat thread repeats the last figures meanwhile so the page never looks stuck.
    """

    def __init__(self, callback: ProgressCallback | None, rows: int) -> None:
        self.callback = callback
        self.rows = rows
        self.last_call = 0.0
        self.done = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        if callback is not None:
            threading.Thread(target=self._heartbeat, name="import-progress", daemon=True).start()

    def _heartbeat(self) -> None:
        while not self._stopped.wait(0.2):
            if time.monotonic() - self.last_call >= PROGRESS_HEARTBEAT_SECONDS:
                self._report(self.done, force=True)

    def _report(self, done: int, force: bool = False) -> None:
        if self.callback is None or self._stopped.is_set():
            return
        now = time.monotonic()
        if force or now - self.last_call >= PROGRESS_INTERVAL_SECONDS:
            with self._lock:
                self.last_call = now
                self.done = max(self.done, min(done, self.rows))
                self.callback(self.done, self.rows)

    def checked(self, rows_read: int) -> None:
        self._report(rows_read // 2)

    def start_saving(self, rows: int) -> None:
        with self._lock:
            self.rows = max(rows, 1)
            self.done = 0
        self._report(self.rows // 2, force=True)

    def saving(self, fraction: float) -> None:
        self._report(self.rows // 2 + int(self.rows / 2 * fraction))

    def stop(self, finished: bool) -> None:
        """End the heartbeat; a finished import reports done == total once more."""
        if finished:
            self._report(self.rows, force=True)
        self._stopped.set()
