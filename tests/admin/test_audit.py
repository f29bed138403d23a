"""操作日志 (A3): search by actor, action, target, dates and village; newest first, paged; held to
the admin's scope; append-only; details readable and never a raw ID or phone number."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from app.services import audit
from app.services.audit_labels import ACTIONS
from app.services.clock import VILLAGE_TZ
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_household, make_village

ROTATED = ACTIONS["privacy.rotate_keys"]  # how a key-rotation row shows on the page


def _row(actor, action, *, village=None, target=None, at=None, **detail):
    row = AuditLog(actor=actor, action=action, target=target, village_id=village.id if village else None,
                   detail=detail, at=at or datetime.now(UTC))  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def villages(db):
    a, b = make_village("甲村"), make_village("乙村")
    _row("甲村干部(jia)", "points.award", village=a, target="points_entry:1", reason="甲村打扫卫生")
    _row("乙村干部(yi)", "points.award", village=b, target="points_entry:2", reason="乙村修路")
    _row("县里(xian)", "privacy.rotate_keys", target="villagers", rows=3)
    return a, b


def _search(client, query: str = ""):
    """The search form sent as the page sends it: by POST (``query`` written as a query string)."""
    return post(client, "/admin/audit", dict(parse_qsl(query.lstrip("?"))), form_url="/admin/audit")


def _page(client, query: str = "") -> str:
    response = _search(client, query) if query else client.get("/admin/audit")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_a_village_admin_sees_only_their_villages_rows(client, villages):
    a, b = villages
    login(client, make_account(b, "village_admin"))

    page = _page(client)
    assert "乙村修路" in page
    assert "甲村打扫卫生" not in page and "甲村干部" not in page
    assert ROTATED not in page  # rows with no village are not a village's business
    for query in ("?actor=jia", "?action=points.", "?target=points_entry:1", "?actor=甲村"):
        assert "甲村打扫卫生" not in _page(client, query)
    assert _search(client, f"?village={a.id}").status_code == 404


def test_a_town_admin_sees_the_towns_villages_but_no_unplaced_rows(client, villages):
    a, b = villages
    login(client, make_account(a.parent, "town_admin", totp=True))

    page = _page(client)
    assert "乙村修路" in page and "甲村打扫卫生" in page
    assert ROTATED not in page
    only_a = _page(client, f"?village={a.id}")
    assert "甲村打扫卫生" in only_a and "乙村修路" not in only_a


def test_a_county_admin_sees_unplaced_rows_only_when_theirs_is_the_only_county(client, villages):
    a, _ = villages
    login(client, make_account(a.parent.parent, "county_admin", totp=True))
    assert ROTATED in _page(client)

    make_village("外村", "外镇", "外县")  # a second county: a row with no village could be theirs
    assert ROTATED not in _page(client)
    assert "甲村打扫卫生" in _page(client)


def test_filters_actor_action_target_and_dates(client, db):
    v = make_village("甲村")
    household = make_household(v, "0707")
    now = datetime.now(UTC)
    _row("张三(zhangsan)", "points.award", village=v, target=f"household:{household.id}", at=now, reason="今天的")
    _row(
        "李四(lisi)",
        "register.edit",
        village=v,
        target="household:999999",
        at=now - timedelta(days=10),
        reason="前几天",
    )
    _row("李四(lisi)", "account.create", village=v, target="account:1", at=now - timedelta(days=40), reason="很久以前")
    login(client, make_account(v, "village_admin"))

    def reasons(query):
        page = _page(client, query)
        return {r for r in ("今天的", "前几天", "很久以前") if r in page}

    assert reasons("?actor=李四") == {"前几天", "很久以前"}
    assert reasons("?action=register.") == {"前几天"}
    assert reasons("?action=account.") == {"很久以前"}
    assert reasons("?target=0707") == {"今天的"}  # a household number finds that household's rows
    assert reasons(f"?target=household:{household.id}") == {"今天的"}
    start = (now - timedelta(days=20)).astimezone(VILLAGE_TZ).date().isoformat()
    end = (now - timedelta(days=5)).astimezone(VILLAGE_TZ).date().isoformat()
    assert reasons(f"?start={start}&end={end}") == {"前几天"}
    assert "0707户" in _page(client, "?target=0707")  # the target shown by its household number


def test_bad_dates_get_a_chinese_message(client, villages):
    login(client, make_account(villages[0], "village_admin"))

    response = _search(client, "?start=2026-13-01")
    assert response.status_code == 400
    assert "开始日期的格式不对" in response.get_data(as_text=True)
    response = _search(client, "?start=2026-03-02&end=2026-03-01")
    assert "开始日期不能晚于结束日期" in response.get_data(as_text=True)


def test_newest_first_and_paged(client, db):
    v = make_village("甲村")
    start = datetime.now(UTC) - timedelta(hours=2)
    for i in range(60):
        _row("干部(gb)", "points.award", village=v, at=start + timedelta(minutes=i), reason=f"第{i:02d}条")
    login(client, make_account(v, "village_admin"))

    first = _page(client, "?action=points.")
    assert "共 60 条" in first and "第 1 / 2 页" in first
    assert first.index("第59条") < first.index("第58条")
    assert "第09条" not in first
    second = _page(client, "?action=points.&page=2")
    assert "第09条" in second and "第00条" in second and "第59条" not in second


def test_details_are_readable_and_mask_ids_and_phones(client, db):
    v = make_village("甲村")
    _row("干部(gb)", "settings.update", village=v, target=f"village:{v.id}",
         before={"slogan": "旧标语"}, after={"slogan": "新标语", "duty_phone": "13807371234"},
         note="身份证 430923199001011234")  # fmt: skip
    login(client, make_account(v, "village_admin"))

    page = _page(client)
    assert "修改前" in page and "标语：旧标语" in page and "标语：新标语" in page
    assert "13807371234" not in page and "138****1234" in page
    assert "430923199001011234" not in page and "430923***********4" in page


def test_the_log_is_append_only(db):
    v = make_village("甲村")
    audit.record("干部", "points.award", village_id=v.id, reason="原样")
    db.session.commit()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "points.award"))

    row.detail = {"reason": "改过"}
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLog, row.id))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditLog, row.id).detail == {"reason": "原样"}


def test_only_admins_open_the_log(client, villages):
    login(client, make_account(villages[0], "cadre"))
    assert client.get("/admin/audit").status_code == 403


def test_search_terms_never_appear_in_a_url(client, db):
    v = make_village("甲村")
    household = make_household(v, "0707")
    start = datetime.now(UTC) - timedelta(hours=2)
    for i in range(60):
        _row("李四(lisi)", "points.award", village=v, target=f"household:{household.id}",
             at=start + timedelta(minutes=i), reason=f"第{i:02d}条")  # fmt: skip
    login(client, make_account(v, "village_admin"))

    first = _search(client, "?actor=李四&target=0707")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "共 60 条" in html  # answered in place, not redirected to a GET URL
    urls = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    assert urls and not [u for u in urls if "0707" in unquote(u) or "李四" in unquote(u) or "lisi" in u]
    # The next page is a form repeating the search by POST, never a link.
    pager = re.search(r'<form method="post" action="/admin/audit">(.*?)</form>', html, re.S).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', pager))
    assert (fields["actor"], fields["target"], fields["page"]) == ("李四", "0707", "2")
    second = post(
        client, "/admin/audit", {k: v for k, v in fields.items() if k != "csrf_token"}, form_url="/admin/audit"
    )
    assert "第 2 / 2 页" in second.get_data(as_text=True) and "第00条" in second.get_data(as_text=True)
    # Terms put into a URL by hand do not search (nobody is led to build such links).
    by_hand = client.get("/admin/audit?actor=nobody&target=none").get_data(as_text=True)
    assert (
        "第59条" in by_hand
        and re.search(r"共 \d+ 条", by_hand).group() == re.search(r"共 \d+ 条", _page(client)).group()
    )
