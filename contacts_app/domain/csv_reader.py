"""Reading contact CSV files: encoding, separator, line numbers, and the checks on each row.

The format: columns by position Full Name, Phone, Email (Email may be absent or empty).
Nothing here touches the database; `importer.py` writes what this accepts.
"""

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError

from contacts_app.domain.contacts import MAX_NAME_LENGTH, email_problem, normalize_email
from contacts_app.phones import PhoneError, normalize_phone

MAX_IMPORT_BYTES = 100 * 1024 * 1024
COLUMNS = ("Full Name", "Phone", "Email")
# A record spanning more lines than this is an unclosed quote swallowing the file, not an address.
MAX_LINES_PER_RECORD = 20
_SNIFF_BYTES = 64 * 1024
_READ_CHUNK_BYTES = 1024 * 1024

# Bytes that could not be decoded are carried as lone surrogates (errors="surrogateescape").
_UNDECODED = re.compile("[\udc80-\udcff]")
_VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff\ufeff]")
# Windows-1252 leaves these five bytes undefined.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_SEP_LINE = re.compile(r"\s*sep=(.)\s*", re.IGNORECASE)
# Excel shows long numbers as 1.55501E+10 and saves them that way, dropping the last digits.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_HAS_DIGIT = re.compile(r"\d")
_HEADER_WORDS = {
    "name",
    "full name",
    "fullname",
    "first name",
    "contact",
    "phone",
    "mobile",
    "cell",
    "number",
    "phone number",
    "telephone",
    "tel",
    "email",
    "e-mail",
    "mail",
}
# A plain address that email_validator certainly accepts, normalised to lower case; anything else
# goes through email_validator itself. Saves ~20 µs a row on big imports.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+'-]+(?:\.[A-Za-z0-9_+'-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63})"
)
_SPECIAL_USE_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Written before such cells so a spreadsheet shows text; reading takes exactly one off again.
FORMULA_GUARD = "'"


def neutralize_cell(value: str) -> str:
    """The cell made safe to open in a spreadsheet, in a way `unguard_cell` undoes exactly.

    A cell whose guards are followed by a trigger ("'=x") gets one guard more, so that reading
    always removes exactly one and every value survives the round trip.
    """
    if value.lstrip(FORMULA_GUARD).startswith(FORMULA_TRIGGERS):
        return FORMULA_GUARD + value
    return value


def unguard_cell(value: str) -> str:
    if value.startswith(FORMULA_GUARD) and value.lstrip(FORMULA_GUARD).startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


class ProblemCode:
    FILE_TOO_LARGE = "file_too_large"
    UNREADABLE = "unreadable"
    NO_ROWS = "no_rows"
    HEADER = "header"
    COLUMNS = "columns"
    UNDECODABLE = "undecodable"
    NAME = "name"
    PHONE = "phone"
    PHONE_SCIENTIFIC = "phone_scientific"
    EMAIL = "email"
    # Another contact of the line (or an earlier row) has the address (found while writing).
    EMAIL_TAKEN = "email_taken"


@dataclass(frozen=True)
class Problem:
    """Why one row (or the whole file, when `line` is None) cannot be imported."""

    line: int | None
    column: str | None
    value: str
    reason: str
    row: tuple[str, ...] = ()
    # A problem that makes the rest of the file unreadable: "skip invalid rows" cannot get past it.
    fatal: bool = False
    # What kind of problem (ProblemCode), for a door that words it its own way.
    code: str = ""

    def __str__(self) -> str:
        where = f"Line {self.line}" if self.line is not None else "File"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str
    has_sep_line: bool
    has_undecodable_bytes: bool
    line_count: int
    # "csv", or another kind of file import_sources.py reads ("xlsx", "vcf").
    kind: str = "csv"

    @property
    def encoding_label(self) -> str:
        """The encoding as a person knows it, for the report ("" for a workbook)."""
        if not self.encoding:
            return ""
        return _ENCODING_LABELS.get(self.encoding, self.encoding.upper().replace("_", "-"))


_ENCODING_LABELS = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}
# Encodings charset-normalizer may name for Western European text: read as Windows-1252, which
# is what Excel on Windows writes and a superset of Latin-1's printable characters.
_WESTERN = {"cp1252", "latin_1", "iso8859_15", "cp1250", "mac_roman", "cp850", "iso8859_2"}
_DETECT_BYTES = 256 * 1024


@dataclass(frozen=True)
class CleanRow:
    line: int
    full_name: str
    phone: str
    email: str | None


def file_too_large_problem(size: int) -> Problem:
    return Problem(
        None,
        None,
        f"{size / 1024 / 1024:.1f} MB",
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_IMPORT_BYTES // 1024 // 1024} MB. "
        "Split it into smaller files and import them one after another.",
        fatal=True,
        code=ProblemCode.FILE_TOO_LARGE,
    )


def sniff_format(path: str | Path) -> CsvFormat:
    """Encoding and separator of the file.

    UTF-8 (with or without BOM) and UTF-16 (with BOM) are taken as they are. Reads the file once
    in chunks: UTF-8 unless some bytes are not UTF-8 and none of the non-ASCII text is; then
    charset-normalizer names the encoding (Windows-1252 for Western text). A file mixing both is
    read as UTF-8 and its bad bytes reported per line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    utf8_errors = False
    utf8_non_ascii = False
    cp1252_undefined = False
    line_count = 0
    last_byte = b"\n"
    head = b""
    sample = b""
    with open(path, "rb") as file:
        while chunk := file.read(_READ_CHUNK_BYTES):
            if not head:
                head = chunk[:_SNIFF_BYTES]
                if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    return _utf16_format(path, head)
            line_count += chunk.count(b"\n")
            last_byte = chunk[-1:]
            if chunk.isascii():
                decoder.decode(chunk)
                continue
            if len(sample) < _DETECT_BYTES:
                sample += chunk[:_DETECT_BYTES]
            text = decoder.decode(chunk)
            utf8_errors = utf8_errors or _UNDECODED.search(text) is not None
            utf8_non_ascii = utf8_non_ascii or _VALID_NON_ASCII.search(text) is not None
            cp1252_undefined = cp1252_undefined or _CP1252_UNDEFINED.search(chunk) is not None
        utf8_errors = utf8_errors or _UNDECODED.search(decoder.decode(b"", final=True)) is not None
    if last_byte not in (b"\n", b""):
        line_count += 1
    if utf8_errors and not utf8_non_ascii:
        encoding = _detected_encoding(sample, cp1252_undefined)
        undecodable = cp1252_undefined if encoding == "cp1252" else False
    else:
        encoding, undecodable = "utf-8-sig", utf8_errors
    delimiter, has_sep_line = _sniff_delimiter(head.decode(encoding, errors="replace"))
    return CsvFormat(encoding, delimiter, has_sep_line, undecodable, line_count)


def _detected_encoding(sample: bytes, cp1252_undefined: bool) -> str:
    """Windows-1252 whenever it is a plausible reading (charset-normalizer names a family of
    candidates for short samples, and Excel on Windows writes Windows-1252); else its best."""
    candidates = [match.encoding for match in charset_normalizer.from_bytes(sample)]
    others = [encoding for encoding in candidates if encoding not in _WESTERN and not encoding.startswith("utf")]
    if not others or (not cp1252_undefined and len(others) < len(candidates)):
        return "cp1252"
    return others[0]


def _utf16_format(path: str | Path, head: bytes) -> CsvFormat:
    with open(path, encoding="utf-16", errors="surrogateescape", newline="") as file:
        line_count = sum(1 for _line in file)
    delimiter, has_sep_line = _sniff_delimiter(head.decode("utf-16", errors="replace"))
    # Excel's "Unicode Text" is UTF-16 with tabs.
    if "\t" in head.decode("utf-16", errors="replace").splitlines()[0]:
        delimiter = "\t"
    return CsvFormat("utf-16", delimiter, has_sep_line, False, line_count)


def _sniff_delimiter(head: str) -> tuple[str, bool]:
    lines = head.lstrip("\ufeff").splitlines()
    if lines and (match := _SEP_LINE.fullmatch(lines[0])):
        return match.group(1), True
    sample = [line for line in lines[:50] if line.strip()][:-1] or [line for line in lines if line.strip()]

    def score(delimiter: str) -> tuple[int, float]:
        counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        # Rows it splits at all: a wide export ("List: News; Weekly" in its header) stays a comma file.
        fitting = sum(1 for count in counts if count >= 2)
        return fitting, sum(counts) / max(len(counts), 1)

    # Semicolons only when they explain the rows better: "Doe, Jane;415..." is a semicolon file.
    return (";" if score(";") > score(",") else ","), False


def read_records(path: str | Path, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank record with the line number it starts on (1-based, as an editor counts).

    Raises UnreadableCsv (with the line) when the file's quoting cannot be read, and
    UnclosedQuote when a quote opened on some line is never closed (the rest of the file would
    otherwise be swallowed into one cell).
    """
    with open(path, encoding=fmt.encoding, errors="surrogateescape", newline="") as file:
        reader = csv.reader(file, delimiter=fmt.delimiter)
        previous_end = 0
        first = True
        # A record spanning lines is held back until the next one shows the file went on: the
        # last record of a file may be a quote that was never closed.
        pending: tuple[int, int, list[str]] | None = None
        try:
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if first and fmt.has_sep_line:
                    first = False
                    continue
                first = False
                # A blank record (no cells, or only spaces): one join, not a generator per row.
                if not "".join(cells).strip():
                    continue
                if previous_end - start >= MAX_LINES_PER_RECORD:
                    raise UnclosedQuote(start, _raw_line(path, fmt, start))
                if pending is not None:
                    yield pending[0], pending[2]
                    pending = None
                if previous_end > start:
                    pending = (start, previous_end, cells)
                else:
                    yield start, cells
        except csv.Error as exc:
            raise UnreadableCsv(previous_end + 1, str(exc)) from exc
    if pending is not None:
        start, end, cells = pending
        if _quote_left_open(_raw_lines(path, fmt, start, end), fmt.delimiter):
            raise UnclosedQuote(start, _raw_line(path, fmt, start))
        yield start, cells


def _raw_lines(path: str | Path, fmt: CsvFormat, first: int, last: int) -> list[str]:
    """Lines `first`..`last` of the file as written (read again only to explain a problem)."""
    found = []
    with open(path, encoding=fmt.encoding, errors="surrogateescape", newline="") as file:
        for number, line in enumerate(file, start=1):
            if number > last:
                break
            if number >= first:
                found.append(line)
    return found


def _raw_line(path: str | Path, fmt: CsvFormat, line: int) -> str:
    lines = _raw_lines(path, fmt, line, line)
    return display(lines[0].rstrip("\r\n"))[:200] if lines else ""


def _quote_left_open(lines: list[str], delimiter: str) -> bool:
    try:
        for _row in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


@dataclass
class UnreadableCsv(Exception):
    line: int
    detail: str

    def problem(self) -> Problem:
        return Problem(
            self.line,
            None,
            "",
            f"The file cannot be read as CSV here ({self.detail}).",
            fatal=True,
            code=ProblemCode.UNREADABLE,
        )


class UnclosedQuote(UnreadableCsv):
    """A quote opened on `line` and never closed; `text` is that line as written."""

    def __init__(self, line: int, text: str = "") -> None:
        super().__init__(line, "unclosed quote")
        self.text = text

    def problem(self) -> Problem:
        return Problem(
            self.line,
            None,
            self.text,
            f'A quote (") opened on line {self.line} is never closed, so the lines after it run together. '
            "Close the quote or remove it.",
            (self.text,),
            fatal=True,
            code=ProblemCode.UNREADABLE,
        )


def looks_like_header(cells: list[str]) -> bool:
    """True for a first row such as `Full Name,Phone,Email`: its phone cell has no digit at all."""
    cleaned = [cell.strip().lower() for cell in cells]
    if len(cleaned) < 2 or not cleaned[1]:
        return False
    if _HAS_DIGIT.search(cleaned[1]):
        return False
    return cleaned[1] in _HEADER_WORDS or cleaned[0] in _HEADER_WORDS or not _HAS_DIGIT.search("".join(cleaned))


def check_row(line: int, cells: Sequence[str], region: str) -> CleanRow | list[Problem]:
    """The row cleaned for writing, or every problem it has."""
    # Excel pads ragged ranges with empty cells: trailing empties are not extra columns.
    while len(cells) > len(COLUMNS) and not cells[-1].strip():
        cells = cells[:-1]
    row = tuple(cells)
    if len(cells) not in (2, 3):
        value = display(",".join(cells))[:200]
        found = "1 column" if len(cells) == 1 else f"{len(cells)} columns"
        reason = f"Expected 2 or 3 columns (Full Name, Phone, Email) but found {found}."
        if len(cells) == 1 and (";" in cells[0] or "\t" in cells[0]):
            reason += " Separate the columns with commas."
        return [Problem(line, None, value, reason, row, code=ProblemCode.COLUMNS)]
    problems: list[Problem] = []
    cells = [unguard_cell(cell.strip()) for cell in cells]
    name = _check_name(line, cells[0], row, problems)
    phone = _check_phone(line, cells[1], region, row, problems)
    email = _check_email(line, cells[2] if len(cells) == 3 else "", row, problems)
    if problems:
        return problems
    return CleanRow(line, name, phone, email)


def display(value: str) -> str:
    """The cell as the user should see it: undecodable bytes shown as �."""
    return _UNDECODED.sub("\ufffd", value)


def _undecodable(line: int, column: str, raw: str, row: tuple[str, ...], problems: list[Problem]) -> bool:
    if _UNDECODED.search(raw) is None:
        return False
    problems.append(
        Problem(
            line,
            column,
            display(raw.strip()),
            "Contains bytes that are not text in UTF-8 or Windows-1252 (shown as �). Save the file as "
            "“CSV UTF-8” and import it again.",
            row,
            code=ProblemCode.UNDECODABLE,
        )
    )
    return True


def _check_name(line: int, raw: str, row: tuple[str, ...], problems: list[Problem]) -> str:
    if _undecodable(line, "Full Name", raw, row, problems):
        return ""
    name = " ".join(raw.split())
    if not name:
        problems.append(Problem(line, "Full Name", "", "Full Name is missing.", row, code=ProblemCode.NAME))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(
            Problem(
                line,
                "Full Name",
                name[:60] + "…",
                f"Full Name is too long ({len(name)} characters; the limit is {MAX_NAME_LENGTH}).",
                row,
                code=ProblemCode.NAME,
            )
        )
    return name


def _check_phone(line: int, raw: str, region: str, row: tuple[str, ...], problems: list[Problem]) -> str:
    if _undecodable(line, "Phone", raw, row, problems):
        return ""
    text = raw.strip()
    if not text:
        problems.append(Problem(line, "Phone", "", "Phone is missing.", row, code=ProblemCode.PHONE))
        return ""
    if _SCIENTIFIC.fullmatch(text):
        problems.append(
            Problem(
                line,
                "Phone",
                text,
                f"“{text}” is a number in Excel's scientific notation: Excel rounded it and its last digits "
                "are lost. In Excel, format the Phone column as Text, type the numbers again (or export from "
                "the original source), and save.",
                row,
                code=ProblemCode.PHONE_SCIENTIFIC,
            )
        )
        return ""
    try:
        return normalize_phone(text, region)
    except PhoneError as exc:
        problems.append(Problem(line, "Phone", text, str(exc), row, code=ProblemCode.PHONE))
        return ""


def _check_email(line: int, raw: str, row: tuple[str, ...], problems: list[Problem]) -> str | None:
    if _undecodable(line, "Email", raw, row, problems):
        return None
    text = raw.strip()
    if not text:
        return None
    try:
        return normalize_email_quickly(text)
    except EmailNotValidError:
        problems.append(Problem(line, "Email", text, email_problem(text), row, code=ProblemCode.EMAIL))
        return None


def normalize_email_quickly(text: str) -> str | None:
    """`contacts.normalize_email`, answering plain addresses without email_validator."""
    match = _PLAIN_EMAIL.fullmatch(text)
    if (
        match is not None
        and len(text) <= 254
        and text.index("@") <= 64
        and "--" not in text[text.index("@") :]
        and not text.lower().endswith(_SPECIAL_USE_SUFFIXES)
    ):
        return text.lower()
    return normalize_email(text)
