"""村务设置 (A4): validated per-village settings; a new slogan shows on household pages at once;
every change audited with before and after (phones masked)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, VillageSettings
from app.services import village_settings
from tests.admin_helpers import login, make_account, post
from tests.helpers import code_of, make_household, make_village

GOOD = {
    "slogan": "勤劳致富奔小康 文明新风进万家",
    "default_motto": "孝老爱亲 勤俭持家",
    "contacts": "村委会：0737-7220000\r\n\r\n驻村工作队：0737-7221111",
    "feedback_overdue_days": "10",
    "duty_phone": "138 0737 1234",
    "statement_day": "5",
    "store_hours": "每天 8:00–18:00",
}


@pytest.fixture
def village(db):
    return make_village("小塘村")


@pytest.fixture
def admin_client(auth, village):
    auth.login(village, "village_admin")
    return auth.client


def _settings(village) -> VillageSettings:
    db.session.expire_all()
    return db.session.get(VillageSettings, village.id)


def test_saving_settings_stores_them_and_audits_before_and_after(admin_client, village):
    old_slogan = _settings(village).slogan

    response = post(admin_client, "/admin/settings", GOOD, form_url="/admin/settings")

    assert response.status_code == 302
    row = _settings(village)
    assert row.slogan == GOOD["slogan"] and row.default_motto == "孝老爱亲 勤俭持家"
    assert row.contacts == "村委会：0737-7220000\n驻村工作队：0737-7221111"
    assert row.extra == {"feedback_overdue_days": 10, "duty_phone": "13807371234", "statement_day": 5,
                         "store_hours": "每天 8:00–18:00", "points_confirm_above": 100}  # fmt: skip
    assert village_settings.setting(village.id, "feedback_overdue_days") == 10
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.update"))
    assert entry.village_id == village.id
    assert entry.detail["before"]["slogan"] == old_slogan and entry.detail["after"]["slogan"] == GOOD["slogan"]
    assert entry.detail["after"]["duty_phone"] == "138****1234"  # never the raw number in the log
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "已保存" in page and GOOD["slogan"] in page


def test_a_new_slogan_shows_on_the_household_page_at_once(admin_client, client, village):
    household = make_household(village, "0101")
    before = client.get(f"/h/{code_of(household)}").get_data(as_text=True)  # now cached
    assert GOOD["slogan"] not in before

    post(admin_client, "/admin/settings", GOOD, form_url="/admin/settings")

    assert GOOD["slogan"] in client.get(f"/h/{code_of(household)}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slogan", "一二三四五六七八九十一二三四五六七八九十一二三四五", "标语太长了，最多24个字"),
        ("slogan", "  ", "请填写标语"),
        ("slogan", "美丽乡村🌾", "标语里有印不出来的字：🌾"),
        ("default_motto", "家" * 61, "默认家风家训太长了"),
        ("feedback_overdue_days", "0", "意见超期天数要填 1 到 60 之间的整数"),
        ("feedback_overdue_days", "61", "意见超期天数要填 1 到 60 之间的整数"),
        ("feedback_overdue_days", "七", "意见超期天数要填 1 到 60 之间的整数"),
        ("statement_day", "29", "积分对账单日期要填 1 到 28 之间的整数"),
        ("duty_phone", "12345", "值班干部电话：电话号码不对"),
        ("contacts", "\n".join(f"第{i}行" for i in range(13)), "联系方式最多写 12 行"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_changes_nothing(admin_client, village, field, value, message):
    before = (_settings(village).slogan, dict(_settings(village).extra or {}))

    response = post(admin_client, "/admin/settings", {**GOOD, field: value}, form_url="/admin/settings")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert value.strip()[:10] in page  # what was typed stays in the form
    assert (_settings(village).slogan, dict(_settings(village).extra or {})) == before
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.update")) is None


def test_saving_the_same_values_again_changes_nothing(admin_client, village):
    post(admin_client, "/admin/settings", GOOD, form_url="/admin/settings")
    again = post(admin_client, "/admin/settings", GOOD, form_url="/admin/settings", follow_redirects=True)

    assert "没有修改任何设置" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.update")).all()) == 1


def test_a_town_admin_picks_one_of_their_villages(client, village):
    other_town = make_village("外村", "外镇")
    login(client, make_account(village.parent, "town_admin", totp=True))

    picker = client.get("/admin/settings").get_data(as_text=True)
    assert "小塘村" in picker and "外村" not in picker
    assert client.get(f"/admin/settings?village={village.id}").status_code == 200
    assert client.get(f"/admin/settings?village={other_town.id}").status_code == 404
    response = post(client, f"/admin/settings?village={other_town.id}", GOOD, form_url="/admin/settings")
    assert response.status_code == 404
    assert _settings(other_town).slogan != GOOD["slogan"]
    response = post(client, f"/admin/settings?village={village.id}", GOOD, form_url="/admin/settings")
    assert response.status_code == 302 and _settings(village).slogan == GOOD["slogan"]


def test_cadres_cannot_change_settings(client, village):
    login(client, make_account(village, "cadre"))
    assert client.get("/admin/settings").status_code == 403
    assert post(client, "/admin/settings", GOOD).status_code == 403
