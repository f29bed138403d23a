"""The points ledger in the back office (P2, P4): filters, entry detail with evidence photos,
reversal with a reason (once), and scope: nothing of another village or group."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import PointsEntry, PointsRule
from app.services import clock, photos, standings
from app.services.points import AwardInput, award_points
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village, registered_since

_ROW = re.compile(r'data-entry="(\d+)"')
_KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def shown(client, query: str = "") -> set[int]:
    response = client.get(f"/admin/points{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {int(i) for i in _ROW.findall(response.get_data(as_text=True))}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "orange").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def ledger(db):
    """Two groups' households with entries of different kinds, categories, dates and recorders."""
    v = make_village("大苍村")
    one, two = make_household(v, "0101001", group=1), make_household(v, "0201001", group=2)
    registered_since(one, clock.today() - timedelta(days=365))
    rule = PointsRule(village_id=v.id, category="志愿服务", item="参加防汛值守", points=6)
    db.session.add(rule)
    db.session.commit()
    today = clock.today()
    e = {
        "old": award(one, 3, on=today - timedelta(days=40), category="好人好事", reason="扶老人过河"),
        "deduct": award(two, -2, category="环境卫生", reason="乱倒垃圾"),
        "by_rule": award_points(
            AwardInput(
                household_id=two.id, points=None, reason="", occurred_on=today, recorded_by="王会计", rule_id=rule.id
            )
        ).entry,  # fmt: skip
        "photo": award_points(
            AwardInput(
                household_id=one.id,
                points=5,
                reason="清理水沟",
                category="环境卫生",
                occurred_on=today,
                recorded_by="测试",
            ),
            evidence=[photos.clean_image(jpeg())],
        ).entry,  # fmt: skip
    }
    return {"village": v, "one": one, "two": two, "rule": rule, "e": e}


@pytest.fixture
def cadre(auth, ledger):
    return auth.login(ledger["village"])


def test_ledger_lists_newest_first_with_recorder_photos_and_filters(client, ledger, cadre):
    e = {k: v.id for k, v in ledger["e"].items()}
    html = client.get("/admin/points").get_data(as_text=True)
    assert [int(i) for i in _ROW.findall(html)] == sorted(e.values(), reverse=True)
    assert "王会计" in html and "1 张" in html
    g1, g2 = ledger["one"].group_id, ledger["two"].group_id
    assert shown(client, f"?group_id={g1}") == {e["old"], e["photo"]}
    assert shown(client, f"?group_id={g2}") == {e["deduct"], e["by_rule"]}
    assert shown(client, f"?household_id={ledger['two'].id}") == {e["deduct"], e["by_rule"]}
    assert shown(client, "?number=0101001") == {e["old"], e["photo"]}
    assert shown(client, "?category=环境卫生") == {e["deduct"], e["photo"]}
    assert shown(client, f"?rule_id={ledger['rule'].id}") == {e["by_rule"]}
    assert shown(client, "?kind=deduct") == {e["deduct"]}
    today = clock.today()
    assert shown(client, f"?date_to={(today - timedelta(days=30)).isoformat()}") == {e["old"]}
    assert shown(client, f"?date_from={today.isoformat()}&date_to={today.isoformat()}") == {
        e["deduct"],
        e["by_rule"],
        e["photo"],
    }
    assert shown(client, "?recorded_by=王会计") == {e["by_rule"]}


def test_bad_filter_says_why_and_still_shows_the_ledger(client, ledger, cadre):
    response = client.get("/admin/points?date_from=2026-13-45")
    assert response.status_code == 400
    assert "开始日期格式不对" in response.get_data(as_text=True)
    response = client.get("/admin/points?date_from=2026-05-02&date_to=2026-05-01")
    assert "开始日期不能晚于结束日期" in response.get_data(as_text=True)


def test_entry_detail_shows_evidence_thumbnails_served_as_jpeg(client, ledger, cadre):
    entry = ledger["e"]["photo"]
    html = client.get(f"/admin/points/{entry.id}").get_data(as_text=True)
    urls = re.findall(r'<img src="(/admin/points/photos/\d+)"', html)
    assert len(urls) == 1 and "清理水沟" in html
    photo = client.get(urls[0])
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data[:3] == b"\xff\xd8\xff"
    assert photo.headers["Cache-Control"] == "no-store"


def test_the_evidence_route_never_serves_archive_photos(client, ledger, cadre):
    card = photos.store(photos.clean_image(jpeg()), village_id=ledger["village"].id, purpose="id_card",
                        uploaded_by="测试", household_id=ledger["one"].id)  # fmt: skip
    db.session.commit()
    assert client.get(f"/admin/points/photos/{card.id}").status_code == 404


def test_reversal_with_a_reason_then_a_second_reversal_is_refused(client, ledger, cadre):
    entry = ledger["e"]["old"]
    page = client.get(f"/admin/points/{entry.id}").get_data(as_text=True)
    key = _KEY.search(page).group(1)
    token = csrf_token(client, f"/admin/points/{entry.id}")
    empty = client.post(
        f"/admin/points/{entry.id}/reverse", data={"csrf_token": token, "idempotency_key": key, "reason": " "}
    )
    assert empty.status_code == 400 and "请填写撤销原因" in empty.get_data(as_text=True)
    form = {"csrf_token": token, "idempotency_key": key, "reason": "记错了户"}
    response = client.post(f"/admin/points/{entry.id}/reverse", data=form)
    assert response.status_code == 302
    again = client.post(f"/admin/points/{entry.id}/reverse", data=form)  # the same form sent twice: no error
    assert again.status_code == 302
    reversals = list(db.session.scalars(select(PointsEntry).where(PointsEntry.reverses_id == entry.id)))
    assert [(r.points, r.reason, r.recorded_by) for r in reversals] == [(-3, "记错了户", cadre.actor)]
    detail = client.get(f"/admin/points/{entry.id}").get_data(as_text=True)
    assert "已撤销" in detail and "记错了户" in detail and "撤销这条记录" not in detail
    second = client.post(f"/admin/points/{entry.id}/reverse", data={**form, "idempotency_key": "f" * 32})
    assert second.status_code == 400
    assert "这条记录已于" in second.get_data(as_text=True) and "不能重复撤销" in second.get_data(as_text=True)
    correction = reversals[0]
    refused = client.post(f"/admin/points/{correction.id}/reverse", data={**form, "idempotency_key": "e" * 32})
    assert refused.status_code == 400 and "不能再撤销" in refused.get_data(as_text=True)
    assert db.session.query(PointsEntry).count() == 5
    assert standings.totals_for("household", [ledger["one"].id])[ledger["one"].id]["all"] == 5  # 3 + 5 - 3
    assert shown(client, "?kind=reversal") == {correction.id}


def test_another_villages_entries_and_photos_are_not_found(client, ledger, cadre):
    far = make_household(make_village("邻村"), "9901")
    theirs = award_points(
        AwardInput(household_id=far.id, points=7, reason="邻村的事", category="好人好事",
                   occurred_on=clock.today(), recorded_by="邻村干部"),
        evidence=[photos.clean_image(jpeg())],
    ).entry  # fmt: skip
    photo_id = re.search(r"/admin/points/photos/(\d+)", _detail_as_owner(theirs)).group(1)
    assert client.get(f"/admin/points/{theirs.id}").status_code == 404
    assert client.get(f"/admin/points/photos/{photo_id}").status_code == 404
    token = csrf_token(client, "/admin/")
    assert (
        client.post(f"/admin/points/{theirs.id}/reverse", data={"csrf_token": token, "reason": "x"}).status_code == 404
    )
    assert client.get(f"/admin/points?household_id={far.id}").status_code == 404
    assert theirs.id not in shown(client) and theirs.id not in shown(client, "?number=9901")
    assert "邻村的事" not in client.get("/admin/points").get_data(as_text=True)


def _detail_as_owner(entry) -> str:
    from flask import current_app

    other = current_app.test_client()
    login(other, make_account(entry.household.village, "cadre"))
    return other.get(f"/admin/points/{entry.id}").get_data(as_text=True)


def test_group_leader_sees_only_the_ledger_of_the_own_group(client, ledger):
    leader = make_account(ledger["village"], "group_leader", group_id=ledger["one"].group_id)
    login(client, leader)
    e = ledger["e"]
    assert shown(client) == {e["old"].id, e["photo"].id}
    assert client.get(f"/admin/points/{e['deduct'].id}").status_code == 404
