"""The back office's Excel page (R7): template download, masked export, import with a dry run."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditLog, Household, Villager
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import make_household, make_village
from tests.services.test_register_import import good_rows, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def village(db):
    return make_village()


@pytest.fixture
def cadre(auth, village):
    auth.login(village)
    return auth.client


def _upload(client, raw: bytes, name: str = "名册.xlsx", **form):
    data = {"csrf_token": csrf_token(client, "/admin/excel"), "file": (io.BytesIO(raw), name), **form}
    return client.post("/admin/excel/import", data=data, content_type="multipart/form-data")


def _confirm(client, preview_html: str):
    token = TOKEN.search(preview_html).group(1)
    return client.post(
        "/admin/excel/import/confirm",
        data={"csrf_token": csrf_token(client, "/admin/excel"), "token": token},
        follow_redirects=True,
    )


def _households() -> int:
    return _db.session.scalar(select(func.count()).select_from(Household))


def test_the_page_offers_template_export_and_import(cadre):
    html = cadre.get("/admin/excel").get_data(as_text=True)
    assert "下载导入模板" in html and "导出 Excel" in html and "上传并检查" in html
    assert "身份证号和手机号都打了码" in html and "不会修改已有的户" in html
    template = cadre.get("/admin/excel/template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    assert load_workbook(io.BytesIO(template.data)).sheetnames == ["户", "人", "说明"]


def test_upload_preview_confirm_creates_the_households(cadre, village):
    uploaded = _upload(cadre, workbook_bytes(*good_rows()))
    assert uploaded.status_code == 302 and "/admin/excel/import/preview?token=" in uploaded.headers["Location"]
    preview = cadre.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="count-households">2<', preview) and re.search(r'id="count-people">5<', preview)
    assert "确认导入" in preview and "李守田" in preview
    assert _households() == 0

    done = _confirm(cadre, preview).get_data(as_text=True)
    assert "导入完成：大苍村新建了 2 户、5 人。" in done
    assert _households() == 2 and _db.session.scalar(select(func.count()).select_from(Villager)) == 5
    audit = _db.session.scalar(select(AuditLog).where(AuditLog.action == "register.import"))
    assert audit.village_id == village.id and audit.detail == {"households": 2, "people": 5}

    again = _confirm(cadre, preview).get_data(as_text=True)
    assert "这份文件已经导入过了（2 户、5 人），这次没有重复导入。" in again
    assert 'id="confirm-import"' not in again
    assert _households() == 2


def test_a_bad_row_is_named_and_nothing_is_written(cadre):
    houses, people = good_rows()
    people[1]["身份证号"] = "43092319690701002"  # 17 digits
    response = _upload(cadre, workbook_bytes(houses, people))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "人 表第 3 行（张桂兰）：身份证号应为18位，现在是17位" in html
    assert "整份文件都没有导入" in html and 'id="confirm-import"' not in html
    assert _households() == 0


def test_a_picture_renamed_xlsx_is_refused_in_chinese(cadre):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    response = _upload(cadre, png, "照片.xlsx")
    assert response.status_code == 400
    assert "这个文件不是 Excel 表格（.xlsx）" in response.get_data(as_text=True)
    assert _households() == 0


def test_another_account_cannot_open_or_confirm_my_upload(client, cadre, village):
    preview_url = _upload(cadre, workbook_bytes(*good_rows())).headers["Location"]
    token = preview_url.split("token=")[1]
    cadre.post("/admin/logout", data={"csrf_token": csrf_token(cadre, "/admin/")})
    login(client, make_account(village, "village_admin"))
    assert client.get(preview_url).status_code == 404
    confirm = client.post(
        "/admin/excel/import/confirm", data={"csrf_token": csrf_token(client, "/admin/excel"), "token": token}
    )
    assert confirm.status_code == 404
    assert _households() == 0


def test_work_team_exports_but_cannot_import(client, village):
    login(client, make_account(village, "work_team"))
    html = client.get("/admin/excel").get_data(as_text=True)
    assert "导出 Excel" in html and "上传并检查" not in html and "下载导入模板" not in html
    assert client.get("/admin/excel/export.xlsx").status_code == 200
    assert client.get("/admin/excel/template.xlsx").status_code == 403
    refused = _upload(client, workbook_bytes(*good_rows()))
    assert refused.status_code == 403 and _households() == 0


def test_co_op_clerk_sees_no_excel_at_all(client, village):
    login(client, make_account(village, "coop_clerk"))
    assert client.get("/admin/excel").status_code == 403
    assert client.get("/admin/excel/export.xlsx").status_code == 403


def _sheet_text(data: bytes, name: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data), read_only=True)[name].iter_rows(values_only=True))


def test_export_is_masked_scoped_and_audited(cadre, village):
    household = make_household(village, "0101001", members=3)
    household.head.phone = "13807379876"
    _db.session.commit()
    full_id = household.head.id_number
    other = make_village("小坪村")
    make_household(other, "0909009")
    response = cadre.get("/admin/excel/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    houses, people = _sheet_text(response.data, "户"), _sheet_text(response.data, "人")
    assert [row[1] for row in houses[1:]] == ["0101001"]
    assert len(people) == 1 + 3 and all(row[0] == "大苍村" for row in people[1:])
    head = next(row for row in people if row[2] == "刘建华")
    assert head[6] == full_id[:6] + "*" * 11 + full_id[-1] and head[7] == "138****9876"
    assert people[0][5] == "出生年月" and head[5] == household.head.birth_date.isoformat()[:7]
    everything = " ".join(str(c) for row in houses + people for c in row)
    assert full_id not in everything and "13807379876" not in everything and "0909009" not in everything
    audit = _db.session.scalar(select(AuditLog).where(AuditLog.action == "register.export"))
    assert audit.village_id == village.id and audit.detail == {"households": 1, "people": 3}
    assert cadre.get(f"/admin/excel/export.xlsx?village={other.id}").status_code == 404


def test_town_staff_choose_a_village_in_their_scope(client, village):
    second = make_village("小坪村")
    make_household(second, "0909009")
    elsewhere = make_village("外乡村", town="别的镇")
    login(client, make_account(village.parent, "town_admin", totp=True))
    html = client.get("/admin/excel").get_data(as_text=True)
    assert "小坪村" in html and "外乡村" not in html
    unchosen = client.get("/admin/excel/export.xlsx", follow_redirects=True)
    assert "请先选择要导出哪个村。" in unchosen.get_data(as_text=True)
    exported = client.get(f"/admin/excel/export.xlsx?village={second.id}")
    assert [row[1] for row in _sheet_text(exported.data, "户")[1:]] == ["0909009"]
    assert client.get(f"/admin/excel/export.xlsx?village={elsewhere.id}").status_code == 404

    missing = _upload(client, workbook_bytes(*good_rows()))
    assert missing.status_code == 400 and "请先选择导入到哪个村。" in missing.get_data(as_text=True)
    assert _upload(client, workbook_bytes(*good_rows()), village=str(elsewhere.id)).status_code == 404
    chosen = _upload(client, workbook_bytes(*good_rows()), village=str(second.id))
    preview = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "导入到：<strong>小坪村</strong>" in preview
    _confirm(client, preview)
    numbers = set(_db.session.scalars(select(Household.number).where(Household.village_id == second.id)))
    assert numbers == {"0909009", "0301001", "0301002"}


def test_an_existing_household_number_is_reported_not_updated(cadre, village):
    existing = make_household(village, "0301002", members=1)
    response = _upload(cadre, workbook_bytes(*good_rows()))
    assert response.status_code == 400
    assert "户 表第 3 行：户号“0301002”在大苍村已经有了。导入只新建户，不修改已有的户。" in response.get_data(
        as_text=True
    )
    _db.session.refresh(existing)
    assert existing.head.name == "刘建华" and len(existing.members) == 1 and _households() == 1
