"""Issue 10 item 8: the back office's points actions act on the right thing. Back and submit
again asks before a second award; a member found by name is the one awarded; a large amount asks
to confirm (村务设置 sets how large); the household's 积分台账 shows that household only; the
reversal form says its reason is public."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PointsEntry, PointsRule
from app.services import village_settings
from tests.admin.test_points_award import form_key, post_award
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village, registered_since

_ROW = re.compile(r'href="/admin/points/(\d+)"')


@pytest.fixture
def village(db):
    v = make_village("大苍村")
    household = make_household(v, "0101001", members=3)
    other = make_household(v, "0102001", group=2)
    rule = PointsRule(village_id=v.id, category="志愿服务", item="参加防汛值守", points=6)
    db.session.add(rule)
    db.session.commit()
    return {"village": v, "household": household, "other": other, "rule": rule}


@pytest.fixture
def cadre(client, village):
    account = make_account(village["village"], "cadre")
    login(client, account)
    return account


def entries(household) -> list[PointsEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(PointsEntry).where(PointsEntry.household_id == household.id)))


def test_back_and_submit_again_asks_before_a_second_award(client, village, cadre):
    household, rule = village["household"], village["rule"]
    assert post_award(client, household, rule_id=str(rule.id)).status_code == 302
    # Back reloads the form: a fresh key. The same award is not stored a second time…
    again = post_award(client, household, rule_id=str(rule.id))
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert "这次可能是重复提交" in html and "参加防汛值守" in html
    assert 'name="confirmed"' in html and "我已核对，确认记入" in html
    assert len(entries(household)) == 1
    # …until the cadre ticks the box: then it is a deliberate second award.
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    assert post_award(client, household, key=key, rule_id=str(rule.id), confirmed="y").status_code == 302
    assert len(entries(household)) == 2


def test_the_same_form_sent_twice_still_says_it_was_recorded_once(client, village, cadre):
    household = village["household"]
    key = form_key(client, household)
    fields = {"points": "3", "category": "好人好事", "reason": "帮邻居收稻谷"}
    assert post_award(client, household, key=key, **fields).status_code == 302
    replay = post_award(client, household, key=key, **fields)
    assert replay.status_code == 302
    page = client.get(replay.headers["Location"]).get_data(as_text=True)
    assert "这一笔之前已经记入" in page and len(entries(household)) == 1


def test_searching_a_members_name_awards_that_member(client, village, cadre):
    household = village["household"]
    son = household.members[1]
    son.name = "刘志强"  # the only 刘志强 in the village (every test household has a 刘小一)
    db.session.commit()
    response = client.get("/admin/points/award?q=刘志强")
    assert response.status_code == 302
    target = urlparse(response.headers["Location"])
    assert target.path == f"/admin/points/award/{household.id}"
    assert parse_qs(target.query)["villager_id"] == [str(son.id)]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<option value="{son.id}" selected>', form)
    # The form as the browser sends it back, with the member it preselected.
    assert post_award(client, household, villager_id=str(son.id), rule_id=str(village["rule"].id)).status_code == 302
    (entry,) = entries(household)
    assert entry.villager_id == son.id


def test_a_household_number_search_awards_the_whole_household(client, village, cadre):
    response = client.get("/admin/points/award?q=0101001")
    assert "villager_id" not in response.headers["Location"]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert not re.search(r'<option value="\d+" selected>', form.split('id="villager_id"')[1].split("</select>")[0])


def test_an_award_above_the_villages_threshold_asks_to_confirm(client, village, cadre):
    household = village["household"]
    fields = {"points": "500", "category": "好人好事", "reason": "抢险救人"}
    response = post_award(client, household, **fields)
    assert response.status_code == 409
    assert "超过了本村设定的100分" in response.get_data(as_text=True)
    assert entries(household) == []
    assert post_award(client, household, confirmed="y", **fields).status_code == 302
    assert [e.points for e in entries(household)] == [500]


def test_the_threshold_is_a_village_setting(client, village):
    login(client, make_account(village["village"], "village_admin"))
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="points_confirm_above"' in page and 'value="100"' in page
    values = {**village_settings.current(village["village"]), "points_confirm_above": "300"}
    data = {k: ("" if v is None else str(v)) for k, v in values.items()}
    data["csrf_token"] = csrf_token(client, "/admin/settings")
    assert client.post("/admin/settings", data=data).status_code == 302
    assert village_settings.setting(village["village"].id, "points_confirm_above") == 300
    data.update(points_confirm_above="0", csrf_token=csrf_token(client, "/admin/settings"))
    refused = client.post("/admin/settings", data=data)
    assert refused.status_code == 400 and "积分确认线要填 1 到 1000 之间的整数" in refused.get_data(as_text=True)


def test_a_date_before_the_household_existed_and_an_unknown_category_are_refused(client, village, cadre, travel):
    household = village["household"]
    registered_since(household, date(2026, 3, 1))
    early = post_award(client, household, points="3", category="好人好事", reason="帮忙", occurred_on="2026-02-27")
    assert early.status_code == 400 and "建档的，不能记在这之前" in early.get_data(as_text=True)
    typo = post_award(client, household, points="3", category="好人号事", reason="帮忙")
    assert typo.status_code == 400 and "没有“好人号事”这个积分类别" in typo.get_data(as_text=True)
    assert entries(household) == []


def test_the_households_ledger_link_shows_that_household_only(client, village, cadre):
    household, other = village["household"], village["other"]
    mine, theirs = award(household, 3), award(other, 4, reason="修水渠")
    page = client.get(f"/admin/households/{household.id}").get_data(as_text=True)
    link = re.search(r'href="(/admin/points\?[^"]+)"[^>]*>积分台账<', page).group(1).replace("&amp;", "&")
    listing = client.get(link).get_data(as_text=True)
    shown = {int(i) for i in _ROW.findall(listing)}
    assert mine.id in shown and theirs.id not in shown


def test_the_reversal_form_says_its_reason_is_public(client, village, cadre):
    entry = award(village["household"], 3)
    login(client, make_account(village["village"], "village_admin", username="admin2"))
    html = client.get(f"/admin/points/{entry.id}").get_data(as_text=True)
    assert "撤销原因是公开的" in html
