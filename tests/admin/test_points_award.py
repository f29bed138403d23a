"""Awarding points in the back office (P2; issue 4 items 6 and 13): find a household, fill the
form with a rule, member, date, place, reason and photos; evidence rules, caps, resubmissions."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AuditLog, Photo, PhotoPurpose, PointsEntry, PointsRule
from app.services import clock, standings
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village

_KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def photo_bytes(kind: str = "JPEG", *, gps: bool = False) -> bytes:
    """A small generated photo; with ``gps`` it carries EXIF with a location, as phone photos do."""
    out = io.BytesIO()
    image = Image.new("RGB", (120, 90), (40, 140, 60))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (28.0, 23.0, 0.0)}  # GPS IFD: latitude
    image.save(out, format=kind, **({"exif": exif} if gps else {}))
    return out.getvalue()


@pytest.fixture
def village(db):
    v = make_village("大苍村")
    household = make_household(v, "0101001", members=3)
    other = make_household(v, "0102001", group=2)
    photo_rule = PointsRule(village_id=v.id, category="好人好事", item="拾金不昧", points=10, evidence_required=True)
    capped = PointsRule(
        village_id=v.id, category="环境卫生", item="清扫屋场", points=4, cap_points=10, cap_period="month"
    )
    db.session.add_all([photo_rule, capped])
    db.session.commit()
    return {"village": v, "household": household, "other": other, "photo_rule": photo_rule, "capped": capped}


@pytest.fixture
def cadre(auth, village):
    return auth.login(village["village"])


def form_key(client, household) -> str:
    html = client.get(f"/admin/points/award/{household.id}").get_data(as_text=True)
    return _KEY.search(html).group(1)


def post_award(client, household, *, key=None, photos=(), **fields):
    data = {
        "csrf_token": csrf_token(client, f"/admin/points/award/{household.id}"),
        "idempotency_key": key if key is not None else form_key(client, household),
        "occurred_on": clock.today().isoformat(),
        **fields,
    }
    data["photos"] = [(io.BytesIO(raw), name) for name, raw in photos]
    return client.post(f"/admin/points/award/{household.id}", data=data, content_type="multipart/form-data")


def entries(household) -> list[PointsEntry]:
    return list(db.session.scalars(select(PointsEntry).where(PointsEntry.household_id == household.id)))


def test_award_with_photo_is_stored_encrypted_linked_and_reencoded(client, village, cadre):
    household = village["household"]
    member = household.members[1]
    response = post_award(
        client, household, rule_id=str(village["photo_rule"].id), villager_id=str(member.id), place="村部",
        reason="捡到钱包交还失主", photos=[("wallet.png", photo_bytes("PNG")), ("scene.jpg", photo_bytes(gps=True))],
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/points?household_id={household.id}")
    [entry] = entries(household)
    assert (entry.points, entry.category, entry.villager_id, entry.place) == (10, "好人好事", member.id, "村部")
    assert entry.reason == "捡到钱包交还失主" and entry.recorded_by == cadre.actor
    stored = list(db.session.scalars(select(Photo).where(Photo.points_entry_id == entry.id)))
    assert len(stored) == 2
    for photo in stored:
        assert photo.purpose == PhotoPurpose.EVIDENCE and photo.household_id == household.id
        assert photo.village_id == household.village_id and photo.villager_id == member.id
        assert photo.content_type == "image/jpeg" and photo.data[:3] == b"\xff\xd8\xff"  # re-encoded, PNG too
        assert not Image.open(io.BytesIO(photo.data)).getexif()  # the phone's EXIF (with GPS) is gone
    raw = db.session.execute(text("SELECT data FROM photos")).scalars().all()
    assert all(b"\xff\xd8\xff" not in bytes(r)[:16] for r in raw)  # encrypted at rest
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已给{member.name}（0101001户）加10分" in page
    assert "2 张" in page  # the photo count in the ledger row
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "points.award")) == 1


def test_rule_needing_evidence_refuses_an_award_without_a_photo(client, village, cadre):
    response = post_award(client, village["household"], rule_id=str(village["photo_rule"].id), place="路口")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "“拾金不昧”要求上传佐证照片" in html
    assert 'value="路口"' in html  # what the cadre typed is kept
    assert entries(village["household"]) == []


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_recorded(client, village, cadre):
    response = post_award(client, village["household"], points="3", category="好人好事", reason="帮邻居收稻谷",
                          photos=[("fake.jpg", b"<script>alert(1)</script>")])  # fmt: skip
    assert response.status_code == 400
    assert "不是照片" in response.get_data(as_text=True)
    assert entries(village["household"]) == [] and db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_cap_refusal_names_the_rule_and_what_is_left(client, village, cadre):
    household, rule = village["household"], village["capped"]
    assert post_award(client, household, rule_id=str(rule.id)).status_code == 302
    assert post_award(client, household, rule_id=str(rule.id), confirmed="y").status_code == 302
    response = post_award(client, household, rule_id=str(rule.id), confirmed="y")
    assert response.status_code == 400
    assert "“清扫屋场”本月每户最多10分，这一户已得8分，不能再加4分" in response.get_data(as_text=True)
    assert sum(e.points for e in entries(household)) == 8


def test_the_same_form_sent_twice_awards_once(client, village, cadre):
    household = village["household"]
    key = form_key(client, household)
    fields = {"points": "5", "category": "志愿服务", "reason": "参加防汛值守"}
    first = post_award(client, household, key=key, **fields)
    again = post_award(client, household, key=key, **fields)
    assert first.status_code == again.status_code == 302
    assert len(entries(household)) == 1
    assert "没有重复记分" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert standings.totals_for("household", [household.id])[household.id]["month"] == 5


def test_back_edit_and_resubmit_with_the_old_key_records_nothing_new_and_offers_a_fresh_form(client, village, cadre):
    household = village["household"]
    key = form_key(client, household)
    post_award(client, household, key=key, points="5", category="志愿服务", reason="参加防汛值守")
    response = post_award(client, household, key=key, points="8", category="志愿服务", reason="参加防汛值守")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "这张表刚才已经提交过一次" in html
    assert _KEY.search(html).group(1) != key  # submitting again now is a deliberate second award
    assert [e.points for e in entries(household)] == [5]


def test_deduction_for_a_whole_household_without_a_rule(client, village, cadre):
    household = village["household"]
    response = post_award(client, household, points="-3", category="环境卫生", reason="门前乱堆柴草")
    assert response.status_code == 302
    [entry] = entries(household)
    assert (entry.kind, entry.points, entry.villager_id) == ("deduct", -3, None)
    assert "扣3分" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"points": "abc", "category": "好人好事", "reason": "x"}, "分值要填整数"),
        ({"points": "5", "category": "", "reason": "x"}, "请选择积分类别"),
        ({"points": "5", "category": "好人好事", "reason": "x", "occurred_on": "2999-01-01"}, "日期不能晚于今天"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, village, cadre, fields, message):
    response = post_award(client, village["household"], **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert entries(village["household"]) == []


def test_a_rule_or_member_of_another_household_or_village_is_refused(client, village, cadre):
    elsewhere = make_village("邻村")
    foreign_rule = PointsRule(village_id=elsewhere.id, category="好人好事", item="外村细则", points=50)
    db.session.add(foreign_rule)
    db.session.commit()
    household = village["household"]
    response = post_award(client, household, rule_id=str(foreign_rule.id))
    assert "积分细则里没有这一条" in response.get_data(as_text=True)
    stranger = village["other"].head
    response = post_award(client, household, points="2", category="好人好事", reason="x", villager_id=str(stranger.id))
    assert "记分的成员必须是这一户在册的人" in response.get_data(as_text=True)
    assert entries(household) == []


def test_search_one_match_goes_straight_to_the_form_several_make_a_list(client, village, cadre):
    household = village["household"]
    response = client.get("/admin/points/award?q=0101001")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/points/award/{household.id}")
    member = household.members[2].name  # a member's name finds the household too
    assert client.get(f"/admin/points/award?q={member}").status_code == 302
    listing = client.get("/admin/points/award?q=刘建华")  # both heads are called 刘建华
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "找到 2 户" in html
    assert f"/admin/points/award/{village['other'].id}" in html
    assert "没有找到“王二麻”" in client.get("/admin/points/award?q=王二麻").get_data(as_text=True)


def test_dashboard_search_box_leads_here(client, village, cadre):
    html = client.get("/admin/").get_data(as_text=True)
    assert 'action="/admin/points/award"' in html and 'name="q"' in html


def test_another_villages_household_is_not_found(client, village, cadre):
    outsider = make_household(make_village("邻村"), "9901")
    assert client.get(f"/admin/points/award/{outsider.id}").status_code == 404
    response = client.post(f"/admin/points/award/{outsider.id}", data={
        "csrf_token": csrf_token(client, "/admin/"), "points": "5", "category": "好人好事", "reason": "x",
        "occurred_on": clock.today().isoformat(), "idempotency_key": "k" * 32})  # fmt: skip
    assert response.status_code == 404
    assert entries(outsider) == []
    found = client.get("/admin/points/award?q=9901").get_data(as_text=True)
    assert "没有找到“9901”" in found and f"/admin/points/award/{outsider.id}" not in found


def test_work_team_may_award_but_not_reverse_or_edit_rules(client, village):
    login(client, make_account(village["village"], "work_team"))
    household = village["household"]
    assert post_award(client, household, points="2", category="志愿服务", reason="义务劳动").status_code == 302
    [entry] = entries(household)
    token = csrf_token(client, "/admin/")
    assert (
        client.post(f"/admin/points/{entry.id}/reverse", data={"csrf_token": token, "reason": "x"}).status_code == 403
    )
    assert client.get("/admin/rules").status_code == 403
    assert (
        client.post(
            "/admin/rules/new", data={"csrf_token": token, "category": "好人好事", "item": "x", "points": "1"}
        ).status_code
        == 403
    )
    assert "撤销这条记录" not in client.get(f"/admin/points/{entry.id}").get_data(as_text=True)
    assert len(entries(household)) == 1


def test_coop_clerk_may_only_read_the_ledger(client, village):
    household = village["household"]
    entry = award(household, 5)
    login(client, make_account(village["village"], "coop_clerk"))
    assert client.get("/admin/points").status_code == 200
    assert client.get(f"/admin/points/{entry.id}").status_code == 200
    for url in ("/admin/points/award", f"/admin/points/award/{household.id}", "/admin/points/bulk", "/admin/rules",
                "/admin/rules/new"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/admin/")
    assert (
        client.post(f"/admin/points/award/{household.id}", data={"csrf_token": token, "points": "5"}).status_code == 403
    )
    assert (
        client.post(f"/admin/points/{entry.id}/reverse", data={"csrf_token": token, "reason": "x"}).status_code == 403
    )
    assert len(entries(household)) == 1
