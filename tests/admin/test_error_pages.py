"""Error answers per surface, through the real handlers: a real 500 (a view that raises, with
exceptions not propagated, as in production), an over-long query, codes no view handles. Each
is Chinese on the villager pages and the back office, and the JSON envelope under /api/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.models import AuditLog
from app.query_limits import SEARCH_MAXLENGTH
from tests.admin_helpers import csrf_token
from tests.helpers import code_of, make_household, make_village

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PAGES = ("Internal Server Error", "Bad Request", "Method Not Allowed", "Request Line is too large",
                 "The server encountered", "Not Found</h1>", "Redirecting")  # fmt: skip


def _readable(response) -> str:
    html = response.get_data(as_text=True)
    assert CHINESE.search(html), html[:300]
    for english in ENGLISH_PAGES:
        assert english not in html, english
    return html


@pytest.fixture
def crash(app, monkeypatch):
    """``crash(module, name)`` makes that function raise, as a bug would, with Flask handling
    the exception the way it does in production (TESTING would re-raise it into the test)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    return lambda module, name: monkeypatch.setattr(module, name, broken)


def test_a_real_500_on_the_villager_page_is_chinese_in_the_villager_layout(client, db, crash):
    import app.web.household as view

    household = make_household()
    crash(view, "cached_view")
    response = client.get(f"/h/{code_of(household)}")
    assert response.status_code == 500
    html = _readable(response)
    assert "系统出了点问题" in html and "weui" in html  # base_villager.html, not the back office's


def test_a_real_500_in_the_api_is_the_envelope(client, db, crash):
    import miniprogram_api.households as view

    household = make_household()
    crash(view, "cached_view")
    response = client.get(f"/api/mp/v1/households/{code_of(household)}")
    assert response.status_code == 500
    body = response.get_json()
    assert body["ok"] is False and set(body["error"]) == {"code", "message", "field"}
    assert CHINESE.search(body["error"]["message"])


def test_a_real_500_in_the_back_office_is_its_own_page(client, db, crash, auth):
    import app.admin.dashboard as view

    auth.login(make_village())
    crash(view, "render_template")
    response = client.get("/admin/")
    assert response.status_code == 500
    html = _readable(response)
    assert "系统出了点问题" in html and "回到首页" in html  # admin/error.html in the back office layout


def test_a_wrong_method_or_expired_form_is_chinese_on_every_surface(client, db):
    household = make_household()
    for url in ("/admin/login", f"/h/{code_of(household)}"):
        response = client.delete(url)
        assert response.status_code == 405
        _readable(response)
    response = client.delete(f"/api/mp/v1/households/{code_of(household)}")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert CHINESE.search(response.get_json()["error"]["message"])
    expired = client.post("/admin/login", data={"username": "x", "password": "y", "csrf_token": "stale"})
    assert expired.status_code == 400 and "页面已过期" in _readable(expired)


def test_an_unknown_admin_url_is_the_back_office_404(client, db):
    response = client.get("/admin/no-such-page")
    assert response.status_code == 404
    assert "没有找到" in _readable(response)


def test_an_over_long_query_is_refused_in_chinese_before_any_search(client, db, auth):
    village = make_village()
    make_household(village, "0101")
    auth.login(village, "village_admin")
    long = "刘" * 10_000
    token = csrf_token(client, "/admin/households")  # a list read: audited, before the count
    reads_before = db.session.scalar(select(func.count()).select_from(AuditLog))
    for url in ("/admin/households", "/admin/villagers", "/admin/points/award", "/admin/plaques"):
        response = client.get(url, query_string={"q": long})
        assert response.status_code == 400, url
        assert "太长" in _readable(response)
    # The register search is POSTed, then redirected to a GET URL: refused before the redirect.
    form = {"q": long, "csrf_token": token}
    response = client.post("/admin/households", data=form)
    assert response.status_code == 400 and "太长" in _readable(response)
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == reads_before  # no search ran
    # A search a little longer than the box allows is still answered.
    assert client.get("/admin/households", query_string={"q": "刘" * (SEARCH_MAXLENGTH + 10)}).status_code == 200


def test_an_over_long_query_on_the_villager_page_and_the_api(client, db):
    code = code_of(make_household())
    response = client.get(f"/h/{code}", query_string={"page": "1" * 5000})
    assert response.status_code == 400 and "太长" in _readable(response)
    api = client.get(f"/api/mp/v1/households/{code}", query_string={"page": "1" * 5000})
    assert api.status_code == 400
    assert api.get_json()["error"]["field"] == "page" and "太长" in api.get_json()["error"]["message"]


def test_every_search_box_stops_at_the_maxlength(client, db, auth):
    village = make_village()
    household = make_household(village, "0101")
    auth.login(village, "village_admin")
    pages = ("/admin/", "/admin/households", "/admin/villagers", "/admin/plaques", "/admin/points/award",
             "/admin/points", "/admin/visits", "/admin/audit", f"/admin/households/{household.id}/events/new?kind=move_in")  # fmt: skip
    boxes = 0
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<input\b[^>]*>", html):
            kind = re.search(r'type="([^"]+)"', tag)
            if kind and kind.group(1) != "search" and kind.group(1) != "text":
                continue
            name = re.search(r'name="([^"]+)"', tag).group(1)
            if name in ("q", "find", "actor", "target", "number", "recorded_by", "household_number", "visitor"):
                boxes += 1
                assert f'maxlength="{SEARCH_MAXLENGTH}"' in tag, (url, tag)
    assert boxes >= 12
