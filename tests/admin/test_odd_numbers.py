"""Numbers typed or edited into back-office URLs and forms: '²', Arabic-Indic digits, '1_0',
huge values. Each is "none chosen", the first page or a Chinese message, never a 500."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, Villager
from app.numbers import page_number, row_id, whole
from tests.admin_helpers import post
from tests.helpers import make_household, make_village

ODD = ["²", "¹²", "١٢", "1_0", "１２", "-1", "0", "9" * 30, " ", "1e3", "0x1f"]


@pytest.fixture
def village(db):
    village = make_village()
    make_household(village, "0101")
    return village


def test_only_plain_ascii_numbers_parse():
    assert [whole(v) for v in ("7", " 42 ", "007")] == [7, 42, 7]
    assert all(whole(v) is None for v in ("²", "١٢", "1_000", "１２", "+3", "", None, "9" * 20))
    assert whole("-2", signed=True) == -2 and whole("+5", signed=True) == 5 and whole("-", signed=True) is None
    assert row_id("0") is None and row_id(str(2**31)) is None and row_id(str(2**31 - 1)) == 2**31 - 1
    assert page_number("²") == 1 and page_number("3") == 3 and page_number("99999999") == 10_000


@pytest.mark.parametrize(
    "url",
    [
        "/admin/households?page={v}",
        "/admin/households?group={v}",
        "/admin/households?village={v}",
        "/admin/villagers?page={v}",
        "/admin/villagers?group={v}",
        "/admin/points?page={v}",
        "/admin/points?village_id={v}&group_id={v}&household_id={v}&rule_id={v}",
        "/admin/visits?page={v}&village_id={v}",
        "/admin/points/award?q=刘&page={v}",
        "/admin/rules?village_id={v}",
        "/admin/points/bulk?village_id={v}",
        "/admin/plaques?village={v}",
        "/admin/settings?village={v}",
        "/admin/bindings?village={v}",
        "/admin/excel?village={v}",
    ],
)
def test_odd_numbers_in_list_urls_never_answer_500(client, village, auth, url):
    auth.login(village, "village_admin")
    for value in ODD:
        response = client.get(url.format(v=value))
        assert response.status_code in (200, 302, 400, 404), (url, value, response.status_code)
        html = response.get_data(as_text=True)
        assert "Internal Server Error" not in html and "Traceback" not in html
        if response.status_code in (400, 404):
            assert re.search(r"[\u4e00-\u9fff]", html), (url, value)


def test_a_superscript_page_on_the_register_lists_is_the_first_page(client, village, cadre):
    """The reported bug: ``'²'.isdigit()`` is True and ``int('²')`` raises."""
    for url in ("/admin/households?page=²", "/admin/villagers?group=²", "/admin/households?group=²&page=²"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "0101" in response.get_data(as_text=True) or "刘建华" in response.get_data(as_text=True)


def test_odd_ids_in_posted_register_forms_change_nothing_and_never_500(client, village, cadre):
    household = db.session.scalar(select(Household))
    before = db.session.scalar(select(func.count()).select_from(Villager))
    url = f"/admin/households/{household.id}/events/new?kind=birth"
    response = post(client, url, {"relation-²": "子", "member_ids": "²", "villager_id": "²"}, form_url=url)
    assert response.status_code == 400, response.status_code
    assert db.session.scalar(select(func.count()).select_from(Villager)) == before
    response = post(client, "/admin/households/new", {"new_group": "²", "village_id": "²", "group_id": "²"})
    assert response.status_code == 400
    assert "编号数字" in response.get_data(as_text=True)
