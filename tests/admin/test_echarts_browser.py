"""The back office's 1 MB ECharts (issue 10, item 5): loaded on the charts page only, and
compressed on the wire; the other pages do not pay for it."""

from __future__ import annotations

from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import award, make_household, make_village

pytestmark = needs_chromium


def test_echarts_is_loaded_only_on_the_charts_page_and_compressed(office_page):
    page, base = office_page
    village = make_village()
    award(make_household(village, members=3), 5)
    account = make_account(village, "cadre")
    cdp = page.context.new_cdp_session(page)
    urls: dict[str, str] = {}
    wire: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: wire.__setitem__(urls.get(e["requestId"], "?"), int(e["encodedDataLength"])),
    )
    cdp.send("Network.enable")
    echarts: list = []
    page.on("response", lambda r: echarts.append(r) if "/echarts" in r.url else None)

    browser_login(page, base, account)
    for path in ("/admin/", "/admin/points", "/admin/households", "/admin/villagers"):
        assert page.goto(f"{base}{path}", wait_until="load").status == 200, path
    assert echarts == [], [r.url for r in echarts]

    page.goto(f"{base}/admin/charts", wait_until="load")
    page.locator("#chart-points canvas").first.wait_for(state="visible")
    assert len(echarts) == 1
    script = echarts[0]
    assert script.status == 200 and script.headers.get("content-encoding") in ("br", "gzip")
    assert "immutable" in script.headers.get("cache-control", "")
    page.wait_for_timeout(200)
    on_wire = wire[script.url]
    assert on_wire < 400 * 1024, on_wire  # 1 MB of script, about a third of it on the wire
