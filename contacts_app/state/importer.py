"""The Import dialog: a staged file or pasted text, options, and a server-side import with progress.

The import runs in a background task so the user keeps working; the blocking work runs in a
thread, and its progress callback only writes numbers that the task copies to the page twice a
second.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import reflex as rx

from contacts_app.db import PROJECT_ROOT, get_engine, session_scope
from contacts_app.domain.csv_reader import MAX_IMPORT_BYTES, Problem
from contacts_app.domain.importer import (
    ImportOptions,
    ImportRejected,
    bad_rows_csv,
    import_text,
    run_import,
    suggests_skip_first_line,
)
from contacts_app.domain.lists import ListNotFound, lists_with_counts
from contacts_app.domain.permissions import Action
from contacts_app.state.contacts import ContactsState
from contacts_app.state.session import SessionState

# Customer files stay out of Reflex's public upload directory.
IMPORT_SPOOL_DIR = PROJECT_ROOT / "data" / "imports"
SHOWN_PROBLEMS = 200
PROGRESS_REFRESH_SECONDS = 0.5
COPY_CHUNK_BYTES = 1024 * 1024


@dataclass
class ListOption:
    id: str = ""
    name: str = ""


@dataclass
class ProblemRow:
    where: str = ""
    value: str = ""
    reason: str = ""


def problem_row(problem: Problem) -> ProblemRow:
    where = f"Line {problem.line}" if problem.line is not None else "File"
    if problem.column:
        where += f", {problem.column}"
    return ProblemRow(where=where, value=problem.value, reason=problem.reason)


def time_left_label(done: int, total: int, elapsed: float) -> str:
    if done <= 0 or total <= done:
        return ""
    seconds = elapsed / done * (total - done)
    return f"about {int(seconds) + 1} s left" if seconds < 90 else f"about {int(seconds / 60) + 1} min left"


class ImportState(SessionState):
    open: bool = False
    pasted: str = ""
    skip_first_line: bool = False
    skip_invalid: bool = False
    list_id: str = ""
    lists: list[ListOption] = []
    file_name: str = ""
    file_error: str = ""
    header_hint: bool = False

    running: bool = False
    done: int = 0
    total: int = 0
    time_left: str = ""
    summary: str = ""
    rejected_message: str = ""
    problems: list[ProblemRow] = []
    problem_count: int = 0

    _file_path: str = ""
    _problems: list[Problem] = []

    @rx.var
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @rx.var
    def hidden_problem_count(self) -> int:
        return max(0, self.problem_count - len(self.problems))

    @rx.var
    def can_start(self) -> bool:
        return not self.running and (self.file_name != "" or self.pasted.strip() != "")

    @rx.event
    def set_open(self, is_open: bool):
        self.open = is_open
        if is_open and not self.running:
            with session_scope() as session:
                line_id = self._require(session, Action.IMPORT)
                self.lists = (
                    [ListOption(id=str(s.id), name=s.name) for s in lists_with_counts(session, line_id)]
                    if self.can_use_lists
                    else []
                )
            if self.list_id and self.list_id not in {option.id for option in self.lists}:
                self.list_id = ""

    @rx.event
    def set_pasted(self, text: str):
        self.pasted = text
        first = text.lstrip("\ufeff").splitlines()[0].lower() if text.strip() else ""
        self.header_hint = not self.file_name and "name" in first and "phone" in first

    @rx.event
    def set_skip_first_line(self, value: bool):
        self.skip_first_line = value

    @rx.event
    def set_skip_invalid(self, value: bool):
        self.skip_invalid = value

    @rx.event
    def set_list_id(self, value: str):
        self.list_id = "" if value == "none" else value

    @rx.event
    def clear_file(self):
        self._discard_file()
        self.header_hint = False

    def _discard_file(self) -> None:
        if self._file_path:
            Path(self._file_path).unlink(missing_ok=True)
        self._file_path = ""
        self.file_name = ""

    @rx.event
    async def receive_file(self, files: list[rx.UploadFile]):
        """Stage the uploaded CSV in a private folder, refusing it past the size limit."""
        with session_scope() as session:
            self._require(session, Action.IMPORT)
        self.file_error = ""
        self._discard_file()
        if not files:
            return
        upload = files[0]
        IMPORT_SPOOL_DIR.mkdir(parents=True, exist_ok=True)
        path = IMPORT_SPOOL_DIR / f"{uuid.uuid4().hex}.csv"
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(COPY_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    break
                out.write(chunk)
        if size > MAX_IMPORT_BYTES:
            path.unlink(missing_ok=True)
            self.file_error = (
                f"“{upload.filename}” is larger than the {MAX_IMPORT_BYTES // (1024 * 1024)} MB limit. "
                "Split it into smaller files and import them one by one."
            )
            return
        self._file_path = str(path)
        self.file_name = upload.filename or "upload.csv"
        self.header_hint = suggests_skip_first_line(path)

    @rx.event(background=True)
    async def start_import(self):
        async with self:
            if self.running or not self.can_start:
                return
            with session_scope() as session:
                line_id = self._require(session, Action.IMPORT)
                if self.list_id:
                    self._require(session, Action.LISTS)
            options = ImportOptions(
                skip_first_line=self.skip_first_line,
                list_id=int(self.list_id) if self.list_id else None,
                skip_invalid=self.skip_invalid,
            )
            file_path, pasted = self._file_path, self.pasted
            self.running = True
            self.done, self.total, self.time_left = 0, 0, ""
            self.summary = self.rejected_message = ""
            self.problems, self._problems, self.problem_count = [], [], 0

        progress = {"done": 0, "total": 0}

        def report_progress(done: int, total: int) -> None:
            progress["done"], progress["total"] = done, total

        def work():
            engine = get_engine()
            if file_path:
                return run_import(engine, file_path, line_id, options, report_progress)
            return import_text(engine, pasted, line_id, options, report_progress)

        started = time.monotonic()
        job = asyncio.create_task(asyncio.to_thread(work))
        while not job.done():
            await asyncio.wait({job}, timeout=PROGRESS_REFRESH_SECONDS)
            async with self:
                self.done, self.total = progress["done"], progress["total"]
                self.time_left = time_left_label(self.done, self.total, time.monotonic() - started)

        async with self:
            self.running = False
            self.time_left = ""
            try:
                report = job.result()
            except ImportRejected as rejected:
                self.rejected_message = str(rejected)
                self._show_problems(rejected.problems, rejected.problem_count)
                return rx.toast.error("Nothing was imported: the file has problems.")
            except ListNotFound:
                self.rejected_message = "The chosen list no longer exists. Choose another list and try again."
                return rx.toast.error(self.rejected_message)
            self.done = self.total
            self.summary = report.summary()
            self._show_problems(report.problems, report.problem_count)
            if file_path:
                self._discard_file()
            self.pasted = ""
            contacts = await self.get_state(ContactsState)
            with session_scope() as session:
                contacts._load_rows(session)
            return rx.toast.success(f"Import finished: {self.summary}")

    def _show_problems(self, problems: list[Problem], count: int) -> None:
        self._problems = problems
        self.problem_count = count
        self.problems = [problem_row(p) for p in problems[:SHOWN_PROBLEMS]]

    @rx.event
    def download_bad_rows(self):
        return rx.download(data=bad_rows_csv(self._problems), filename="contacts-import-problems.csv")

    @rx.event
    def start_over(self):
        self.summary = self.rejected_message = ""
        self.problems, self._problems, self.problem_count = [], [], 0
        self.done = self.total = 0
