"""The Content-Security-Policy in a real Chromium (issue 9, item 7): the villager's and the
back office's pages run and draw under it with no violation, and it really blocks an inline
script (so a page passing is not a page without a policy).

Violations are collected twice: the ``securitypolicyviolation`` events the page fires (listened
for by a script Playwright adds outside the page's CSP) and Chromium's console messages.
"""

from __future__ import annotations

import pytest

from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import award, code_of, make_household, make_village

pytestmark = needs_chromium

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${document.location.pathname}`));
"""


class Watch:
    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response.status < 400, (url, response.status)
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", ""), url
        self.page.wait_for_load_state("networkidle")
        self.assert_clean()

    def assert_clean(self) -> None:
        events = self.page.evaluate("window.__csp || []")
        assert events == [] and self.console == [], (events, self.console)

    def inline_script_is_blocked(self) -> bool:
        """Add an inline script to the page as injected markup would; CSP must stop it."""
        ran = self.page.evaluate(
            """() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                       document.body.appendChild(s); return window.__ran === 1; }"""
        )
        self.page.wait_for_timeout(100)  # the violation event is queued as a task
        blocked = not ran and any("script-src" in v for v in self.page.evaluate("window.__csp"))
        self.page.evaluate("window.__csp = []")
        self.console.clear()
        return blocked


@pytest.fixture
def village_data(db):
    village = make_village()
    household = make_household(village, "0101", members=3)
    award(household, 6, villager=household.head)
    award(household, -2, reason="乱倒垃圾")
    return village, household


def test_villager_pages_pass_the_policy(chromium, live_server, village_data):
    _, household = village_data
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    watch.visit(f"{live_server}/h/{code_of(household)}")
    assert watch.inline_script_is_blocked()
    # Become a sandbox WeChat user, then open "我的" through the real silent OAuth round trip.
    watch.visit(f"{live_server}/sandbox/")
    page.fill("input[name=nickname]", "王小梅")
    page.locator("form[action$='/sim/users'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    watch.assert_clean()
    for path in ("/me", "/me/bind", "/me/inbox"):
        watch.visit(f"{live_server}{path}")
        assert "/me" in page.url
    context.close()


def test_back_office_pages_pass_the_policy(office_page, village_data):
    page, base = office_page
    village, household = village_data
    watch = Watch(page)
    browser_login(page, base, make_account(village, "village_admin"))
    watch.assert_clean()
    links = page.eval_on_selector_all("a[href^='/admin/']", "els => els.map(e => e.getAttribute('href'))")
    pages = {link.split("#")[0] for link in links} | {
        f"/admin/households/{household.id}",
        f"/admin/villagers/{household.head_id}",
        "/admin/account",
    }
    assert len(pages) > 10, pages
    for path in sorted(pages):
        watch.visit(f"{base}{path}")
    page.goto(f"{base}/admin/charts")
    page.locator("#chart-points canvas").first.wait_for(state="visible")  # ECharts drew under the policy
    watch.assert_clean()
    assert watch.inline_script_is_blocked()
