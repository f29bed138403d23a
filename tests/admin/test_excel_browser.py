"""Importing an Excel file with one bad row in a real headless Chromium: the row is named, there
is no confirm button, and nothing reaches the database (issue 4, item 12)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Household, Villager
from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import make_id_number, make_village
from tests.services.test_register_import import good_rows, workbook_bytes

pytestmark = needs_chromium
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_file_with_one_bad_row_is_named_and_writes_nothing(office_page):
    page, base = office_page
    village = make_village()
    browser_login(page, base, make_account(village, "cadre"))
    houses, people = good_rows()
    people[3]["身份证号"] = make_id_number(date(1958, 11, 23))[:-1] + "Y"

    page.goto(f"{base}/admin/excel")
    page.set_input_files(
        "#file", files=[{"name": "名册.xlsx", "mimeType": XLSX, "buffer": workbook_bytes(houses, people)}]
    )
    page.click("text=上传并检查")
    page.wait_for_selector("#import-errors")

    assert "人 表第 5 行（王福来）：身份证号前17位只能是数字，最后一位是数字或X。" in page.inner_text("#import-errors")
    assert "整份文件都没有导入" in page.inner_text(".alert-danger")
    assert page.locator("#confirm-import").count() == 0
    _db.session.remove()
    assert _db.session.scalar(select(func.count()).select_from(Household)) == 0
    assert _db.session.scalar(select(func.count()).select_from(Villager)) == 0
