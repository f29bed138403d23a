"""The household page at 320 px with WeChat's larger font (issue 10, item 7): the member table fits.

WeChat's font setting on Android scales every text size of the page (the WebView's text zoom),
pixel sizes included; it is emulated here by scaling each element's computed font size. The
villager's context still has JavaScript off: Playwright's ``evaluate`` is the test's hand, not
the page's.
"""

from __future__ import annotations

import pytest

from tests.web.test_household_browser import (  # noqa: F401  (fixtures)
    browser,
    live_server,
    no_horizontal_overflow,
    scene,
    villager_page,
)

SCALE_TEXT = """(factor) => {
  const all = [...document.querySelectorAll('body, body *')];
  const sizes = all.map(el => parseFloat(getComputedStyle(el).fontSize));
  all.forEach((el, i) => el.style.setProperty('font-size', (sizes[i] * factor) + 'px', 'important'));
}"""
TABLE_FITS = """() => [...document.querySelectorAll('.v-table')].map(t => {
  const wrap = t.parentElement;
  return {table: Math.ceil(t.getBoundingClientRect().width), room: wrap.clientWidth, scroll: wrap.scrollWidth};
})"""


@pytest.mark.parametrize("factor", [1.3, 1.5])
def test_member_table_fits_320px_with_larger_font(live_server, villager_page, scene, factor):  # noqa: F811
    page = villager_page(320)
    assert page.goto(f"{live_server}/h/{scene.code}").status == 200
    page.evaluate(SCALE_TEXT, factor)
    tables = page.evaluate(TABLE_FITS)
    assert tables, "the member table is on the page"
    for t in tables:
        assert t["scroll"] <= t["room"], f"at {factor}× the member table needs {t['scroll']}px in {t['room']}px"
    no_horizontal_overflow(page)
    names = [cell.split("\n")[0] for cell in page.locator(".v-table tbody th").all_inner_texts()]
    assert sorted(names) == sorted(scene.member_names)
