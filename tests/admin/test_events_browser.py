"""In a real browser at an office screen's size: a cadre records the death of a household head;
the form will not take it without a new head, then does, and the timeline shows it."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Household, Villager
from tests.admin.conftest import browser_login, needs_chromium
from tests.admin.test_events import family
from tests.admin_helpers import make_account
from tests.helpers import make_village


@needs_chromium
def test_cadre_records_the_head_s_death_and_must_name_a_new_head(office_page):
    page, base = office_page
    village = make_village()
    household = family(village)
    head_id, son_id = household.head_id, db.session.scalar(select(Villager.id).where(Villager.name == "刘强"))
    cadre = make_account(village, "cadre")
    browser_login(page, base, cadre)

    page.goto(f"{base}/admin/households/{household.id}")
    page.click("#event-buttons a:has-text('死亡')")
    page.wait_for_url("**/events/new?kind=death")
    page.select_option("#villager_id", str(head_id))
    page.click("button[value=record]")
    page.wait_for_load_state()
    assert "必须同时指定新户主" in page.inner_text(".alert-danger")
    db.session.expire_all()
    assert db.session.get(Household, household.id).head_id == head_id  # nothing changed
    assert page.input_value("#villager_id") == str(head_id)  # the choice is kept

    page.select_option("#new_head_id", str(son_id))
    page.click("button[value=record]")
    page.wait_for_url(f"{base}/admin/households/{household.id}#timeline")
    assert "新户主：刘强" in page.inner_text(".alert-success")
    assert "户主 刘强" in page.inner_text("h1")
    latest = page.locator("#timeline li").first.inner_text()
    assert "死亡" in latest and "刘建华" in latest and cadre.display_name in latest
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    db.session.expire_all()
    assert db.session.get(Household, household.id).head_id == son_id
