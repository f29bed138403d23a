"""The charts page and the dashboard's headline numbers (R8), as cadres and town staff see them."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.admin_helpers import login, make_account
from tests.helpers import award, make_household, make_village


@pytest.fixture(autouse=True)
def inline_tasks(app, monkeypatch):
    """Statistics are refreshed in this process right after each commit, on both stacks."""
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)


@pytest.fixture
def two_villages(db):
    """东坪村 (1 household, 3 people, one with 大病) and 西坪村 (4 households, 13 people), both in 冷市镇."""
    east, west = make_village("东坪村"), make_village("西坪村")
    sick = make_household(east, members=3).members[2]
    sick.health = "大病"
    make_household(west, members=4)
    make_household(west, members=3)
    make_household(west, members=5)
    db.session.commit()
    award(make_household(west, members=1), 6)  # one more household, with points this month
    return east, west


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def blob(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="charts-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def cells(html: str, key: str) -> dict[str, str]:
    """What the plain table under one chart says: label → shown number."""
    table = re.search(rf'<table class="table table-sm" id="table-{key}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td>", table)
    return {label: shown.replace("&lt;", "<") for label, shown in rows}


def test_a_village_cadre_sees_exact_numbers_of_their_village_only(client, two_villages):
    east, west = two_villages
    login(client, make_account(east, "cadre"))
    html = page(client, "/admin/charts")
    assert "统计图表 · 东坪村" in html and "西坪村" not in html
    assert cells(html, "health")["大病"] == "1"  # exact for the village's own cadres
    assert cells(html, "household_size") == {"1人户": "0", "2人户": "0", "3人户": "1", "4人户": "0", "5人户": "0", "6人及以上": "0"}
    data = blob(html)
    health = next(c for c in data["charts"] if c["key"] == "health")
    assert {"label": "大病", "value": 1, "shown": "1", "share": 33.3} in health["cells"]
    assert client.get(f"/admin/charts?village={west.id}").status_code == 404
    assert client.get("/admin/charts?village=abc").status_code == 404


def test_town_staff_see_the_villages_summed_with_small_cells_suppressed(client, two_villages):
    east, west = two_villages
    login(client, make_account(east.parent, "town_admin", totp=True))
    html = page(client, "/admin/charts")
    assert "冷市镇（2个村汇总）" in html and "已统计 2 / 2 个村" in html
    health = cells(html, "health")
    assert health["大病"] == "<5" and "1" not in health.values()
    # The one small health cell would follow from the total: the smallest other cell is hidden too.
    assert health["未填"] == "隐去"
    assert re.search(r'在册人数</span><span class="a-stat-value">16<', html)  # 3 + 13 people
    ages = cells(html, "age_band")
    assert ages["18-35岁"] == "11"  # 2 in 东坪村 + 9 in 西坪村: a small part of one village counts in the sum
    assert ages["36-59岁"] == "5"  # the five heads
    assert re.search(r"<td>西坪村</td>\s*<td[^>]*>&lt;5</td>\s*<td[^>]*>13</td>\s*<td[^>]*>6</td>", html)
    assert "<td>东坪村</td>" in html
    data = blob(html)
    assert next(c for c in data["charts"] if c["key"] == "health")["suppressed"] is True
    assert 1 not in [c["value"] for ch in data["charts"] for c in ch["cells"]]  # no small number in the JSON either
    one = page(client, f"/admin/charts?village={east.id}")
    assert "统计图表 · 东坪村" in one and cells(one, "health")["大病"] == "<5"


def test_the_charts_page_reads_no_register_or_ledger_table(app, client, two_villages):
    east, _ = two_villages
    login(client, make_account(east.parent, "town_admin", totp=True))
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page(client, "/admin/charts")
        page(client, f"/admin/charts?village={east.id}")
        page(client, "/admin/")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert any("register_stats" in s for s in statements) and any("points_totals" in s for s in statements)
    touching = [s for s in statements if re.search(r"\b(villagers|households|points_entries)\b", s)]
    assert touching == []


def test_the_dashboard_shows_households_people_and_points_this_month(client, two_villages):
    _, west = two_villages
    login(client, make_account(west, "cadre"))
    html = page(client, "/admin/")
    assert re.search(r'id="stat-households">4<', html)
    assert re.search(r'id="stat-people">13<', html)
    assert re.search(r'id="stat-points-month">6<', html)
    assert 'href="/admin/charts"' in html


def test_the_points_chart_table_shows_this_months_awards(client, two_villages):
    _, west = two_villages
    login(client, make_account(west, "cadre"))
    html = page(client, "/admin/charts")
    table = re.search(r'<table class="table table-sm c-points" id="table-points">(.*?)</table>', html, re.S).group(1)
    awarded = re.findall(r"<td>(-?\d+)</td>", re.search(r"<th scope=\"row\">加分</th>(.*?)</tr>", table).group(1))
    assert len(awarded) == 12 and awarded[-1] == "6" and set(awarded[:-1]) == {"0"}
    assert blob(html)["points"]["net"][-1] == 6


def test_roles_without_charts_are_refused(client, two_villages):
    east, _ = two_villages
    login(client, make_account(east, "coop_clerk"))
    assert client.get("/admin/charts").status_code == 403
    assert 'id="stat-people"' not in page(client, "/admin/")


def test_a_group_leader_sees_the_village_with_small_cells_suppressed(client, two_villages):
    east, _ = two_villages
    group_id = east.groups[0].id
    login(client, make_account(east, "group_leader", group_id=group_id))
    html = page(client, "/admin/charts")
    assert "统计图表 · 东坪村" in html and cells(html, "health")["大病"] == "<5"
