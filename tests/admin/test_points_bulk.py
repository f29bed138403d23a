"""Bulk award for a group event (P2): rule, date and many households; preview, confirm; all or
nothing; a resubmitted confirmation awards nobody twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PointsEntry, PointsRule
from app.services import clock, standings
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village

_CHECKED = re.compile(r'name="household_ids" value="(\d+)"[^>]*checked')
_BATCH = re.compile(r'name="batch_key" value="([0-9a-f]{32})"')


@pytest.fixture
def village(db):
    v = make_village("大苍村")
    group1 = [make_household(v, f"010100{i}", group=1) for i in range(1, 4)]
    group2 = [make_household(v, f"020100{i}", group=2) for i in range(1, 3)]
    rule = PointsRule(
        village_id=v.id, category="志愿服务", item="参加防汛值守", points=6, cap_points=10, cap_period="month"
    )
    photo_rule = PointsRule(village_id=v.id, category="好人好事", item="拾金不昧", points=10, evidence_required=True)
    db.session.add_all([rule, photo_rule])
    db.session.commit()
    return {"village": v, "group1": group1, "group2": group2, "rule": rule, "photo_rule": photo_rule}


@pytest.fixture
def cadre(auth, village):
    return auth.login(village["village"])


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(PointsEntry))


def step(client, data: dict, *, step: str):
    html = client.get("/admin/points/bulk").get_data(as_text=True)
    payload = {"csrf_token": csrf_token(client, "/admin/points/bulk"), "batch_key": _BATCH.search(html).group(1),
               "occurred_on": clock.today().isoformat(), "step": step, **data}  # fmt: skip
    return client.post("/admin/points/bulk", data=payload)


def test_preview_then_confirm_awards_every_chosen_household_once(client, village, cadre):
    v = village
    chosen = {"rule_id": str(v["rule"].id), "group_ids": [str(v["group1"][0].group_id)], "numbers": "0201001，0101001",
              "place": "资江大堤"}  # fmt: skip
    preview = step(client, chosen, step="preview")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and count() == 0  # a preview writes nothing
    ids = _CHECKED.findall(html)
    expected = {h.id for h in v["group1"]} | {v["group2"][0].id}
    assert {int(i) for i in ids} == expected
    assert "给 <strong>4</strong> 户各" in html and "合计 +24 分" in html
    key = _BATCH.search(html.split('id="bulk-preview"')[1]).group(1)
    confirm = {**chosen, "household_ids": ids, "batch_key": key, "step": "confirm",
               "csrf_token": csrf_token(client, "/admin/points/bulk"), "occurred_on": clock.today().isoformat()}  # fmt: skip
    response = client.post("/admin/points/bulk", data=confirm)
    assert response.status_code == 302
    assert "批量发放完成：4户各加6分（参加防汛值守）" in client.get(response.headers["Location"]).get_data(as_text=True)
    again = client.post("/admin/points/bulk", data=confirm)  # back, resubmit: nobody twice
    assert again.status_code == 302
    stored = list(db.session.scalars(select(PointsEntry)))
    assert sorted(e.household_id for e in stored) == sorted(expected)
    assert {(e.points, e.category, e.reason, e.place, e.rule_id) for e in stored} == {
        (6, "志愿服务", "参加防汛值守", "资江大堤", v["rule"].id)
    }
    assert standings.totals_for("household", [v["group2"][1].id])[v["group2"][1].id]["all"] == 0  # not chosen


def test_one_unknown_household_number_awards_nobody(client, village, cadre):
    data = {"points": "3", "category": "志愿服务", "reason": "修路", "numbers": "0101001 0101002 0109999"}
    response = step(client, data, step="preview")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "没有这些在册户号：0109999" in html and "一户都没有发放" in html
    assert "0101001 0101002 0109999" in html  # the list is kept to correct
    assert count() == 0


def test_confirm_with_one_household_over_the_cap_stores_nothing(client, village, cadre):
    v = village
    full = v["group1"][0]
    award(full, 6, rule_id=v["rule"].id)
    preview = step(client, {"rule_id": str(v["rule"].id), "group_ids": [str(full.group_id)]}, step="preview")
    html = preview.get_data(as_text=True)
    assert "1 户不能发放" in html and "本月每户最多10分，这一户已得6分" in html
    assert str(full.id) not in _CHECKED.findall(html)  # unticked in the preview
    forged = [str(h.id) for h in v["group1"]]  # a confirmation that still includes it
    response = step(client, {"rule_id": str(v["rule"].id), "household_ids": forged}, step="confirm")
    assert response.status_code == 400
    assert "0101001户：" in response.get_data(as_text=True)
    assert count() == 1  # only the award from before


def test_a_rule_needing_photos_cannot_be_bulk_awarded(client, village, cadre):
    response = step(client, {"rule_id": str(village["photo_rule"].id), "numbers": "0101001"}, step="preview")
    assert response.status_code == 400
    assert "不能批量发放，请逐户发放" in response.get_data(as_text=True)


def test_households_of_another_village_cannot_be_slipped_in(client, village, cadre):
    outsider = make_household(make_village("邻村"), "9901")
    data = {"points": "3", "category": "志愿服务", "reason": "修路"}
    assert step(client, {**data, "numbers": "9901"}, step="preview").status_code == 400
    confirm = step(client, {**data, "household_ids": [str(village["group1"][0].id), str(outsider.id)]}, step="confirm")
    assert confirm.status_code == 400 and "没有找到这一户" in confirm.get_data(as_text=True)
    assert count() == 0


def test_work_team_may_bulk_award_coop_clerk_may_not(client, village):
    login(client, make_account(village["village"], "work_team"))
    assert client.get("/admin/points/bulk").status_code == 200
    login(client, make_account(village["village"], "coop_clerk"))
    assert client.get("/admin/points/bulk").status_code == 403


def test_back_and_a_fresh_preview_leaves_the_households_already_awarded_unticked(client, village, cadre):
    """Issue 10 item 8: Back to a fresh bulk form (a new batch key) and preview again does not
    tick the households the first confirmation awarded; only a cadre who ticks them awards twice."""
    v = village
    chosen = {"points": "3", "category": "志愿服务", "reason": "修路", "group_ids": [str(v["group2"][0].group_id)]}
    first = step(client, chosen, step="preview").get_data(as_text=True)
    ids = _CHECKED.findall(first)
    key = _BATCH.search(first.split('id="bulk-preview"')[1]).group(1)
    assert step(client, {**chosen, "household_ids": ids, "batch_key": key}, step="confirm").status_code == 302
    assert count() == 2
    again = step(client, chosen, step="preview").get_data(as_text=True)  # a new form: a new batch key
    assert _CHECKED.findall(again) == [] and "不能发放" not in again  # not refused: left for the cadre
    assert "2 户这一天已经记过同样的分，可能是重复提交，已取消勾选" in again
    assert count() == 2
