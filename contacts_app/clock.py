"""The time the scheduler goes by: the real clock, or one a test moves (CONTACTS_TEST_CLOCK_FILE).

The file holds an ISO time with its zone; while it exists and is not empty, that is "now" for
reminders. Browser tests use it to reach a reminder's minute without waiting for it.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

TEST_CLOCK_ENV = "CONTACTS_TEST_CLOCK_FILE"


def now() -> datetime:
    path = os.environ.get(TEST_CLOCK_ENV)
    if path:
        try:
            text = Path(path).read_text().strip()
        except OSError:
            text = ""
        if text:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)
