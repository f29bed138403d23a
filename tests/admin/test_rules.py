"""The village's points rules catalogue (P1): list by category, add, edit, stop; validation,
audit, scope; what the award form offers follows it, and the ledger's history never changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, PointsEntry, PointsRule
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village


@pytest.fixture
def village(db):
    return make_village("大苍村")


@pytest.fixture
def admin_client(auth, village):
    auth.login(village, "village_admin")
    return auth.client


def new_rule(client, village, **fields):
    data = {"csrf_token": csrf_token(client, f"/admin/rules/new?village_id={village.id}"), "village_id": str(village.id),
            "category": "志愿服务", "item": "参加防汛值守", "points": "6", **fields}  # fmt: skip
    return client.post("/admin/rules/new", data=data)


def rules_of(village) -> list[PointsRule]:
    return list(
        db.session.scalars(select(PointsRule).where(PointsRule.village_id == village.id).order_by(PointsRule.id))
    )


def test_add_a_rule_with_evidence_and_a_monthly_cap_then_see_it_by_category(admin_client, village):
    response = new_rule(admin_client, village, evidence_required="y", cap_points="12", cap_period="month")
    assert response.status_code == 302
    [rule] = rules_of(village)
    assert (rule.category, rule.item, rule.points, rule.evidence_required, rule.cap_points, rule.cap_period, rule.active) == (
        "志愿服务", "参加防汛值守", 6, True, 12, "month", True
    )  # fmt: skip
    new_rule(admin_client, village, category="环境卫生", item="门前乱堆乱放", points="-2")
    html = admin_client.get("/admin/rules").get_data(as_text=True)
    assert "已添加细则“门前乱堆乱放”（-2分）" in html
    listing = html.split("<h1>积分细则</h1>", 1)[1]
    assert (
        listing.index("志愿服务")
        < listing.index("参加防汛值守")
        < listing.index("环境卫生")
        < listing.index("门前乱堆乱放")
    )
    assert "每月最多 12 分" in html and "必须" in html
    audit = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "rules.create", AuditLog.target == f"points_rule:{rule.id}")
    )
    assert audit is not None and audit.village_id == village.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"item": ""}, "请填写细则内容"),
        ({"points": "0"}, "分值不能是0"),
        ({"points": "五"}, "分值要填整数"),
        ({"points": "5000"}, "分值最多1000分"),
        ({"cap_points": "12"}, "请选择按月还是按年"),
        ({"cap_points": "3"}, "将永远加不上分"),
        ({"points": "-2", "cap_points": "10", "cap_period": "year"}, "扣分细则不设上限"),
        ({"cap_points": "12", "cap_period": "week"}, "请选择按月还是按年"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(admin_client, village, fields, message):
    response = new_rule(admin_client, village, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert rules_of(village) == []


def test_a_second_active_rule_with_the_same_item_is_refused(admin_client, village):
    new_rule(admin_client, village)
    response = new_rule(admin_client, village, points="8")
    assert response.status_code == 400 and "已有“参加防汛值守”这一条" in response.get_data(as_text=True)
    assert len(rules_of(village)) == 1


def test_editing_a_rule_is_audited_and_leaves_recorded_entries_alone(admin_client, village):
    new_rule(admin_client, village)
    [rule] = rules_of(village)
    household = make_household(village, "0101001")
    entry = award(household, None, rule_id=rule.id, reason="", category=None)
    assert "参加防汛值守" in admin_client.get(f"/admin/rules/{rule.id}/edit").get_data(as_text=True)
    data = {"csrf_token": csrf_token(admin_client, f"/admin/rules/{rule.id}/edit"), "category": "志愿服务",
            "item": "参加防汛抢险值守", "points": "8", "cap_points": "", "cap_period": ""}  # fmt: skip
    assert admin_client.post(f"/admin/rules/{rule.id}/edit", data=data).status_code == 302
    db.session.refresh(rule)
    assert (rule.item, rule.points) == ("参加防汛抢险值守", 8)
    db.session.expire_all()
    stored = db.session.get(PointsEntry, entry.id)
    assert (stored.points, stored.reason) == (6, "参加防汛值守")
    change = db.session.scalar(select(AuditLog).where(AuditLog.action == "rules.update"))
    assert change.detail["before"] == {"item": "参加防汛值守", "points": 6}
    assert change.detail["after"] == {"item": "参加防汛抢险值守", "points": 8}


def test_a_stopped_rule_leaves_the_award_form_and_can_come_back(admin_client, village):
    new_rule(admin_client, village)
    [rule] = rules_of(village)
    household = make_household(village, "0101001")
    form_url = f"/admin/points/award/{household.id}"
    assert f'data-item="{rule.item}"' in admin_client.get(form_url).get_data(as_text=True)
    token = csrf_token(admin_client, "/admin/rules")
    assert admin_client.get(f"/admin/rules/{rule.id}/deactivate").status_code == 405  # no change over GET
    assert admin_client.post(f"/admin/rules/{rule.id}/deactivate", data={"csrf_token": token}).status_code == 302
    db.session.refresh(rule)
    assert rule.active is False
    assert f'data-item="{rule.item}"' not in admin_client.get(form_url).get_data(as_text=True)
    assert "已停用" in admin_client.get("/admin/rules").get_data(as_text=True)
    assert admin_client.post(f"/admin/rules/{rule.id}/activate", data={"csrf_token": token}).status_code == 302
    db.session.refresh(rule)
    assert rule.active is True
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.target == f"points_rule:{rule.id}")))
    assert {"rules.deactivate", "rules.activate"} <= actions


def test_another_villages_rules_are_not_found_and_not_listed(admin_client, village):
    elsewhere = make_village("邻村")
    theirs = PointsRule(village_id=elsewhere.id, category="好人好事", item="邻村细则", points=3)
    db.session.add(theirs)
    db.session.commit()
    token = csrf_token(admin_client, "/admin/rules")
    assert admin_client.get(f"/admin/rules/{theirs.id}/edit").status_code == 404
    assert admin_client.post(f"/admin/rules/{theirs.id}/deactivate", data={"csrf_token": token}).status_code == 404
    assert admin_client.get(f"/admin/rules?village_id={elsewhere.id}").status_code == 404
    assert admin_client.get(f"/admin/rules/new?village_id={elsewhere.id}").status_code == 404
    assert "邻村细则" not in admin_client.get("/admin/rules").get_data(as_text=True)
    db.session.refresh(theirs)
    assert theirs.active is True


def test_town_admin_keeps_the_rules_of_each_village_apart(client, village):
    second = make_village("小苍村")
    town = village.parent
    login(client, make_account(town, "town_admin", totp=True))
    new_rule(client, second, item="小苍村细则")
    html = client.get("/admin/rules").get_data(as_text=True)
    assert "大苍村" in html and "小苍村" in html
    assert [r.item for r in rules_of(second)] == ["小苍村细则"] and rules_of(village) == []
