"""Reading contact CSV files: encodings, separators, line numbers and the checks on each row."""

import random

import pytest
from email_validator import EmailNotValidError

from contacts_app import phones
from contacts_app.domain.contacts import normalize_email
from contacts_app.domain.csv_reader import (
    CleanRow,
    ProblemCode,
    check_row,
    looks_like_header,
    neutralize_cell,
    normalize_email_quickly,
    read_records,
    sniff_format,
    unguard_cell,
)


def records_of(tmp_path, data: bytes) -> list[tuple[int, list[str]]]:
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    return list(read_records(path, sniff_format(path)))


def test_crlf_and_lf_files_read_the_same(tmp_path):
    lf = records_of(tmp_path, b"Jane Doe,4155552671,jane@example.com\nJohn Roe,2125550199\n")
    crlf = records_of(tmp_path, b"Jane Doe,4155552671,jane@example.com\r\nJohn Roe,2125550199\r\n")
    assert lf == crlf == [(1, ["Jane Doe", "4155552671", "jane@example.com"]), (2, ["John Roe", "2125550199"])]


def test_quoted_fields_keep_commas_and_line_breaks_and_line_numbers_stay_right(tmp_path):
    data = b'"Smith, John",4155552671\r\n"Line\r\nBreak",2125550199\r\nLast,3055550147\r\n'
    assert records_of(tmp_path, data) == [
        (1, ["Smith, John", "4155552671"]),
        (2, ["Line\r\nBreak", "2125550199"]),
        (4, ["Last", "3055550147"]),
    ]


def test_blank_lines_and_rows_of_empty_cells_are_skipped(tmp_path):
    data = b"\r\nJane,4155552671\r\n\r\n,,\r\n   \r\nJohn,2125550199"
    assert records_of(tmp_path, data) == [(2, ["Jane", "4155552671"]), (6, ["John", "2125550199"])]


def test_utf8_with_bom_is_read_without_the_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffZoë,4155552671\n".encode())
    fmt = sniff_format(path)
    assert list(read_records(path, fmt)) == [(1, ["Zoë", "4155552671"])]
    assert not fmt.has_undecodable_bytes


def test_windows_1252_file_from_excel_is_read_as_windows_1252(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("José Müller,4155552671,jose@example.com\n“Quoted” Name,2125550199\n".encode("cp1252"))
    fmt = sniff_format(path)
    assert fmt.encoding == "cp1252"
    assert [cells[0] for _line, cells in read_records(path, fmt)] == ["José Müller", "“Quoted” Name"]


def test_utf8_file_with_a_stray_invalid_byte_is_flagged_not_misread(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("Zoë,4155552671\n".encode() + b"Bad\xff Name,2125550199\n")
    fmt = sniff_format(path)
    assert fmt.encoding == "utf-8-sig" and fmt.has_undecodable_bytes
    (_, first), (line, second) = list(read_records(path, fmt))
    assert first[0] == "Zoë"
    problems = check_row(line, second, "US")
    assert [(p.line, p.column, p.code) for p in problems] == [(2, "Full Name", ProblemCode.UNDECODABLE)]
    assert problems[0].value == "Bad\ufffd Name"


def test_semicolon_separated_file_from_european_excel(tmp_path):
    data = "Smith, John;+49 30 901820;john@example.de\nMüller;030 901820\n".encode()
    assert records_of(tmp_path, data) == [
        (1, ["Smith, John", "+49 30 901820", "john@example.de"]),
        (2, ["Müller", "030 901820"]),
    ]


def test_sep_first_line_sets_the_separator_and_is_not_a_row(tmp_path):
    data = b"sep=;\r\nFull Name;Phone;Email\r\nJane;4155552671;\r\n"
    assert records_of(tmp_path, data) == [(2, ["Full Name", "Phone", "Email"]), (3, ["Jane", "4155552671", ""])]


def test_comma_file_with_semicolons_in_names_stays_comma_separated(tmp_path):
    data = b"Jane; the boss,4155552671,jane@example.com\nJohn,2125550199,\n"
    assert records_of(tmp_path, data)[0] == (1, ["Jane; the boss", "4155552671", "jane@example.com"])


def test_surrounding_spaces_are_trimmed_from_every_cell():
    row = check_row(1, ["  Jane   Doe ", " (415) 555-2671 ", "  Jane@Example.com "], "US")
    assert row == CleanRow(1, "Jane Doe", "+14155552671", "jane@example.com")


def test_email_column_may_be_absent_or_empty():
    assert check_row(1, ["Jane", "4155552671"], "US") == CleanRow(1, "Jane", "+14155552671", None)
    assert check_row(1, ["Jane", "4155552671", "  "], "US") == CleanRow(1, "Jane", "+14155552671", None)


def test_trailing_empty_cells_from_excel_are_not_extra_columns():
    assert check_row(1, ["Jane", "4155552671", "", "", ""], "US") == CleanRow(1, "Jane", "+14155552671", None)


@pytest.mark.parametrize("cells", [["Jane Doe"], ["Jane", "4155552671", "jane@example.com", "extra"]])
def test_wrong_number_of_columns_is_a_problem(cells):
    [problem] = check_row(7, cells, "US")
    assert (problem.line, problem.code) == (7, ProblemCode.COLUMNS)
    assert "Expected 2 or 3 columns" in problem.reason


def test_missing_name_is_a_problem():
    [problem] = check_row(3, ["  ", "4155552671"], "US")
    assert (problem.column, problem.reason) == ("Full Name", "Full Name is missing.")


def test_excel_scientific_notation_phone_gets_its_own_explanation():
    [problem] = check_row(5, ["Jane", "1.55501E+10"], "US")
    assert problem.code == ProblemCode.PHONE_SCIENTIFIC
    assert problem.value == "1.55501E+10"
    assert "scientific notation" in problem.reason and "format the Phone column as Text" in problem.reason


def test_every_problem_of_a_row_is_reported_not_just_the_first():
    problems = check_row(2, ["", "12", "not-an-email"], "US")
    assert [p.column for p in problems] == ["Full Name", "Phone", "Email"]
    assert all(p.line == 2 and p.row == ("", "12", "not-an-email") for p in problems)


def test_malformed_email_is_a_problem_with_the_reason():
    [problem] = check_row(4, ["Jane", "4155552671", "jane@@example.com"], "US")
    assert problem.column == "Email" and problem.value == "jane@@example.com"
    assert "Enter an e-mail address like name@example.com." in problem.reason


def test_header_row_is_recognised():
    assert looks_like_header(["Full Name", "Phone", "Email"])
    assert looks_like_header(["Name", "Mobile"])
    assert not looks_like_header(["Jane Doe", "4155552671", "jane@example.com"])
    assert not looks_like_header(["Phone", "(415) 555-2671"])


@pytest.mark.parametrize(
    "value", ["=SUM(A1)", "+1 415", "-5", "@home", "\tTab", "\rCR", "'=already", "''=twice", "'plain", "plain", ""]
)
def test_formula_guard_round_trips_exactly(value):
    guarded = neutralize_cell(value)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unguard_cell(guarded) == value


def test_guarded_cells_import_as_the_original_value():
    row = check_row(1, ["'=Jane", "'+14155552671", "'-x@example.com"], "US")
    assert row == CleanRow(1, "=Jane", "+14155552671", "-x@example.com")


def _general_path_only(text: str, region: str) -> str:
    original = phones._normalize_nanp_shape
    phones._normalize_nanp_shape = lambda _text, _region: None
    try:
        return phones.normalize_phone(text, region)
    finally:
        phones._normalize_nanp_shape = original


def test_fast_phone_path_agrees_with_phonenumbers_on_many_shapes():
    rng = random.Random(3)
    shapes = ["({a}) {e}-{n}", "{a}-{e}-{n}", "+1 {a} {e} {n}", "{a}{e}{n}", "{a}.{e}.{n}", "1 {a} {e} {n}",
              "1{a}{e}{n}", "+1({a}){e}{n}", "({a}{e}-{n}", "{a} {e}{n}"]  # fmt: skip
    checked = 0
    for _ in range(4000):
        text = rng.choice(shapes).format(
            a=rng.randint(100, 999), e=f"{rng.randint(0, 999):03d}", n=f"{rng.randint(0, 9999):04d}"
        )
        for region in ("US", "CA", "GB"):
            fast = phones._normalize_nanp_shape(text, region)
            if fast is None:
                continue
            checked += 1
            assert fast == _general_path_only(text, region), (text, region)
    assert checked > 3000


def test_fast_email_path_agrees_with_email_validator():
    samples = ["jane@example.com", "Jane.Doe+tag@Mail.Example.CO.UK", "o'brien@example.ie", "a@b.co",
               "x@localhost.test", "x@foo.local", "a..b@example.com", ".a@example.com", "a@-example.com",
               "a@example-.com", "a@ex--ample.com", "a@example.c", "a@example.123", "a" * 65 + "@example.com",
               "a@" + "b" * 64 + ".com", "user_name-1@sub.domain.org", "=x@example.com",
               "josé@example.com"]  # fmt: skip

    def outcome(function, text):
        try:
            return function(text)
        except EmailNotValidError:
            return "invalid"

    for text in samples:
        assert outcome(normalize_email_quickly, text) == outcome(normalize_email, text), text
