"""Excel exports (openpyxl) that are safe to open: no cell is ever read as a formula.

A value a citizen typed (a name, a reason) could start with ``=``, ``+``, ``-`` or
``@`` and be run as a formula by Excel or WPS (CSV/formula injection, OWASP).
:func:`neutralise` prefixes such text with an apostrophe, which spreadsheets show
as plain text; every cell written by :func:`workbook_bytes` goes through it.

What is stored is written, whatever it holds: text is cleaned on the way in
(:func:`services.intake.clean_text`), but rows stored before that may still carry
control characters that an ``.xlsx`` file cannot hold (openpyxl refuses them and the
whole export failed). :func:`neutralise` drops them first, so the formula guard sees
the text as a spreadsheet will.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Tab and carriage return also start formulas in some spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Percent:
    """A share in percent (85.7 for 85.7 %): written as the number 0.857 formatted ``0.0%``, never as text."""

    value: float


def percent(value: float | None) -> Percent | None:
    """``value`` (in percent, or None when there is nothing to divide) as a cell; None leaves it empty."""
    return None if value is None else Percent(value)


def neutralise(value: Any) -> Any:
    """The value to write into a cell: characters a worksheet cannot hold dropped, and text that
    could be a formula given a leading ``'``."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    """Plain cell values: aware datetimes become naive wall time (Excel has no zones)."""
    if isinstance(value, Percent):
        return round(value.value / 100, 6)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from services.calendar import clock

        return clock.local(value).replace(tzinfo=None)
    if hasattr(value, "value") and not isinstance(value, str | int | float):
        return str(value.value)  # enums
    return neutralise(value)


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                   extra_sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]] | None = None) -> bytes:
    """An .xlsx file with one sheet ``title`` (header row bold), plus optional extra sheets."""
    workbook = Workbook()
    _fill(workbook.active, title, headers, rows)
    for name, (sheet_headers, sheet_rows) in (extra_sheets or {}).items():
        _fill(workbook.create_sheet(), name, sheet_headers, sheet_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write the header and the rows; widen columns to fit (roughly, CJK counts double)."""
    sheet.title = title[:31]  # Excel's limit
    sheet.append([neutralise(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [_width(h) for h in headers]
    for row in rows:
        values = [_cell_value(v) for v in row]
        sheet.append(values)
        for cell, original in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(original, Percent):
                cell.number_format = PERCENT_FORMAT
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=False)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"


def _width(value: Any) -> int:
    """Display width of a value: CJK characters take two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
