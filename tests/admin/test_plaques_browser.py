"""A village cadre prints the village's plaques and reissues a lost one, in a real headless Chromium."""

from __future__ import annotations

import pytest

from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import code_of, make_household, make_village

pytestmark = needs_chromium


@pytest.fixture
def inline(app, monkeypatch):
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)
    monkeypatch.setitem(app.config, "TASKS_INLINE_SYNC", True)


def test_print_the_village_then_reissue_a_lost_plaque(office_page, inline, tmp_path):
    page, base = office_page
    village = make_village("小塘村")
    households = [make_household(village, n) for n in ("0101", "0102")]
    old = code_of(households[1])
    browser_login(page, base, make_account(village, "village_admin"))

    page.click("text=门牌打印")
    page.click("text=生成全村门牌 PDF")
    page.wait_for_selector("text=下载门牌 PDF")
    assert "2 / 2" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("text=下载门牌 PDF")
    saved = tmp_path / "plaques.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.click("text=返回门牌打印")
    page.fill("input[name=q]", "0102")
    page.click("text=查找")
    page.once("dialog", lambda dialog: dialog.accept())  # "确定给 0102 户换发新户码吗？"
    page.click("text=换发户码")
    page.wait_for_selector(".alert-success")
    assert "0102户已换发新户码" in page.inner_text(".alert-success")
    assert code_of(households[1]) != old
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
