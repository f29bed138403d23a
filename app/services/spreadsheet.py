"""Cells of every spreadsheet the app writes (xlsx and CSV): typed text stays text.

Text a villager or cadre typed (a motto, an address, a visit's notes) may begin with "=", "+",
"-", "@", a tab or a carriage return; Excel and LibreOffice read such a cell as a formula
(``=HYPERLINK(…)`` becomes a live link, ``=cmd|…`` used to run programs). Every export passes
its rows through here:

- xlsx: the cell is stored as a string cell, so the text is kept exactly and never evaluated.
- CSV has no cell types, so the text gets a leading apostrophe (what Excel itself shows for text
  that looks like a formula), as OWASP's "CSV injection" advice says.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def xlsx_row(sheet, values: Iterable) -> list:
    """A row for ``sheet.append`` (a write-only sheet) in which no typed text becomes a formula."""
    row = []
    for value in values:
        if _risky(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        row.append(value)
    return row


def csv_row(values: Iterable) -> list:
    """A row for ``csv.writer.writerow`` in which no typed text becomes a formula."""
    return ["'" + value if _risky(value) else value for value in values]
