"""The payroll as files a finance office opens in Excel: CSV in UTF-8 with a
BOM (without one, Excel on Chinese Windows reads a CSV as GBK and garbles the
names), or an .xlsx workbook whose figures are numbers Excel can sum."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from domain.month import Month
from projections.cycle import PayLine, payroll
from projections.scoreboard import ScoreboardView

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "xlsx": XLSX}
COLUMNS = ("agent_id", "name", "team", "total", "grade", "commission", "fines",
           "rewards", "net", "currency")  # fmt: skip
BOM = "\ufeff"
ZERO = Decimal(0)
_MONEY = "#,##0.00"
_WIDTHS = {"A": 14, "B": 16, "C": 12, "D": 9, "E": 7, "F": 13, "G": 11, "H": 11,
           "I": 13, "J": 9}  # fmt: skip
Row = tuple[str | Decimal | None, ...]


def payroll_file(view: ScoreboardView, month: Month, form: str) -> bytes:
    """The payroll of a published month as a ``csv`` or ``xlsx`` file, a row
    per agent and a TOTAL row; refused like ``payroll``."""
    lines = payroll(view, month)
    return _xlsx(str(month), lines) if form == "xlsx" else _csv(lines)


def _rows(lines: Sequence[PayLine]) -> Iterator[Row]:
    """Every agent's row, then the TOTAL row: figures as Decimals."""
    for line in lines:
        yield (line.agent_id, line.name, line.team, line.total, line.grade,
               line.commission, line.fines, line.rewards, line.net,
               line.currency)  # fmt: skip
    sums = [sum((getattr(x, f) for x in lines), ZERO)
            for f in ("commission", "fines", "rewards", "net")]  # fmt: skip
    yield ("TOTAL", None, None, None, None, *sums, None)


def _csv(lines: Sequence[PayLine]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in _rows(lines):
        writer.writerow(
            f"{cell:.2f}" if isinstance(cell, Decimal) else cell or "" for cell in row
        )
    return out.getvalue().encode("utf-8")


def _xlsx(title: str, lines: Sequence[PayLine]) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = title
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(lines):
        sheet.append(row)
    for column in "DFGHI":  # total, commission, fines, rewards, net
        for cell in sheet[column][1:]:
            cell.number_format = "0.00" if column == "D" else _MONEY
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
