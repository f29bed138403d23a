"""The household page leads somewhere (issue 10, item 7): the duty phone as a tap-to-call link,
积分细则 one tap away, the village header and a way onward on the 404 and replaced pages, and a
command-line award that refreshes the page as a back-office one does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from app.services import codes, page_cache, rules
from tests.conftest import TEST_KEY
from tests.helpers import code_of, make_household, make_village
from tests.web.test_binding_by_plaque import DUTY, set_duty_phone

ROOT = Path(__file__).resolve().parents[2]


def test_the_household_page_calls_the_duty_phone_and_links_the_rules(client, db):
    household = make_household(number="0101")
    code = code_of(household)
    page = client.get(f"/h/{code}").get_data(as_text=True)
    assert "tel:" not in page  # no duty phone set: no dead link
    set_duty_phone(household.village, DUTY)  # the settings save refreshes the cached page at once
    page = client.get(f"/h/{code}").get_data(as_text=True)
    assert f'href="tel:{DUTY}"' in page
    assert f'href="/h/{code}/rules"' in page


def test_the_rules_page_lists_the_villages_rules_in_use(client, db):
    household = make_household(number="0101")
    village_id = household.village_id
    rules.create_rule(village_id, rules.RuleInput("环境卫生", "清扫屋场公共道路", 5, cap_points=20, cap_period="month"),
                      actor="测试")  # fmt: skip
    rules.create_rule(village_id, rules.RuleInput("孝老爱亲", "照顾孤寡老人", 10), actor="测试")
    stopped = rules.create_rule(village_id, rules.RuleInput("环境卫生", "乱倒垃圾", -3), actor="测试")
    rules.set_active(stopped, False, actor="测试")
    other = make_household(make_village("桃源村"), number="0101")
    rules.create_rule(other.village_id, rules.RuleInput("好人好事", "桃源村的细则", 2), actor="测试")
    set_duty_phone(household.village, DUTY)
    page = client.get(f"/h/{code_of(household)}/rules")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "积分细则" in text
    assert "清扫屋场公共道路" in text and "+5分" in text and "每户每月最多20分" in text
    assert "照顾孤寡老人" in text and "+10分" in text
    assert "乱倒垃圾" not in text and "桃源村的细则" not in text
    assert f'href="tel:{DUTY}"' in text and f'href="/h/{code_of(household)}"' in text
    assert "刘建华" not in text  # no one's name: the catalogue is the village's, not a household's


def test_an_unknown_code_gets_a_general_header_and_a_way_onward(client, db):
    page = client.get("/h/NoSuchCode0000000000")
    text = page.get_data(as_text=True)
    assert page.status_code == 404 and "没有找到这户人家" in text
    assert 'class="v-banner"' in text and 'href="/me"' in text


def test_a_replaced_plaque_shows_its_village_and_the_duty_phone(client, db):
    household = make_household(number="0101")
    set_duty_phone(household.village, DUTY)
    old = code_of(household)
    codes.reissue_code(household.id, recorded_by="测试")
    text = client.get(f"/h/{old}").get_data(as_text=True)
    assert "已更换" in text and "乡村振兴" in text and "安化县冷市镇大苍村" in text
    assert f'href="tel:{DUTY}"' in text and 'href="/me"' in text
    assert "刘建华" not in text and old not in text


def test_a_command_line_award_refreshes_the_household_page(app, client, db, monkeypatch):
    """``flask points award`` runs in a process of its own; the page must not stay stale."""
    household = make_household(number="0101")
    code = code_of(household)
    monkeypatch.setattr(page_cache, "VERSION_RECHECK_SECONDS", 0)  # re-read the version on each view

    def year_total() -> str:
        page = client.get(f"/h/{code}").get_data(as_text=True)
        return re.search(r'本年<small>.*?</small></div>\s*<div class="v-total__num">(-?\d+)<', page, re.S).group(1)

    assert year_total() == "0"  # built and cached
    env = {**os.environ, "FLASK_APP": "wsgi", "DATA_ENCRYPTION_KEY": TEST_KEY,
           "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"]}  # fmt: skip
    # ``python -m flask`` on the suite's clock when TEST_CLOCK is set (as the Celery workers are).
    on_test_clock = "from tests.timetravel import start_from_env; start_from_env(); from flask.cli import main; main()"
    flask = [sys.executable, "-c", on_test_clock, "points", "award", "--village", "大苍村", "--household", "0101",
             "--points", "5", "--reason", "清扫屋场公共道路", "--category", "环境卫生"]  # fmt: skip
    done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert year_total() == "5"
