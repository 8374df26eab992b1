"""CSV and XLSX downloads, written one way everywhere.

- Text cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, or a tab
  or carriage return before one) are neutralised: in CSV with a leading `'` (OWASP's advice for
  "CSV injection"); in XLSX the cell is stored as text (never as a formula) with Excel's quote
  prefix, so it shows as typed and stays text when edited.
- Money is a number with two decimals: in XLSX a numeric cell formatted `#,##0.00`; in CSV the
  text `1,234.50`.
- XLSX: the header row is frozen and the columns are as wide as their content, a Chinese character
  counting as two.
- CSV is UTF-8 with a byte-order mark, so spreadsheet programs read Chinese names correctly.
"""

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse

TEXT, MONEY, NUMBER, DATE = "text", "money", "number", "date"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CENT = Decimal("0.01")
# Widths are measured over the first rows only: enough for a fair width, cheap on a long sheet.
_WIDTH_SAMPLE = 2000
_MIN_WIDTH, _MAX_WIDTH = 6, 60


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


def neutralise(text: str) -> str:
    """A text cell as a spreadsheet shows it, never run as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: wide (CJK) characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(CENT)


def _csv_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        return f"{_money(value):,.2f}"
    if kind == DATE and isinstance(value, dt.date):
        return value.isoformat()
    if kind == NUMBER:
        return str(value)
    return neutralise(str(value))


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(c.title)) for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(row, columns, strict=False)])
    return buffer.getvalue().encode("utf-8")


def _shown(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        return f"{_money(value):,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_xlsx(
    columns: Sequence[Column], rows: Sequence[Sequence], *, sheet_title: str = ""
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(sheet_title))
    widths = [display_width(str(c.title)) for c in columns]
    for row in rows[:_WIDTH_SAMPLE]:
        for i, (value, column) in enumerate(zip(row, columns, strict=False)):
            widths[i] = max(widths[i], display_width(_shown(value, column.kind)))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = _text_cell(sheet, str(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, c.kind) for v, c in zip(row, columns, strict=False)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip()
    return cleaned[:31] or "Sheet1"


def _text_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl would store "=…" as a formula: keep it text, as Excel keeps a quote-prefixed entry.
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _xlsx_cell(sheet, value, kind: str):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if kind == MONEY:
        cell = WriteOnlyCell(sheet, value=_money(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if kind == NUMBER and isinstance(value, int | Decimal):
        return WriteOnlyCell(sheet, value=value)
    if kind == DATE and isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return _text_cell(sheet, str(value))


def export_response(
    fmt: str,
    *,
    filename: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence],
    sheet_title: str = "",
) -> HttpResponse:
    """A download of `rows` as `filename`.csv or .xlsx (`fmt` is "csv" or "xlsx")."""
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(columns, rows, sheet_title=sheet_title), content_type=XLSX_TYPE
        )
    else:
        response = HttpResponse(write_csv(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
