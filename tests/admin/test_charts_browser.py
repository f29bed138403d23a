"""The charts page in a real headless Chromium at 1366×768: every chart drawn, no script errors."""

from __future__ import annotations

import os

import pytest

from app.services.statistics import DIMENSIONS
from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import award, make_household, make_village

pytestmark = needs_chromium


@pytest.fixture(autouse=True)
def inline_tasks(app, monkeypatch):
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)


def test_the_charts_page_draws_every_chart_without_errors(office_page):
    page, base = office_page
    village = make_village()
    for members in (1, 3, 4, 5, 7):
        home = make_household(village, members=members)
    home.members[1].skills = "木工、泥瓦匠"
    home.members[2].work_status, home.members[2].work_place = "务工", "长沙"
    award(home, 8)
    award(home, -2, reason="乱倒垃圾")
    account = make_account(village, "cadre")
    errors: list[str] = []

    def console(message):
        # The browser's own favicon request is not the page's doing (the app has no favicon yet).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    browser_login(page, base, account)
    page.goto(f"{base}/admin/charts")
    assert page.locator("h1").inner_text() == "统计图表 · 大苍村"
    for key in ["points", *(d.key for d in DIMENSIONS)]:
        canvas = page.locator(f"#chart-{key} canvas")
        canvas.first.wait_for(state="visible")
        box = canvas.first.bounding_box()
        assert box["width"] > 200 and box["height"] > 150, (key, box)
    # Laid out for an office screen: nothing wider than the window, two charts side by side.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    first = page.locator("#chart-household_size").bounding_box()
    second = page.locator("#chart-household_category").bounding_box()
    assert abs(first["y"] - second["y"]) < 5 and second["x"] > first["x"] + first["width"]
    assert page.locator("#table-skills").inner_text().count("木工") == 1
    if os.environ.get("CHARTS_SCREENSHOT"):
        page.screenshot(path=os.environ["CHARTS_SCREENSHOT"], full_page=True)
    page.click("text=首页")
    assert page.locator("#stat-households").inner_text() == "5" and page.locator("#stat-people").inner_text() == "20"
    assert page.locator("#stat-points-month").inner_text() == "6"
    if os.environ.get("CHARTS_SCREENSHOT"):
        page.screenshot(path=os.environ["CHARTS_SCREENSHOT"].replace(".png", "-dashboard.png"))
    assert errors == []
