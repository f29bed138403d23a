"""A villager's first visit to a household page, in a real headless Chromium (issue 10, item 5):
the bytes that cross the wire fit the weak-4G budget. The first-paint time is measured by
`make bench` (bench/first_paint.py), never by a timed test."""

from __future__ import annotations

from tests.browser import needs_chromium
from tests.helpers import award, code_of, make_household, make_village

pytestmark = needs_chromium

FIRST_VISIT_BUDGET = 60 * 1024  # bytes on the wire, headers included


def test_a_first_visit_to_the_household_page_stays_within_60_kb(chromium, live_server, db):
    village = make_village()
    home = make_household(village, "0307", group=3, members=5, motto="勤俭持家，孝老爱亲")
    for i in range(25):  # more than one page of history
        award(home, 2 if i % 4 else -1, reason=f"清理老水渠第{i + 1}段", place="老水渠", category="志愿服务")

    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # cold cache
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        wire: dict[str, tuple[str, int]] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on(
            "Network.loadingFinished",
            lambda e: wire.__setitem__(e["requestId"], (urls.get(e["requestId"], "?"), int(e["encodedDataLength"]))),
        )
        cdp.send("Network.enable")
        response = page.goto(f"{live_server}/h/{code_of(home)}", wait_until="load")
        assert response.status == 200
        page.wait_for_timeout(300)  # the last loadingFinished events
        assert page.locator(".v-entry").count() >= 20  # the real page, with its history

        total = sum(size for _, size in wire.values())
        assert wire and total <= FIRST_VISIT_BUDGET, f"{total} bytes: {sorted(wire.values(), key=lambda w: -w[1])}"
        assert response.headers.get("content-encoding") in ("zstd", "br", "gzip")
        # The page is styled by what it carries: large type without a single style sheet fetched.
        assert not [url for url, _ in wire.values() if url.endswith(".css") or ".css?" in url]
        assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 18
    finally:
        context.close()
