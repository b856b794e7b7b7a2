"""The upload size limit is checked on the server: the browser's own limit is only a courtesy."""

import asyncio
import io
from pathlib import Path

import reflex as rx

from contacts_app.domain.csv_reader import MAX_IMPORT_BYTES
from contacts_app.state import importer as importer_state
from contacts_app.state.importer import ImportState
from tests.test_state_permissions import ADMIN, engine, people, state_of  # noqa: F401  (fixtures)


class OversizedFile(io.RawIOBase):
    """Reads as MAX_IMPORT_BYTES + 1 bytes without holding them."""

    def __init__(self) -> None:
        self.left = MAX_IMPORT_BYTES + 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"a" * n
        self.left -= n
        return n


def test_upload_over_the_limit_is_refused_and_not_kept(engine, people, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(importer_state, "IMPORT_SPOOL_DIR", tmp_path / "imports")
    state = state_of(engine, ImportState, ADMIN)
    upload = rx.UploadFile(file=io.BufferedReader(OversizedFile()), path=Path("huge.csv"))
    asyncio.run(ImportState.receive_file.fn(state, [upload]))
    assert "larger than the 100 MB limit" in state.file_error
    assert state.file_name == ""
    assert list((tmp_path / "imports").iterdir()) == []
