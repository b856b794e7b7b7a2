"""CSV import on SQLite and PostgreSQL: strict, all or nothing, merging, lists and opt-outs."""

import csv
import threading
import time

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import consent, import_check, import_progress, import_writer, importer
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, search_contacts
from contacts_app.domain.importer import (
    ImportOptions,
    ImportRejected,
    ProblemCode,
    bad_rows_csv,
    import_text,
    run_import,
    suggests_skip_first_line,
)
from contacts_app.domain.lists import ListNotFound, create_list, list_members
from contacts_app.models import Account, Contact, Line


def write_csv(tmp_path, content: str | bytes, name: str = "contacts.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def contacts_of(engine, line_id: int) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Contact).where(Contact.line_id == line_id).order_by(Contact.phone)).all()
        return [(c.full_name, c.phone, c.email) for c in rows]


def other_line(engine) -> int:
    with session_scope(engine) as session:
        account = session.exec(select(Account)).first()
        line = Line(account_id=account.id, name="Second line")
        session.add(line)
        session.flush()
        return line.id


def test_import_creates_contacts_and_skips_the_header_line(engine, line_id, tmp_path):
    path = write_csv(
        tmp_path, "Full Name,Phone,Email\r\nJane Doe,(415) 555-2671,Jane@Example.com\r\nJohn Roe,212-555-0199,\r\n"
    )
    report = run_import(engine, path, line_id, ImportOptions(skip_first_line=True))
    assert (report.created, report.updated, report.unchanged, report.merged) == (2, 0, 0, 0)
    assert contacts_of(engine, line_id) == [
        ("John Roe", "+12125550199", None),
        ("Jane Doe", "+14155552671", "jane@example.com"),
    ]
    with session_scope(engine) as session:
        assert search_contacts(session, line_id, ContactFilter(query="2671")).total == 1


def test_import_fails_whole_file_when_one_phone_is_invalid(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Jane Doe,4155552671\nBad Phone,12345\nJohn Roe,2125550199\n")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    [problem] = rejected.value.problems
    assert (problem.line, problem.column, problem.value) == (2, "Phone", "12345")
    assert contacts_of(engine, line_id) == []


def test_rejection_lists_every_problem_with_line_column_value_and_reason(engine, line_id, tmp_path):
    path = write_csv(
        tmp_path,
        "Jane Doe,4155552671,jane@example.com\n"
        ",2125550199\n"
        "Sci Note,1.55501E+10\n"
        "Bad Mail,3055550147,jane@\n"
        "Too,Many,Columns,Here\n"
        '"Multi\nLine",abc\n',
    )
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    found = [(p.line, p.column, p.code) for p in rejected.value.problems]
    assert found == [
        (2, "Full Name", ProblemCode.NAME),
        (3, "Phone", ProblemCode.PHONE_SCIENTIFIC),
        (4, "Email", ProblemCode.EMAIL),
        (5, None, ProblemCode.COLUMNS),
        (6, "Phone", ProblemCode.PHONE),
    ]
    assert rejected.value.problem_count == 5
    assert all(p.reason for p in rejected.value.problems)
    assert contacts_of(engine, line_id) == []


def test_bad_rows_download_has_the_rows_and_an_error_column(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Jane Doe,4155552671\n=cmd(),12345,x@\n")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    lines = bad_rows_csv(rejected.value.problems).splitlines()
    assert lines[0] == "Full Name,Phone,Email,Error"
    [row] = csv.reader([lines[1]])
    assert row[:3] == ["'=cmd()", "12345", "x@"] and row[3].startswith("Line 2: ")
    assert "has too few digits" in row[3] and "e-mail" in row[3]


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Jane Doe,4155552671\nBad Phone,12345\nJohn Roe,2125550199\n")
    report = run_import(engine, path, line_id, ImportOptions(skip_invalid=True))
    assert (report.created, report.skipped, report.problem_count) == (2, 1, 1)
    assert report.problems[0].line == 2
    assert [name for name, _phone, _email in contacts_of(engine, line_id)] == ["John Roe", "Jane Doe"]


def test_header_line_without_skip_first_line_is_rejected_with_a_hint(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Full Name,Phone,Email\nJane Doe,4155552671,\n")
    assert suggests_skip_first_line(path)
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    [problem] = rejected.value.problems
    assert problem.code == ProblemCode.HEADER and "Skip First Line" in problem.reason


def test_duplicate_phone_in_the_file_becomes_one_contact_and_the_later_row_wins(engine, line_id, tmp_path):
    path = write_csv(
        tmp_path,
        "Jane Doe,4155552671,old@example.com\nJohn Roe,2125550199\nJane Smith,(415) 555-2671,new@example.com\n",
    )
    report = run_import(engine, path, line_id)
    assert (report.created, report.merged, report.merged_lines) == (2, 1, [1])
    assert ("Jane Smith", "+14155552671", "new@example.com") in contacts_of(engine, line_id)


def test_existing_phone_updates_name_and_email_and_joins_the_selected_list(engine, line_id, tmp_path):
    with session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Old Name", "4155552671", "old@example.com"))
        vip = create_list(session, line_id, "VIP").id
    path = write_csv(tmp_path, "New Name,+1 415 555 2671,new@example.com\nJohn Roe,2125550199\n")
    report = run_import(engine, path, line_id, ImportOptions(list_id=vip))
    assert (report.created, report.updated, report.unchanged, report.added_to_list) == (1, 1, 0, 2)
    assert contacts_of(engine, line_id) == [
        ("John Roe", "+12125550199", None),
        ("New Name", "+14155552671", "new@example.com"),
    ]
    with session_scope(engine) as session:
        assert list_members(session, line_id, vip).total == 2
        assert search_contacts(session, line_id, ContactFilter(query="new name")).total == 1


def test_importing_the_same_file_twice_reports_unchanged_and_adds_no_duplicates(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Jane Doe,4155552671\nJohn Roe,2125550199\n")
    run_import(engine, path, line_id)
    again = run_import(engine, path, line_id)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert len(contacts_of(engine, line_id)) == 2


def test_import_never_changes_anyones_opt_out_status(engine, line_id, tmp_path):
    with session_scope(engine) as session:
        contact = create_contact(session, line_id, ContactInput("Jane Doe", "4155552671"))
        consent.opt_out(session, contact, consent.Source.KEYWORD)
    path = write_csv(tmp_path, "Jane Renamed,4155552671,jane@example.com\n")
    run_import(engine, path, line_id)
    with session_scope(engine) as session:
        contact = session.exec(select(Contact).where(Contact.line_id == line_id)).one()
        assert contact.full_name == "Jane Renamed" and contact.opted_out
        assert contact.opted_out_source == consent.Source.KEYWORD


def test_new_contact_whose_number_the_line_suppressed_comes_in_opted_out(engine, line_id, tmp_path):
    with session_scope(engine) as session:
        contact = create_contact(session, line_id, ContactInput("Jane Doe", "4155552671"))
        consent.opt_out(session, contact, consent.Source.KEYWORD, actor="STOP")
        session.delete(contact)
    path = write_csv(tmp_path, "Jane Again,4155552671\nJohn Roe,2125550199\n")
    report = run_import(engine, path, line_id)
    assert report.created == 2
    with session_scope(engine) as session:
        rows = {c.phone: c for c in session.exec(select(Contact).where(Contact.line_id == line_id))}
        assert rows["+14155552671"].opted_out and rows["+14155552671"].opted_out_by == "STOP"
        assert not rows["+12125550199"].opted_out


def test_same_phone_on_another_line_is_a_separate_contact(engine, line_id, tmp_path):
    second = other_line(engine)
    path = write_csv(tmp_path, "Jane Doe,4155552671\n")
    run_import(engine, path, line_id)
    report = run_import(engine, path, second)
    assert report.created == 1
    assert contacts_of(engine, line_id) == contacts_of(engine, second)


ZOE = "Zoë Müller,4155552671,zoe@example.com"
AWKWARD_FILES = {
    "utf8-crlf": f'{ZOE}\r\n"Smith, John",2125550199,\r\n'.encode(),
    "utf8-bom": f'\ufeff{ZOE}\n"Smith, John",2125550199\n'.encode(),
    "cp1252": f'{ZOE}\r\n"Smith, John",2125550199,\r\n'.encode("cp1252"),
    "sep-line": f"sep=;\r\n{ZOE.replace(',', ';')}\r\nSmith, John;2125550199;\r\n".encode(),
    "semicolon-cp1252": f"{ZOE.replace(',', ';')}\nSmith, John;2125550199\n".encode("cp1252"),
    "spaces-blank-lines": '\n  Zoë   Müller , 4155552671 , ZOE@example.com \n\n"Smith,\n John" ,2125550199'.encode(),
}


@pytest.mark.parametrize("content", list(AWKWARD_FILES.values()), ids=list(AWKWARD_FILES))
def test_awkward_files_import_the_same_contacts(engine, line_id, tmp_path, content):
    run_import(engine, write_csv(tmp_path, content), line_id)
    assert contacts_of(engine, line_id) == [
        ("Smith, John", "+12125550199", None),
        ("Zoë Müller", "+14155552671", "zoe@example.com"),
    ]


def test_undecodable_bytes_reject_the_file_with_their_line(engine, line_id, tmp_path):
    path = write_csv(tmp_path, "Zoë,4155552671\n".encode() + b"Bad\xfe,2125550199\n")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    [problem] = rejected.value.problems
    assert (problem.line, problem.code) == (2, ProblemCode.UNDECODABLE)


def test_file_over_the_size_limit_is_rejected_before_reading(engine, line_id, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 10)
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, write_csv(tmp_path, "Jane Doe,4155552671\n"), line_id)
    assert rejected.value.problems[0].code == ProblemCode.FILE_TOO_LARGE
    assert "limit" in str(rejected.value)


def test_unclosed_quote_rejects_the_file_even_when_skipping_invalid_rows(engine, line_id, tmp_path):
    lines = ['"Jane Doe,4155552671'] + [f"Person {i},21255501{i:02d}" for i in range(30)]
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id, ImportOptions(skip_invalid=True))
    assert rejected.value.problems[-1].code == ProblemCode.UNREADABLE
    assert contacts_of(engine, line_id) == []


def test_a_quote_never_closed_on_line_6_is_named_with_that_line_alone(engine, line_id, tmp_path):
    lines = [f"Person {i},21255501{i:02d}" for i in range(1, 6)]
    lines += ['"Frank Sinatra,212 555 0106', "Grace Kelly,212 555 0107", "Hedy Lamarr,212 555 0108"]
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path, line_id)
    assert rejected.value.problem_count == 1
    problem = rejected.value.problems[0]
    assert (problem.line, problem.value) == (6, '"Frank Sinatra,212 555 0106')
    assert str(problem).startswith('Line 6: A quote (") opened on line 6 is never closed')
    assert contacts_of(engine, line_id) == []


def test_a_quoted_address_over_several_lines_at_the_end_of_the_file_is_read(engine, line_id, tmp_path):
    path = write_csv(tmp_path, 'Ada Lovelace,212 555 0101\n"Lamarr,\nHedy",212 555 0108\n')
    report = run_import(engine, path, line_id)
    assert report.created == 2
    assert ("Lamarr, Hedy", "+12125550108", None) in contacts_of(engine, line_id)


def test_empty_file_is_rejected(engine, line_id, tmp_path):
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, write_csv(tmp_path, "\r\n\r\n"), line_id)
    assert rejected.value.problems[0].code == ProblemCode.NO_ROWS


def test_import_into_a_list_of_another_line_is_refused(engine, line_id, tmp_path):
    second = other_line(engine)
    with session_scope(engine) as session:
        foreign = create_list(session, second, "Theirs").id
    with pytest.raises(ListNotFound):
        run_import(engine, write_csv(tmp_path, "Jane,4155552671\n"), line_id, ImportOptions(list_id=foreign))
    assert contacts_of(engine, line_id) == []


def test_pasted_text_imports_like_a_file(engine, line_id):
    report = import_text(engine, "Full Name,Phone\nJane Doe,4155552671\n", line_id, ImportOptions(skip_first_line=True))
    assert report.created == 1


def test_an_email_two_rows_share_is_free_once_a_later_row_changes_one(engine, line_id, tmp_path, monkeypatch):
    monkeypatch.setattr(import_check, "CHECK_BATCH_ROWS", 1)
    path = write_csv(
        tmp_path,
        "Ann,2125550100,shared@example.com\nBob,2125550101,shared@example.com\nAnn,2125550100,ann@example.com\n",
    )
    report = run_import(engine, path, line_id)
    assert (report.created, report.merged, report.merged_lines) == (2, 1, [1])
    assert contacts_of(engine, line_id) == [
        ("Ann", "+12125550100", "ann@example.com"),
        ("Bob", "+12125550101", "shared@example.com"),
    ]


def test_a_failure_while_writing_leaves_nothing_behind(engine, line_id, tmp_path, monkeypatch):
    monkeypatch.setattr(import_writer, "WRITE_CHUNK_LINES", 2)
    calls = []
    original = import_writer._merge_chunk

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("server went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(import_writer, "_merge_chunk", crash_on_second_chunk)
    path = write_csv(tmp_path, "".join(f"Person {i},212555{i:04d}\n" for i in range(100, 106)))
    with pytest.raises(RuntimeError):
        run_import(engine, path, line_id)
    assert contacts_of(engine, line_id) == []


def test_progress_counts_rows_and_ends_at_the_total(engine, line_id, tmp_path, monkeypatch):
    monkeypatch.setattr(import_progress, "PROGRESS_INTERVAL_SECONDS", 0)
    monkeypatch.setattr(import_check, "CHECK_BATCH_ROWS", 10)
    monkeypatch.setattr(import_writer, "WRITE_CHUNK_LINES", 10)
    path = write_csv(tmp_path, "".join(f"Person {i},212555{i:04d}\n" for i in range(100, 150)))
    calls: list[tuple[int, int]] = []
    run_import(engine, path, line_id, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) > 5
    assert calls[-1] == (50, 50)
    dones = [done for done, _total in calls if _total == 50]
    assert dones == sorted(dones)


def test_big_file_is_checked_in_worker_processes_with_the_same_result(engine, line_id, tmp_path, monkeypatch):
    monkeypatch.setattr(import_check, "PARALLEL_MIN_LINES", 10)
    monkeypatch.setattr(import_check, "CHECK_BATCH_ROWS", 7)
    rows = [f"Person {i},212555{i:04d},p{i}@example.com\n" for i in range(100, 160)]
    rows[20] = "Broken,555\n"
    path = write_csv(tmp_path, "".join(rows))
    report = run_import(engine, path, line_id, ImportOptions(skip_invalid=True))
    assert (report.created, report.skipped, report.problems[0].line) == (59, 1, 21)


def test_concurrent_imports_of_overlapping_files_never_duplicate_a_phone(engine, line_id, tmp_path):
    first = write_csv(tmp_path, "".join(f"A {i},212555{i:04d}\n" for i in range(100, 400)), "a.csv")
    second = write_csv(tmp_path, "".join(f"B {i},212555{i:04d}\n" for i in range(250, 550)), "b.csv")
    errors: list[BaseException] = []

    def run(path):
        try:
            run_import(engine, path, line_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(path,)) for path in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    phones = [phone for _name, phone, _email in contacts_of(engine, line_id)]
    assert len(phones) == len(set(phones)) == 450


def test_progress_keeps_coming_while_one_long_statement_runs(engine, line_id, tmp_path, monkeypatch):
    original = import_writer._merge_chunk

    def slow_merge(*args, **kwargs):
        time.sleep(2.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(import_writer, "_merge_chunk", slow_merge)
    moments: list[float] = []
    started = time.monotonic()
    run_import(
        engine,
        write_csv(tmp_path, "Jane Doe,4155552671\n"),
        line_id,
        progress=lambda *_: moments.append(time.monotonic()),
    )
    gaps = [later - earlier for earlier, later in zip([started, *moments], moments, strict=False)]
    assert max(gaps) < 1.0
