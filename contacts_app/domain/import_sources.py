"""The kinds of file an import reads, each turned into numbered rows of text cells.

CSV (any common encoding, found by csv_reader.sniff_format), Excel workbooks (.xlsx, the first
sheet, read with python-calamine) and vCards (.vcf from a phone's address book, read with
vobject). Everything after this (mapping, checks, writing) sees only `(line, cells)`.
"""

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import vobject
from python_calamine import CalamineWorkbook

from contacts_app.domain.csv_reader import CsvFormat, UnreadableCsv, read_records, sniff_format

XLSX = "xlsx"
VCARD = "vcf"
_BEGIN_VCARD = re.compile(r"^\s*BEGIN:VCARD\s*$", re.IGNORECASE)
# vCard TEL types that mean a number that can take texts.
_MOBILE_TYPES = {"CELL", "MOBILE", "IPHONE", "TEXT"}


def file_format(path: str | Path) -> CsvFormat:
    """How to read the file: by its name for workbooks and vCards, by its bytes for CSV."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for damaged files
            raise UnreadableCsv(1, f"not an Excel workbook: {exc}") from None
        return CsvFormat("", ",", False, False, sheet.total_height, kind=XLSX)
    fmt = sniff_format(path)
    if suffix == ".vcf":
        return replace(fmt, kind=VCARD)
    return fmt


def read_rows(path: str | Path, fmt: CsvFormat, notes: list[str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank row with its line (CSV, vCard) or row number (workbook), 1-based.

    `notes` receives what the reading decided on the user's behalf (which of several numbers).
    """
    if fmt.kind == XLSX:
        return _workbook_rows(path)
    if fmt.kind == VCARD:
        return _vcard_rows(path, fmt, notes if notes is not None else [])
    return read_records(path, fmt)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        # A phone typed into a number cell comes back as 4155552671.0.
        return str(int(value))
    if value is None:
        return ""
    return str(value)


def _workbook_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells = [_cell_text(value) for value in row]
        while cells and not cells[-1].strip():
            cells.pop()
        if any(cell.strip() for cell in cells):
            yield number, cells


def _vcard_rows(path: str | Path, fmt: CsvFormat, notes: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Each card as [Full Name, Phone, Email]; of several numbers the mobile one is taken."""
    text = Path(path).read_bytes().decode(fmt.encoding, errors="replace")
    starts = [number for number, line in enumerate(text.splitlines(), start=1) if _BEGIN_VCARD.match(line)]
    several = 0
    try:
        for index, card in enumerate(vobject.readComponents(text, ignoreUnreadable=True)):
            line = starts[index] if index < len(starts) else index + 1
            phones = card.contents.get("tel", [])
            if len(phones) > 1:
                several += 1
            yield line, [_card_name(card), _card_phone(phones), _first_value(card, "email")]
    except Exception as exc:  # noqa: BLE001 - vobject raises ParseError and plain errors alike
        raise UnreadableCsv(starts[-1] if starts else 1, f"not a vCard file: {exc}") from None
    if several:
        cards = "1 card has" if several == 1 else f"{several:,} cards have"
        notes.append(f"{cards} several phone numbers: the mobile one was imported (else the first).")


def _card_name(card) -> str:
    if "fn" in card.contents and str(card.fn.value).strip():
        return str(card.fn.value)
    if "n" in card.contents:
        name = card.n.value
        return " ".join(part for part in (name.prefix, name.given, name.additional, name.family) if part)
    return ""


def _card_phone(phones: list) -> str:
    if not phones:
        return ""
    chosen = next(
        (phone for phone in phones if {str(kind).upper() for kind in phone.params.get("TYPE", [])} & _MOBILE_TYPES),
        phones[0],
    )
    # vCard 4 writes numbers as URIs: tel:+1-415-555-2671.
    return str(chosen.value).removeprefix("tel:")


def _first_value(card, name: str) -> str:
    values = card.contents.get(name, [])
    return str(values[0].value) if values else ""
