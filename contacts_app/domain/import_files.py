"""Where uploaded import files wait between the upload and the import, and how they are cleared.

A staged file holds people's data, so it lives only as long as it is needed: it is named after
the user who sent it (nobody else's event can claim it), removed when its import ends whatever
the outcome or when the dialog lets go of it, and anything older than a day (an abandoned tab,
a killed process) is swept at start-up and on every new upload. The folder is private, never
Reflex's public upload directory.
"""

import os
import re
import secrets
import time
from pathlib import Path

from contacts_app.db import PROJECT_ROOT

# CONTACTS_IMPORT_DIR moves it (several web processes on one machine share one folder).
IMPORT_SPOOL_DIR = Path(os.environ.get("CONTACTS_IMPORT_DIR") or PROJECT_ROOT / "data" / "imports")
STALE_AFTER_SECONDS = 24 * 3600
# The kinds of file the importer reads; anything else is staged as .csv and read as text.
STAGED_SUFFIXES = (".csv", ".txt", ".xlsx", ".vcf")
# A staged id: the user's id and a random part, so one user cannot name another's file.
_STAGED_ID = re.compile(r"(\d{1,10})_([0-9a-f]{32})(\.problems\.csv|\.[a-z]{3,4})")
PROBLEMS_SUFFIX = ".problems.csv"


def spool_dir() -> Path:
    IMPORT_SPOOL_DIR.mkdir(parents=True, exist_ok=True)
    return IMPORT_SPOOL_DIR


def new_staged_file(user_id: int, original_name: str) -> tuple[str, Path]:
    """A fresh id and path for a file `user_id` is uploading (the file is not created)."""
    suffix = Path(original_name).suffix.lower()
    if suffix not in STAGED_SUFFIXES:
        suffix = ".csv"
    staged_id = f"{int(user_id)}_{secrets.token_hex(16)}{suffix}"
    return staged_id, spool_dir() / staged_id


def new_problems_file(user_id: int) -> tuple[str, Path]:
    """A fresh id and path for the bad-rows report of an import `user_id` ran."""
    staged_id = f"{int(user_id)}_{secrets.token_hex(16)}{PROBLEMS_SUFFIX}"
    return staged_id, spool_dir() / staged_id


def staged_file(user_id: int, staged_id: str) -> Path | None:
    """The staged file `staged_id` if it exists and `user_id` uploaded it."""
    match = _STAGED_ID.fullmatch(staged_id or "")
    if match is None or int(match.group(1)) != user_id:
        return None
    path = IMPORT_SPOOL_DIR / staged_id
    return path if path.is_file() else None


def discard(path: str | Path | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def discard_staged(staged_id: str) -> None:
    """Remove a staged file or report by its id (ids of any other shape are ignored)."""
    if _STAGED_ID.fullmatch(staged_id or ""):
        (IMPORT_SPOOL_DIR / staged_id).unlink(missing_ok=True)


def sweep_stale_files(older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
    """Remove staged files (and bad-row reports) older than the limit; returns how many went."""
    if not IMPORT_SPOOL_DIR.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in IMPORT_SPOOL_DIR.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
