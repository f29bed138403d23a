"""Fit for cadres (issue 4, point 13): every back-office page, opened in headless Chromium on a
1366×768 office screen, renders without a script error and without a horizontal scroll bar."""

from __future__ import annotations

from tests.admin.conftest import browser_login, needs_chromium
from tests.admin.test_scope_walk import SIGN_IN, _admin_rules, village_a  # noqa: F401 (fixture)
from tests.admin_helpers import login, make_account

pytestmark = needs_chromium


def _html_pages(app, client, ids: dict) -> list[str]:
    """Every GET page of the back office with village A's ids, as the test client sees it: only
    HTML answers (not images, PDFs, workbooks or redirects)."""
    urls = []
    for rule in _admin_rules(app):
        if "GET" not in rule.methods or rule.endpoint in SIGN_IN:
            continue
        values = {a: ids[a][0] for a in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            urls.append(url)
    return urls


def test_every_page_fits_an_office_screen_without_script_errors(app, client, office_page, village_a):  # noqa: F811
    from app.extensions import db
    from app.models import Region

    page, base = office_page
    village = db.session.get(Region, village_a["village_id"][0])
    account = make_account(village, "village_admin")
    login(client, account)
    urls = _html_pages(app, client, village_a)
    assert len(urls) >= 20, urls

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    browser_login(page, base, account)
    too_wide = {}
    for url in urls:
        page.goto(base + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1366:
            too_wide[url] = width
    assert not too_wide, f"pages wider than 1366 px: {too_wide}"
    assert not errors, errors
