"""An elderly villager binds with what the plaque shows (issue 10, item 6).

The plaque prints 户号 0101 and carries the household's code in its QR. Scanning it leads to
“这是我家” → the binding form with the household known; typing the printed number works with the
phone or the name; asking a cadre is never walled off by the proof limit; unbinding asks first.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db as _db
from app.models import BindingRequest
from app.privacy import lookup_hash
from app.services import identity, village_settings
from app.services.plaque_batch import plaque_contents
from tests.helpers import code_of, make_household, make_village
from tests.web.test_me import login, token

DUTY = "13907370000"


def set_duty_phone(village, phone: str) -> None:
    now = village_settings.current(village)
    fields = {k: now[k] for k in village_settings.SettingsInput.__dataclass_fields__}
    village_settings.update_settings(village, village_settings.SettingsInput(**{**fields, "duty_phone": phone}),
                                     actor="测试")  # fmt: skip


def give_phone(person, phone: str) -> None:
    person.phone, person.phone_hash = phone, lookup_hash("phone", phone)
    _db.session.commit()


def phone_form(client, number: str, phone: str, code: str | None = None):
    path = f"/me/bind?code={code}" if code else "/me/bind"
    form = {"ph-csrf_token": token(client, path), "ph-household_code": number, "ph-phone": phone, "ph-submit": "1"}
    return client.post(path, data=form)


def ask_form(client, number: str, name: str, code: str | None = None, csrf: str | None = None):
    path = f"/me/bind?code={code}" if code else "/me/bind"
    form = {"rq-csrf_token": csrf or token(client, path), "rq-household_code": number, "rq-name": name,
            "rq-submit": "提交给村干部"}  # fmt: skip
    return client.post(path, data=form)


def test_from_the_household_page_this_is_my_home_leads_to_binding_with_the_printed_number(client, db):
    household = make_household(number="0101")
    code = code_of(household)
    page = client.get(f"/h/{code}").get_data(as_text=True)
    link = re.search(r'href="(/me/bind\?code=[^"]+)"[^>]*>这是我家', page)
    assert link and link.group(1) == f"/me/bind?code={code}"
    # The plaque prints the number the form takes.
    (_, printed), *_ = plaque_contents(household.village, ["0101"])
    assert printed.household_number == "0101"
    openid = login(client)
    bind_page = client.get(link.group(1)).get_data(as_text=True)
    assert "大苍村 0101号" in bind_page and "户主 刘建华" in bind_page and 'value="0101"' in bind_page
    assert "户码" not in bind_page  # nothing asks for what no plaque prints
    assert phone_form(client, "0101", "138 0737 1234", code).status_code == 303
    assert identity.bound_villager(openid).id == household.head_id


def test_the_printed_number_and_phone_bind_without_a_scan_and_0101_is_no_longer_refused(client, db):
    make_household(number="0101")  # 大苍村 0101: the same number in another village
    other = make_household(make_village("桃源村"), number="0101")
    give_phone(other.head, "13600001111")
    openid = login(client)
    assert phone_form(client, "101", "13600001111").status_code == 303  # read aloud, the zero dropped
    assert identity.bound_villager(openid).id == other.head_id


def test_a_number_in_two_villages_is_decided_by_the_scanned_plaque(client, db):
    home = make_household(number="0101")
    elsewhere = make_household(make_village("桃源村"), number="0101")
    login(client)
    # Both heads are called 刘建华: without the scan the cadre could not tell which household is meant.
    page = ask_form(client, "0101", "刘建华").get_data(as_text=True)
    assert "不止一个村有这个户号" in page and _db.session.scalar(select(BindingRequest)) is None
    assert ask_form(client, "0101", "刘建华", code=code_of(elsewhere)).status_code == 303
    request = _db.session.scalar(select(BindingRequest))
    assert request.village_id == elsewhere.village_id and request.villager_id == elsewhere.head_id
    assert request.village_id != home.village_id


def test_asking_a_cadre_still_works_after_the_proof_limit_is_hit(client, db):
    household = make_household(number="0101")
    code = code_of(household)
    login(client)
    csrf = token(client)
    statuses = [client.post("/me/bind", data={"id-csrf_token": csrf, "id-submit": "1"}).status_code for _ in range(11)]
    assert statuses[-1] == 429
    # The proof is walled off for a minute; the fallback is not.
    assert ask_form(client, "0101", household.members[1].name, code=code).status_code == 303


def test_a_flood_of_requests_is_stopped_with_the_duty_phone(client, db):
    household = make_household(number="0101")
    set_duty_phone(household.village, DUTY)
    code = code_of(household)
    login(client)
    csrf = token(client, f"/me/bind?code={code}")
    # A person correcting a typo many times is never stopped…
    for _ in range(30):
        assert ask_form(client, "0101", "没这人", code=code, csrf=csrf).status_code == 200
    # …a flood is, with a way to a person.
    flood = ask_form(client, "0101", "没这人", code=code, csrf=csrf)
    text = flood.get_data(as_text=True)
    assert flood.status_code == 429 and "提交太频繁" in text and f'href="tel:{DUTY}"' in text


def test_a_number_that_is_no_number_gets_a_chinese_message_and_counts_nothing(client, db):
    from app.models import AuditLog

    make_household(number="0101")
    openid = login(client)
    page = phone_form(client, "门牌!", "13807371234").get_data(as_text=True)
    assert "请填写门牌上的户号（如 0101）" in page
    assert identity.bound_villager(openid) is None
    assert _db.session.scalar(select(AuditLog).where(AuditLog.action == "identity.bind_failed")) is None
