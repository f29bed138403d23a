"""In a real headless Chromium at 1366×768: a cadre files an ID card, sees no image until clicking
查看, then sees it watermarked, and that one click is in the audit log; a visit with a photo."""

from __future__ import annotations

from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Photo, Visit
from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import make_account
from tests.helpers import make_household, make_village

pytestmark = needs_chromium


def _photo_file(tmp_path, name="idcard.jpg"):
    path = tmp_path / name
    Image.new("RGB", (640, 400), (220, 220, 210)).save(path, format="JPEG")
    return str(path)


def _views() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "archive.view"))


def test_file_an_id_card_and_view_it_only_on_request(office_page, tmp_path):
    page, base = office_page
    village = make_village()
    household = make_household(village, "0101")
    account = make_account(village, "cadre")
    browser_login(page, base, account)

    page.goto(f"{base}/admin/households/{household.id}/archive")
    page.select_option("#kind", "id_card")
    page.select_option("#villager_id", str(household.head.id))
    page.fill("#caption", "正面")
    page.set_input_files("#photos", _photo_file(tmp_path))
    page.click("button:has-text('上传存档')")
    page.wait_for_selector("#archive-list")
    assert "已存档 1 张身份证照片" in page.inner_text(".alert-success")
    assert page.locator("#archive-viewer img[src]").count() == 0 and _views() == 0

    page.click("#archive-list a:has-text('查看')")
    image = page.locator("#archive-viewer img")
    image.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#archive-viewer img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('#archive-viewer img').naturalWidth") == 640
    assert _views() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.click("#archive-viewer button:has-text('关闭')")
    assert not image.is_visible()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 1


def test_record_a_visit_with_a_photo_in_the_browser(office_page, tmp_path):
    page, base = office_page
    village = make_village()
    household = make_household(village, "0101")
    browser_login(page, base, make_account(village, "work_team"))

    page.goto(f"{base}/admin/households/{household.id}/visits")
    page.click("a:has-text('登记一次走访')")
    assert page.input_value("#household_number") == "0101"
    page.fill("#people_met", "户主")
    page.fill("#content", "了解春耕准备情况，化肥已备齐。")
    page.set_input_files("#photos", _photo_file(tmp_path, "field.png"))
    page.click("button:has-text('保存')")
    page.wait_for_url(f"{base}/admin/visits/*")
    assert "已登记这次走访" in page.inner_text(".alert-success")
    assert "化肥已备齐" in page.inner_text("main")
    page.wait_for_function("[...document.querySelectorAll('main img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
