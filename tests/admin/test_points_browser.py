"""Issue 4 item 13 in a real headless Chromium: a cadre awards points with a photo in three steps
from the dashboard (type and search, pick, fill and submit), then sees the entry in the ledger."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Photo, PointsEntry, PointsRule
from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import make_household, make_village

pytestmark = needs_chromium


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_award_points_with_a_photo_in_three_steps_from_the_dashboard(office_page):
    page, base = office_page
    village = make_village("大苍村")
    wanted = make_household(village, "0101001", members=2)
    make_household(village, "0203004", group=2)  # the other 刘建华: the search has two answers
    rule = PointsRule(village_id=village.id, category="好人好事", item="拾金不昧", points=10, evidence_required=True)
    db.session.add(rule)
    db.session.commit()
    account = make_account(village, "cadre")
    browser_login(page, base, account)
    page.goto(f"{base}/admin/")

    steps = 0
    # Step 1: type a name in the dashboard's box and search.
    page.fill("input[name=q]", "刘建华")
    page.click("button:has-text('发放积分')")
    steps += 1
    page.wait_for_url(f"{base}/admin/points/award?q=*")
    assert "找到 2 户" in page.inner_text("main")

    # Step 2: pick the household; the name searched is the person awarded (issue 10 item 8).
    page.click(f"#pick-list a[href^='/admin/points/award/{wanted.id}?villager_id=']")
    steps += 1
    page.wait_for_url(f"{base}/admin/points/award/{wanted.id}?villager_id={wanted.head_id}")

    # Step 3: choose the rule (points, category and reason fill in), attach a photo, submit.
    page.select_option("#rule_id", str(rule.id))
    assert page.input_value("#points") == "10"
    assert page.input_value("#category") == "好人好事"
    assert page.input_value("#reason") == "拾金不昧"
    page.fill("#reason", "拾金不昧：捡到钱包交还失主")
    page.fill("#place", "村部门口")
    page.set_input_files("#photos", files=[{"name": "wallet.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}])
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # fits an office screen
    page.dblclick("#award-form button[type=submit]")  # an impatient double click still awards once
    steps += 1
    page.wait_for_url(f"{base}/admin/points?household_id={wanted.id}")
    assert steps == 3

    assert "已给刘建华（0101001户）加10分" in page.inner_text(".alert-success")
    row = page.locator("#ledger tbody tr").first
    assert "拾金不昧：捡到钱包交还失主" in row.inner_text()
    assert "+10" in row.inner_text() and "1 张" in row.inner_text() and account.display_name in row.inner_text()

    db.session.expire_all()
    [entry] = db.session.scalars(select(PointsEntry).where(PointsEntry.household_id == wanted.id)).all()
    assert (entry.points, entry.rule_id, entry.place, entry.villager_id) == (10, rule.id, "村部门口", wanted.head_id)
    assert db.session.scalars(select(Photo.points_entry_id)).all() == [entry.id]

    # The entry's page shows the photo itself.
    row.locator("a:has-text('详情')").click()
    page.wait_for_url(f"{base}/admin/points/{entry.id}")
    thumb = page.locator("#evidence img").first
    thumb.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", thumb.element_handle())
