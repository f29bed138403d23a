"""The household page (H1, H2) in a real headless Chromium, as a villager's WeChat shows it.

The session app is served over real HTTP by werkzeug in a background thread; Debian's Chromium
is driven by Playwright's Python package (no browser download). The villager's browser context
has JavaScript disabled, so everything checked here works without a single script. (Playwright's
own ``evaluate`` still runs in a disabled context, which is how computed styles and layout are
measured; the page's scripts never run.)
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db as _db
from app.models import HouseholdHonour
from app.services import clock, codes, page_cache, standings
from app.services.points import reverse_entry
from tests.helpers import award, code_of, make_household, make_village

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's Chromium is not installed at /usr/bin/chromium (`make chromium` installs it); "
    "the browser tests are only skipped outside CI",
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WECHAT_ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 12; M2012K11AC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 "
    "MMWEBSDK/20230303 MMWEBID/6088 MicroMessenger/8.0.34.2340(0x2800225B) WeChat/arm64 Weixin "
    "NetType/4G Language/zh_CN ABI/arm64"
)
SLOGAN = "乡村振兴强国梦 美丽大苍在行动"
MOTTO = "勤俭持家，孝老爱亲"
HONOUR = "道德模范之家"
MINUS = "\u2212"  # the page prints deductions with a true minus sign


def date_cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# --- server and browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(app):
    """The session app on a real HTTP server (random port) for the duration of this module."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def villager_page(browser):
    """A factory for pages in a WeChat-on-Android context with JavaScript switched off."""
    contexts = []

    def open_page(width: int = 390):
        context = browser.new_context(
            java_script_enabled=False,
            viewport={"width": width, "height": 844},
            user_agent=WECHAT_ANDROID_UA,
            locale="zh-CN",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# --- data --------------------------------------------------------------------------------------


@dataclass
class Scene:
    code: str
    household_id: int
    today: date
    last_year: date
    totals: dict
    ranks: dict
    head: dict
    secrets: list[str] = field(default_factory=list)
    member_names: list[str] = field(default_factory=list)


@pytest.fixture
def scene(db):
    """Household 0307 (group 3): 3 members, motto, honour, 25 ledger entries (2 history pages).

    Page 1 (newest first): a reversal, the entry it reversed (+10), a deduction (−3), an award
    to the head (+5), all today, then 16 small awards on 1 January. Page 2: 5 awards last year.
    A rival in group 3 has +50 today and a household in group 1 has nothing, so 0307 ranks
    2nd of 2 in the group and 2nd of 3 in the village.
    """
    today = clock.today()
    last_year = date(today.year - 1, 3, 1)
    village = make_village()
    household = make_household(village, "0307", group=3, members=3, motto=MOTTO)
    rival = make_household(village, "0308", group=3, members=1)
    make_household(village, "0101", group=1, members=1)
    head = household.head

    ledger: list[tuple[date, int]] = []

    def give(points, on, **kw):
        entry = award(household, points, on=on, **kw)
        ledger.append((on, points))
        return entry

    for i in range(5):
        give(2, date(today.year - 1, 3, 1 + i), reason=f"清理老水渠第{i + 1}段", place="老水渠", category="志愿服务")
    for i in range(16):
        give(1, date(today.year, 1, 1), reason=f"打扫屋场公共道路第{i + 1}次", place="屋场", category="环境卫生")
    give(5, today, villager=head, reason="参加义务大扫除", place="村部广场", category="环境卫生")
    give(-3, today, reason="乱堆柴草占道", place="门前道路", category="环境卫生")
    wrong = give(10, today, reason="评为卫生示范户", place="村部", category="公德美德")
    reverse_entry(wrong.id, reason="记错了户，撤销", recorded_by="测试")
    ledger.append((today, -10))
    award(rival, 50, on=today, reason="带头修路", category="志愿服务")

    _db.session.add(HouseholdHonour(household_id=household.id, title=HONOUR, awarded_on=date(today.year, 1, 1)))
    _db.session.commit()
    page_cache.bump_village(village.id)

    totals = standings.totals_for("household", [household.id], today)[household.id]
    # The service's totals agree with the ledger we wrote (so the page is checked against truth).
    assert totals == {
        "month": sum(p for d, p in ledger if (d.year, d.month) == (today.year, today.month)),
        "year": sum(p for d, p in ledger if d.year == today.year),
        "all": sum(p for _, p in ledger),
    }
    ranks = standings.household_ranks(household, totals, today)
    assert (ranks["year"]["group"], ranks["year"]["group_size"]) == (2, 2)
    assert (ranks["year"]["village"], ranks["year"]["village_size"]) == (2, 3)
    head_totals = standings.totals_for("villager", [head.id], today)[head.id]
    assert head_totals == {"month": 5, "year": 5, "all": 5}

    people = household.members
    secrets = [v for m in people for v in (m.id_number, m.phone) if v]
    assert head.id_number in secrets and head.phone in secrets  # the raw values exist to be leaked
    return Scene(
        code=code_of(household),
        household_id=household.id,
        today=today,
        last_year=last_year,
        totals=totals,
        ranks=ranks,
        head={"name": head.name, **head_totals},
        secrets=secrets,
        member_names=[m.name for m in people],
    )


# --- checks ------------------------------------------------------------------------------------


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert scroll <= width, f"page is {scroll}px wide in a {width}px viewport ({page.url})"


def entry_row(page, text: str):
    row = page.locator(".v-entry").filter(has_text=text)
    assert row.count() == 1, f"expected one history row with {text!r}, found {row.count()}"
    return row


def test_household_page_works_without_javascript(live_server, villager_page, scene):
    page = villager_page(390)
    responses: dict[str, int] = {}
    page.on("response", lambda r: responses.__setitem__(r.url.split("?")[0], r.status))
    url = f"{live_server}/h/{scene.code}"
    first = page.goto(url)
    assert first.status == 200
    assert page.locator("script").count() == 0  # nothing on the page needs JavaScript

    # The styles came inline (no style sheet to fetch on weak 4G) and apply: WeUI's cell, large type.
    assert [url for url in responses if "/static/" in url] == [], responses
    assert page.locator(".v-entry").first.evaluate("e => getComputedStyle(e).display") == "flex"  # WeUI's cell
    body_px = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    assert body_px >= 18, f"body text is {body_px}px"
    reason_px = float(page.locator(".v-entry__what").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert reason_px >= 18
    if os.environ.get("HOUSEHOLD_SCREENSHOT"):
        page.screenshot(path=os.environ["HOUSEHOLD_SCREENSHOT"], full_page=True)

    # Who and what: slogan, plaque, motto, honour.
    assert page.locator(".v-banner").inner_text().strip() == SLOGAN
    assert page.locator("h1").inner_text().strip() == "0307号"
    assert "安化县冷市镇大苍村" in page.locator(".v-plaque__place").inner_text()
    assert page.locator(".v-plaque__who strong").inner_text().strip() == scene.head["name"]
    assert page.locator(".v-motto__text").inner_text().strip() == MOTTO
    assert HONOUR in page.locator(".v-honours").inner_text()

    # The three household totals, exactly what the service computed.
    nums = [n.strip() for n in page.locator(".v-total__num").all_inner_texts()]
    assert nums == [str(scene.totals["month"]), str(scene.totals["year"]), str(scene.totals["all"])]
    labels = page.locator(".v-total__label").all_inner_texts()
    assert "本月" in labels[0] and f"{scene.today.month}月" in labels[0]
    assert "本年" in labels[1] and f"{scene.today.year}年" in labels[1]
    assert "累计" in labels[2]

    # Ranks in group and village, year then month.
    rank_lines = [t.strip() for t in page.locator(".v-rank__line").all_inner_texts()]
    expected = []
    for period in ("year", "month"):
        r = scene.ranks[period]
        expected += [
            f"组内第{r['group']}名 / 共{r['group_size']}户",
            f"村内第{r['village']}名 / 共{r['village_size']}户",
        ]
    assert rank_lines == expected
    assert rank_lines[0] == "组内第2名 / 共2户" and rank_lines[1] == "村内第2名 / 共3户"

    # A member's row: the head with their own points.
    rows = page.locator(".v-table tbody tr")
    assert rows.count() == len(scene.member_names)
    head_row = rows.filter(has_text=scene.head["name"])
    cells = [c.strip() for c in head_row.locator("th, td").all_inner_texts()]
    assert cells == [
        f"{scene.head['name']}\n户主",  # the relation under the name (one column fewer at 320 px)
        str(scene.head["month"]),
        str(scene.head["year"]),
        str(scene.head["all"]),
    ]

    # The history: 20 newest of 25, with what, when, where and the signed points.
    assert "共25条" in page.locator("#history-title").inner_text()
    assert page.locator(".v-entry").count() == 20
    today_cn = date_cn(scene.today)
    plus = entry_row(page, "参加义务大扫除")
    plus_text = plus.inner_text()
    assert today_cn in plus_text and "村部广场" in plus_text and scene.head["name"] in plus_text
    assert plus.locator(".v-entry__points").inner_text().strip() == "+5"
    assert "v-plus" in plus.locator(".v-entry__points").get_attribute("class")
    minus = entry_row(page, "乱堆柴草占道")
    assert today_cn in minus.inner_text() and "门前道路" in minus.inner_text() and "全家" in minus.inner_text()
    assert minus.locator(".v-entry__points").inner_text().strip() == f"{MINUS}3"
    assert "v-minus" in minus.locator(".v-entry__points").get_attribute("class")
    # The reversed entry is struck through and marked 已撤销; its correction is tagged 更正.
    reversed_row = entry_row(page, "评为卫生示范户")
    assert "已撤销" in reversed_row.inner_text()
    assert reversed_row.locator("s").first.inner_text().strip() == "评为卫生示范户"
    assert reversed_row.locator(".v-entry__points s").inner_text().strip() == "+10"
    correction = entry_row(page, "记错了户，撤销")
    assert "更正" in correction.inner_text() and "已撤销" not in correction.inner_text()
    assert correction.locator(".v-entry__points").inner_text().strip() == f"{MINUS}10"
    assert page.locator(".v-entry").filter(has_text="已撤销").count() == 1
    first_reasons = page.locator(".v-entry__what").all_inner_texts()
    assert "记错了户，撤销" in first_reasons[0]  # newest first
    assert "打扫屋场公共道路第1次" in page.locator("#history").inner_text()
    assert "清理老水渠" not in page.locator("#history").inner_text()
    assert "第1页/共2页" in page.locator(".v-pager__info").inner_text()

    # Nothing private anywhere: neither the HTML nor the text shows an ID or phone number.
    html, text = page.content(), page.locator("body").inner_text()
    for secret in scene.secrets:
        assert secret not in html and secret not in text
    assert not re.search(r"\d{17}[\dXx]|\d{6}\*+\d{3,4}[\dXx]?", text), "an ID number (or a masked one) is shown"
    assert not re.search(r"1[3-9]\d(\d{4}|\*{4})\d{4}", text), "a phone number (or a masked one) is shown"
    no_horizontal_overflow(page)

    # 下一页 is a plain link: clicking it (no JS) lands on page 2 with the oldest entries.
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url(re.compile(r"\?page=2(#history)?$"))
    assert "第2页/共2页" in page.locator(".v-pager__info").inner_text()
    older = page.locator(".v-entry")
    assert older.count() == 5
    assert all("清理老水渠" in t for t in older.all_inner_texts())
    assert "清理老水渠第5段" in older.first.inner_text()  # still newest first within the page
    assert date_cn(date(scene.last_year.year, 3, 5)) in older.first.inner_text()
    assert "老水渠" in older.last.inner_text() and "+2" in older.last.inner_text()
    assert "参加义务大扫除" not in page.locator("#history").inner_text()
    assert page.get_by_role("link", name="上一页").count() == 1
    assert page.get_by_role("link", name="下一页").count() == 0
    no_horizontal_overflow(page)


def test_household_page_fits_a_320px_phone(live_server, villager_page, scene):
    page = villager_page(320)
    for suffix in ("", "?page=2"):
        assert page.goto(f"{live_server}/h/{scene.code}{suffix}").status == 200
        assert page.locator(".v-entry").count() > 0
        no_horizontal_overflow(page)


def test_unknown_and_replaced_codes(live_server, villager_page, scene):
    page = villager_page(320)

    unknown = page.goto(f"{live_server}/h/Zq8vNw3kLm5pRt7xYb2cHd")
    assert unknown.status == 404
    assert "没有找到这户人家" in page.locator("body").inner_text()
    no_horizontal_overflow(page)

    old = scene.code
    codes.reissue_code(scene.household_id, recorded_by="测试")
    fresh = codes.active_code(scene.household_id)
    assert fresh and fresh != old

    replaced = page.goto(f"{live_server}/h/{old}")
    assert replaced.status < 400
    text = page.locator("body").inner_text()
    assert "已更换" in text and "新门牌" in text
    html = page.content()
    for leaked in [*scene.member_names, MOTTO, HONOUR, "0307", *scene.secrets]:
        assert leaked not in html, f"the replaced page shows {leaked!r}"
    assert page.locator(".v-entry, .v-total, .v-table").count() == 0
    no_horizontal_overflow(page)

    # The new plaque's code shows the household.
    assert page.goto(f"{live_server}/h/{fresh}").status == 200
    assert page.locator("h1").inner_text().strip() == "0307号"
