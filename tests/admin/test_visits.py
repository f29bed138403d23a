"""Visits and inspections (R6): record with photos, list with filters and pages, a household's
timeline, Excel export; bad input changes nothing; other villages see none of it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Photo, PhotoPurpose, Visit
from app.services import clock
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import make_household, make_village

TODAY = clock.today()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def form(**overrides) -> dict:
    data = {
        "kind": "走访",
        "visited_on": TODAY.isoformat(),
        "visitors": "刘书记、王队长",
        "people_met": "户主及其母亲",
        "household_number": "0101",
        "content": "查看房屋安全，老人身体尚好，反映自来水压力小。",
    }
    data.update(overrides)
    return data


def submit(client, data: dict, photos=(), url="/admin/visits/new"):
    payload = dict(data, csrf_token=csrf_token(client, url))
    payload["photos"] = [(io.BytesIO(raw), f"p{i}.jpg") for i, raw in enumerate(photos)]
    return client.post(url, data=payload, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def add_visit(household=None, *, village=None, on=TODAY, kind="走访", visitors="刘书记", content="例行走访", by="测试"):
    visit = Visit(village_id=(household.village_id if household else village.id), household_id=household.id if household else None,
                  kind=kind, visited_on=on, visitors=visitors, content=content, recorded_by=by)  # fmt: skip
    db.session.add(visit)
    db.session.commit()
    return visit


@pytest.fixture
def home(db):
    village = make_village()
    return village, make_household(village, "0101"), make_household(village, "0202", group=2)


@pytest.fixture
def cadre(auth, home):
    return auth.login(home[0])


def test_record_a_visit_with_a_photo_from_the_household(client, home, cadre):
    _, household, _ = home
    opened = client.get(f"/admin/visits/new?household_id={household.id}").get_data(as_text=True)
    assert 'value="0101"' in opened and cadre.display_name in opened and TODAY.isoformat() in opened

    response = submit(client, form(), photos=[jpeg()])
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert response.headers["Location"] == f"/admin/visits/{visit.id}"
    assert (visit.household_id, visit.kind, visit.visited_on, visit.visitors) == (
        household.id,
        "走访",
        TODAY,
        "刘书记、王队长",
    )
    assert visit.recorded_by == cadre.actor
    photo = db.session.scalar(select(Photo))
    assert (photo.purpose, photo.visit_id, photo.household_id) == (PhotoPurpose.VISIT, visit.id, household.id)
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "visits.create")).all()
    assert row.target == f"visit:{visit.id}" and row.detail["photos"] == 1

    page = client.get(f"/admin/visits/{visit.id}").get_data(as_text=True)
    assert "自来水压力小" in page and "户主及其母亲" in page and f'src="/admin/visits/photos/{photo.id}"' in page
    served = client.get(f"/admin/visits/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == photo.data
    assert "no-store" in served.headers["Cache-Control"]


def test_an_inspection_needs_no_household(client, home, cadre):
    response = submit(client, form(kind="督导巡查", household_number="", content="巡查河道保洁和垃圾分类点。"))
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.household_id is None and visit.village_id == home[0].id


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"visited_on": "2026-13-45"}, "日期格式不对"),
        ({"visited_on": "昨天"}, "日期格式不对"),
        ({"visited_on": (TODAY + timedelta(days=1)).isoformat()}, "日期不能晚于今天"),
        ({"household_number": ""}, "走访要填写"),
        ({"household_number": "9999"}, "没有找到户号为 9999"),
        ({"content": "  "}, "请填写情况记录"),
        ({"visitors": ""}, "请填写走访人员"),
        ({"kind": "串门"}, "类型只能是"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_stores_nothing(client, home, cadre, overrides, message):
    response = submit(client, form(**overrides), photos=[jpeg()])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "户主及其母亲" in page  # what was typed is kept
    assert count(Visit) == 0 and count(Photo) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "visits.create")) == 0


def test_a_fake_photo_refuses_the_whole_record(client, home, cadre):
    response = submit(client, form(), photos=[b"%PDF-1.4 not an image" * 20])
    assert response.status_code == 400 and "不是照片" in response.get_data(as_text=True)
    assert count(Visit) == 0


def test_a_double_submitted_form_files_one_record(client, home, cadre):
    first = submit(client, form())
    second = submit(client, form())
    assert first.headers["Location"] == second.headers["Location"]
    assert "已经登记过了" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert count(Visit) == 1


def test_the_list_filters_and_shows_newest_first(client, home, cadre):
    _, first, second = home
    add_visit(first, on=TODAY - timedelta(days=30), visitors="张主任", content="三十天前的走访")
    add_visit(first, on=TODAY - timedelta(days=2), visitors="李会计", content="两天前的走访")
    add_visit(second, on=TODAY - timedelta(days=1), visitors="张主任", content="昨天的走访")
    add_visit(village=home[0], kind="督导巡查", on=TODAY, visitors="镇里督导组", content="今天的巡查")

    def shown(query: str = "") -> list[str]:
        page = client.get(f"/admin/visits{query}").get_data(as_text=True)
        found = [(page.find(w), w) for w in ("三十天前", "两天前", "昨天的", "今天的巡查") if w in page]
        return [w for _, w in sorted(found)]

    assert shown() == ["今天的巡查", "昨天的", "两天前", "三十天前"]
    assert shown("?kind=督导巡查") == ["今天的巡查"]
    assert shown("?household_number=0101") == ["两天前", "三十天前"]
    assert shown("?visitor=张主任") == ["昨天的", "三十天前"]
    since, until = (TODAY - timedelta(days=3)).isoformat(), (TODAY - timedelta(days=1)).isoformat()
    assert shown(f"?date_from={since}&date_to={until}") == ["昨天的", "两天前"]
    page = client.get("/admin/visits?date_from=2026-02-30").get_data(as_text=True)
    assert "开始日期格式不对" in page and "三十天前" in page  # the bad condition is dropped, not the page


def test_the_list_is_paged(client, home, cadre):
    _, household, _ = home
    for day in range(25):
        add_visit(household, on=TODAY - timedelta(days=day), content=f"第{day:02d}天")
    first = client.get("/admin/visits").get_data(as_text=True)
    second = client.get("/admin/visits?page=2").get_data(as_text=True)
    assert "共 25 条" in first and "第00天" in first and "第19天" in first and "第20天" not in first
    assert "第20天" in second and "第24天" in second and "第00天" not in second


def test_export_has_the_filtered_rows_and_is_audited(client, home, cadre):
    _, first, second = home
    add_visit(first, on=date(2025, 3, 1), content='=HYPERLINK("http://evil")', visitors="张主任")
    add_visit(second, on=date(2025, 3, 2), content="另一户", visitors="李会计")
    response = client.get("/admin/visits/export.xlsx?visitor=张主任")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("村", "日期", "类型", "户号", "户主")
    assert len(rows) == 2
    village, day, kind, number, head, visitors, _met, content = rows[1][:8]
    assert (village, kind, number, head, visitors) == ("大苍村", "走访", "0101", first.head.name, "张主任")
    assert str(day).startswith("2025-03-01")
    assert content == '=HYPERLINK("http://evil")'  # kept as text, never turned into a formula
    assert sheet.cell(row=2, column=8).data_type == "s"
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "visits.export")).all()
    assert row.actor == cadre.actor and row.detail["rows"] == 1 and row.detail["filters"] == {"visitor": "张主任"}


def test_a_households_timeline_shows_its_own_visits_newest_first(client, home, cadre):
    _, first, second = home
    add_visit(first, on=TODAY - timedelta(days=9), content="九天前看过")
    add_visit(first, on=TODAY - timedelta(days=1), content="昨天又去了")
    add_visit(second, content="别家的走访")
    page = client.get(f"/admin/households/{first.id}/visits").get_data(as_text=True)
    assert page.index("昨天又去了") < page.index("九天前看过")
    assert "别家的走访" not in page
    assert f"/admin/visits/new?household_id={first.id}" in page


def test_another_village_sees_none_of_it(client, home):
    _, household, _ = home
    visit = add_visit(household, content="甲村走访内容")
    login(client, make_account(make_village("乙村"), "village_admin"))
    assert client.get(f"/admin/visits/{visit.id}").status_code == 404
    assert client.get(f"/admin/households/{household.id}/visits").status_code == 404
    assert client.get(f"/admin/visits/new?household_id={household.id}").status_code == 404
    assert "甲村走访内容" not in client.get("/admin/visits").get_data(as_text=True)
    rows = list(
        load_workbook(io.BytesIO(client.get("/admin/visits/export.xlsx").data)).active.iter_rows(values_only=True)
    )
    assert len(rows) == 1  # the header only
    # Recording against A's household number finds nothing in B's scope.
    assert submit(client, form()).status_code == 400 and count(Visit) == 1


def test_a_visit_photo_of_another_village_is_not_served(client, home):
    village, household, _ = home
    visit = add_visit(household)
    from app.services import photos

    photo = photos.store(photos.clean_image(jpeg()), village_id=village.id, purpose=PhotoPurpose.VISIT,
                         uploaded_by="测试", visit_id=visit.id)  # fmt: skip
    archive = photos.store(photos.clean_image(jpeg()), village_id=village.id, purpose=PhotoPurpose.ID_CARD,
                           uploaded_by="测试", household_id=household.id)  # fmt: skip
    db.session.commit()
    login(client, make_account(village, "work_team"))  # work team may read visits
    assert client.get(f"/admin/visits/photos/{photo.id}").status_code == 200
    assert client.get(f"/admin/visits/photos/{archive.id}").status_code == 404  # never an ID card from here
    outsider = client.application.test_client()
    login(outsider, make_account(make_village("乙村"), "cadre"))
    assert outsider.get(f"/admin/visits/photos/{photo.id}").status_code == 404


def test_a_group_leader_sees_only_the_groups_households(client, home):
    village, first, second = home
    add_visit(first, content="一组的走访")
    add_visit(second, content="二组的走访")
    add_visit(village=village, kind="督导巡查", content="别人的巡查")
    leader = make_account(village, "group_leader", group_id=first.group_id)
    login(client, leader)
    page = client.get("/admin/visits").get_data(as_text=True)
    assert "一组的走访" in page and "二组的走访" not in page and "别人的巡查" not in page
    assert client.get(f"/admin/households/{second.id}/visits").status_code == 404
    assert submit(client, form(kind="督导巡查", household_number="", content="组长自己的巡查")).status_code == 302
    assert "组长自己的巡查" in client.get("/admin/visits").get_data(as_text=True)


def test_a_town_admin_filters_by_village_and_must_pick_one_for_an_inspection(client, home):
    village, household, _ = home
    other = make_village("乙村")
    add_visit(household, content="甲村的走访")
    add_visit(village=other, kind="督导巡查", content="乙村的巡查")
    login(client, make_account(village.parent, "town_admin", totp=True))
    page = client.get(f"/admin/visits?village_id={other.id}").get_data(as_text=True)
    assert "乙村的巡查" in page and "甲村的走访" not in page
    assert client.get("/admin/visits?village_id=999999").status_code == 404
    response = submit(client, form(kind="督导巡查", household_number="", content="镇里巡查"))
    assert response.status_code == 400 and "请选择是哪个村" in response.get_data(as_text=True)
    assert submit(client, form(kind="督导巡查", household_number="", village_id=str(other.id))).status_code == 302


def test_visits_need_their_permissions(client, home):
    village, household, _ = home
    login(client, make_account(village, "coop_clerk"))
    assert client.get("/admin/visits").status_code == 403
    assert client.get("/admin/visits/export.xlsx").status_code == 403
    assert client.get(f"/admin/households/{household.id}/visits").status_code == 403
    assert submit(client, form()).status_code == 403 and count(Visit) == 0
