"""The Import dialog: a staged file or pasted text, options, and an import job with progress.

The file goes to the server's own upload route (api/imports.py), which checks the user before it
reads a byte; the page then names the staged file to `file_staged`. "Import Contacts" starts an
import job (jobs/imports.py) that any worker may run and that survives the web process; its
progress and outcome come back as job messages of the line (state/live.py -> `_on_job`), so the
user keeps working and a reloaded page finds the import where it stands. The job removes the
staged file when the import ends, whatever the outcome; the dialog removes one it lets go of.
"""

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import reflex as rx

from contacts_app import jobs
from contacts_app.api.imports import TOO_LARGE, bad_rows_url, upload_url
from contacts_app.db import session_scope
from contacts_app.domain import import_files
from contacts_app.domain.column_mapping import (
    FIELD_PREFIX,
    LIST_PREFIX,
    TARGET_LABELS,
    ColumnMapping,
    Target,
    normalize_header,
    positional_mapping,
    proposal_ranks,
    propose_mapping,
    target_label,
)
from contacts_app.domain.csv_reader import MAX_IMPORT_BYTES, Problem
from contacts_app.domain.csv_reader import looks_like_header as file_header_row
from contacts_app.domain.custom_fields import line_fields
from contacts_app.domain.importer import (
    ImportOptions,
    first_rows,
    write_bad_rows_csv,
)
from contacts_app.domain.lists import lists_with_counts
from contacts_app.domain.mapping_memory import remembered_targets
from contacts_app.domain.permissions import Action, PermissionDenied
from contacts_app.jobs import imports as import_job
from contacts_app.models import JobStatus
from contacts_app.numbers import counted
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState, off_the_loop

FILE_INPUT_ID = "import-file"
SHOWN_PROBLEMS = 200
MAX_MAPPED_COLUMNS = 60


@dataclass
class ListOption:
    id: str = ""
    name: str = ""


@dataclass
class TargetOption:
    value: str = ""
    label: str = ""


@dataclass
class MappingColumn:
    header: str = ""
    sample: str = ""
    target: str = ""
    # The select's accessible name.
    label: str = ""


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


def upload_script(line_id: int) -> str:
    """Sends the picked file to the upload route; resolves to its answer ({id, name, size} or {error})."""
    too_large = json.dumps(TOO_LARGE.replace("{limit}", str(MAX_IMPORT_BYTES // (1024 * 1024))))
    return f"""(async () => {{
  const input = document.getElementById({json.dumps(FILE_INPUT_ID)});
  const file = input && input.files && input.files[0];
  if (!file) return {{}};
  input.value = "";
  if (file.size > {MAX_IMPORT_BYTES}) return {{error: {too_large}.replace("{{name}}", file.name)}};
  try {{
    const response = await fetch({json.dumps(upload_url(line_id))}, {{
      method: "POST", body: file, credentials: "same-origin",
      headers: {{"X-File-Name": encodeURIComponent(file.name)}},
    }});
    const answer = await response.json().catch(() => ({{}}));
    return response.ok ? answer : {{error: answer.error || `The upload failed (${{response.status}}).`}};
  }} catch (e) {{
    return {{error: "The upload was interrupted. Check the connection and try again."}};
  }}
}})()"""


def pasted_rows(text: str, count: int = 4) -> list[list[str]]:
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()][:count]
    return list(csv.reader(lines))


def target_options(field_names: list[str], list_names: list[str], mapping: list[MappingColumn]) -> list[TargetOption]:
    """What a column can hold: the fixed choices, the account's custom fields, the line's lists
    (and a list a column names that does not exist yet: the import makes it)."""
    values = [target.value for target in TARGET_LABELS if target != Target.SKIP]
    values += [FIELD_PREFIX + name for name in field_names]
    values += [LIST_PREFIX + name for name in list_names]
    values += [column.target for column in mapping if column.target not in values and column.target != Target.SKIP]
    return [TargetOption(value, target_label(value)) for value in [*values, Target.SKIP.value]]


def mapping_columns(rows: list[list[str]], field_names: list[str] | None = None) -> list[MappingColumn]:
    """The mapping step's rows for a file whose first row names its columns, with the proposal."""
    headers = rows[0][:MAX_MAPPED_COLUMNS]
    proposal = propose_mapping(headers, field_names or [])
    columns = []
    for index, (header, target) in enumerate(zip(headers, proposal.targets, strict=False)):
        values = [row[index].strip() for row in rows[1:] if index < len(row) and row[index].strip()]
        sample = ", ".join(values)
        columns.append(
            MappingColumn(
                header=header or f"Column {index + 1}",
                sample=sample if len(sample) <= 40 else sample[:39] + "…",
                target=str(target),
                label=f"What “{header or f'Column {index + 1}'}” holds",
            )
        )
    return columns


class ImportState(DialogState, SessionState):
    """Dialog: "import" (upload, column mapping, progress and report in one)."""

    pasted: str = ""
    skip_first_line: bool = False
    skip_invalid: bool = False
    list_id: str = ""
    lists: list[ListOption] = []
    file_name: str = ""
    file_error: str = ""
    uploading: bool = False
    header_hint: bool = False
    # The mapping step, shown when the first line names columns other than Full Name, Phone, Email.
    mapping: list[MappingColumn] = []
    # What a column can hold (fixed choices, the account's custom fields, the line's lists).
    target_options: list[TargetOption] = []
    _mapping_ranks: list[int] = []
    _field_names: list[str] = []
    # {normalized column name: target} the account last imported with (mapping_memory.py).
    _remembered: dict[str, str] = {}

    running: bool = False
    done: int = 0
    total: int = 0
    time_left: str = ""
    summary: str = ""
    rejected_message: str = ""
    problems: list[ProblemRow] = []
    problem_count: int = 0

    _file_path: str = ""
    # The import job this page started (or found running on its line), and when it started.
    _import_job: int = 0
    _started: float = 0.0
    # The bad-rows report of the last import, downloaded through api/imports.py (not page state).
    _problems_id: str = ""

    @rx.var
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @rx.var
    def progress_text(self) -> str:
        return f"Importing… {self.done:,} of {self.total:,} rows" if self.total else "Importing… reading the file"

    @rx.var
    def problem_count_text(self) -> str:
        return counted(self.problem_count, "problem")

    @rx.var
    def hidden_problem_count(self) -> int:
        return max(0, self.problem_count - len(self.problems))

    @rx.var
    def hidden_problem_text(self) -> str:
        return f"…and {self.hidden_problem_count:,} more in the download."

    @rx.var
    def mapping_error(self) -> str:
        if not self.mapping:
            return ""
        return " ".join(self._column_mapping().problems())

    @rx.var
    def can_start(self) -> bool:
        has_input = self.file_name != "" or self.pasted.strip() != ""
        return not self.running and not self.uploading and has_input and self.mapping_error == ""

    def _column_mapping(self) -> ColumnMapping:
        return ColumnMapping.of(
            [column.target for column in self.mapping],
            self._mapping_ranks or None,
            [column.header for column in self.mapping],
        )

    @rx.event
    @off_the_loop
    def set_open(self, is_open: bool):
        """Its own open-change handler: opening reads the line's lists and fields and any import running."""
        if not is_open:
            if self.dialog == "import":
                self._close_dialog()
            if not self.running:
                # A file picked and never imported is not kept.
                self._discard_file()
            return
        if self.running:
            self._open_dialog("import")
            return
        with session_scope() as session:
            line_id = self._require(session, Action.IMPORT)
            self.lists = (
                [ListOption(id=str(s.id), name=s.name) for s in lists_with_counts(session, line_id)]
                if self.can_use_lists
                else []
            )
            self._field_names = [field.name for field in line_fields(session, line_id)]
            self._remembered = remembered_targets(session, self._user(session).account_id)
            running = jobs.latest_job(session, line_id, import_job.KIND)
        if self.list_id and self.list_id not in {option.id for option in self.lists}:
            self.list_id = ""
        self._refresh_target_options()
        if running is not None and not running.finished:
            # An import of the line runs (started here before a reload, or on another page): show where it stands.
            self._import_job, self.running = running.id, True
            self.done, self.total = running.done, running.total
            self._started = self._started or time.monotonic()
        self._open_dialog("import")

    def _can_hold(self, target: str) -> bool:
        """Whether a remembered target still exists (a custom field may have gone since)."""
        if target.startswith(FIELD_PREFIX):
            return target.removeprefix(FIELD_PREFIX).lower() in {name.lower() for name in self._field_names}
        return True

    def _refresh_target_options(self) -> None:
        list_names = [option.name for option in self.lists]
        self.target_options = target_options(self._field_names, list_names, self.mapping)

    @rx.event
    def set_pasted(self, text: str):
        self.pasted = text
        if not self.file_name:
            self._offer_mapping(pasted_rows(text))

    def _offer_mapping(self, rows: list[list[str]]) -> None:
        """A header line gets the mapping step, or, in the import format, Skip First Line ticked
        (the user's untick stands until the header goes)."""
        looks_like_header = bool(rows) and file_header_row(rows[0])
        if not looks_like_header:
            self.header_hint, self.mapping, self._mapping_ranks = False, [], []
            return
        columns = mapping_columns(rows, self._field_names)
        for column in columns:
            remembered = self._remembered.get(normalize_header(column.header))
            if remembered is not None and self._can_hold(remembered):
                column.target = remembered
        if not self.can_use_lists:
            # Lists are not this user's to fill: list columns are proposed as not imported.
            for column in columns:
                if column.target == Target.LISTS or column.target.startswith(LIST_PREFIX):
                    column.target = Target.SKIP.value
        in_import_format = [column.target for column in columns[:3]] == [
            str(target) for target in positional_mapping(len(columns[:3])).targets
        ] and all(column.target == Target.SKIP for column in columns[3:])
        if in_import_format:
            self.mapping, self._mapping_ranks = [], []
            if not self.header_hint:
                self.skip_first_line = True
        elif [column.header for column in columns] != [column.header for column in self.mapping]:
            self.mapping = columns
            self._mapping_ranks = proposal_ranks([column.header for column in columns])
            self._refresh_target_options()
        self.header_hint = True

    @rx.event
    def set_column_target(self, index: int, target: str):
        if 0 <= index < len(self.mapping) and target in {option.value for option in self.target_options}:
            self.mapping[index].target = target
            self.mapping = list(self.mapping)

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
        self.header_hint, self.mapping = False, []

    def _discard_file(self) -> None:
        import_files.discard(self._file_path)
        self._file_path = ""
        self.file_name = ""

    @rx.event
    @off_the_loop
    def choose_file(self, _value: str = ""):
        """The file input changed: the page uploads the file to the server's own route."""
        with session_scope() as session:
            line_id = self._require(session, Action.IMPORT)
        self._discard_file()
        self.file_error = ""
        self.uploading = True
        return rx.call_script(upload_script(line_id), callback=ImportState.file_staged)

    @rx.event
    @off_the_loop
    def file_staged(self, answer: dict):
        """The upload route's answer: the staged file is the user's own, or an error to show."""
        self.uploading = False
        answer = answer if isinstance(answer, dict) else {}
        if answer.get("error"):
            self.file_error = str(answer["error"])
            return
        if not answer.get("id"):
            return
        with session_scope() as session:
            self._require(session, Action.IMPORT)
            user_id = self._user(session).id
        path = import_files.staged_file(user_id, str(answer["id"]))
        if path is None:
            self.file_error = "The uploaded file is gone. Choose it again."
            return
        self._file_path = str(path)
        self.file_name = str(answer.get("name") or "upload.csv")
        self._offer_mapping(first_rows(path))

    @rx.event
    @off_the_loop
    def start_import(self):
        """Start the import as a job (it survives this web process); its progress and end reach the
        page through state/live.py as job messages (`_on_job`)."""
        if self.running or not self.can_start:
            return None
        with session_scope() as session:
            line_id = self._require(session, Action.IMPORT)
            user = self._user(session)
            options = ImportOptions(
                skip_first_line=self.skip_first_line,
                list_id=int(self.list_id) if self.list_id else None,
                skip_invalid=self.skip_invalid,
                mapping=self._column_mapping() if self.mapping else None,
                actor=user.email,
            )
            path = Path(self._file_path) if self._file_path else import_job.stage_text(self.pasted)
            try:
                # Refused (and nothing staged kept) unless the user may import, and fill lists.
                job = import_job.create(session, user, line_id, path, options, self.file_name or "pasted text")
            except PermissionDenied:
                if not self._file_path:
                    path.unlink(missing_ok=True)
                raise
            job_id = job.id
        jobs.dispatch(job_id)
        # The job owns the staged file now: it removes it when the import ends, whatever the outcome.
        self._file_path, self._import_job, self._started = "", job_id, time.monotonic()
        self.running = True
        self.done, self.total, self.time_left = 0, 0, ""
        self._clear_report()
        return None

    def _on_job(self, message: dict):
        """A job message of the line (from state/live.py): this page's import moved on or ended."""
        if message.get("kind") != import_job.KIND or message["job"] != self._import_job:
            return None
        if message["status"] not in JobStatus.FINISHED:
            self.running = True
            self.done, self.total = message["done"], message["total"] or self.total
            self.time_left = time_left_label(self.done, self.total, time.monotonic() - self._started)
            return None
        self._import_job = 0
        self.running = False
        self.time_left = ""
        self.file_name, self.header_hint, self.mapping = "", False, []
        with session_scope() as session:
            finished = jobs.get_job(session, message["job"])
            user = self._user(session)
            self._remembered = remembered_targets(session, user.account_id)
        result = (finished.result if finished is not None else None) or {}
        problems = import_job.problems_of(result)
        problem_count = result.get("problem_count", len(problems))
        self._show_problems(problems, problem_count, _save_problems(user.id, problems) if problems else "")
        if message["status"] != JobStatus.SUCCEEDED:
            if result.get("rejected"):
                self.rejected_message = (
                    f"The file was not imported: {counted(problem_count, 'problem')}, listed below. "
                    "Nothing was written."
                )
            else:
                self.rejected_message = message["message"] or "The import stopped."
            # The dialog shows the failure; a toast only for someone who closed it meanwhile.
            return None if self.dialog == "import" else rx.toast.error("Nothing was imported: the file has problems.")
        self.done = self.total
        self.summary = result.get("summary") or message["message"]
        self.pasted = ""
        return None if self.dialog == "import" else rx.toast.success(f"Import finished: {self.summary}")

    def _show_problems(self, problems: list[Problem], count: int, problems_id: str) -> None:
        self._problems_id = problems_id
        self.problem_count = count
        self.problems = [problem_row(p) for p in problems[:SHOWN_PROBLEMS]]

    def _clear_report(self) -> None:
        import_files.discard_staged(self._problems_id)
        self.summary = self.rejected_message = ""
        self.problems, self._problems_id, self.problem_count = [], "", 0

    @rx.event
    def download_bad_rows(self):
        if not self._problems_id:
            return None
        return rx.download(url=bad_rows_url(self._problems_id), filename="contacts-import-problems.csv")


def _save_problems(user_id: int, problems: list[Problem]) -> str:
    """Write the bad-rows report for the download route; its id."""
    report_id, path = import_files.new_problems_file(user_id)
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        write_bad_rows_csv(problems, out)
    return report_id
