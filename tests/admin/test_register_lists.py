"""The household and villager lists (R1–R3): search by name, number and full ID / phone number
(through the keyed hash), filters, pages, masked numbers, and scope (village, group)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Villager
from app.privacy import mask_id_number
from app.services import clock
from app.services.people import PersonInput
from app.services.register import HouseholdInput, register_household
from tests.admin_helpers import login, make_account, post
from tests.helpers import award, make_household, make_id_number, make_village


def first_cells(client, url: str) -> list[str]:
    """The first column of each row of a list page."""
    return [r.split()[0] for r in rows(client.get(url).get_data(as_text=True))]


def rows(html: str) -> list[str]:
    """The text of each table body row (tags stripped)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [re.sub(r"<[^>]+>|\s+", " ", r).strip() for r in body.split("</tr>") if "<td" in r]


@pytest.fixture
def village(db):
    return make_village()


def household_with(village, number, head_name, *, group=1, category=None, members=(), head_id=None, phone=None):
    head = PersonInput(name=head_name, id_number=head_id or make_id_number(date(1970, 3, 8)), phone=phone)
    return register_household(
        village,
        HouseholdInput(number=number, group_number=group, head=head, category=category, members=tuple(members)),
        recorded_by="测试",
    )


def test_search_by_member_name_household_number_and_full_id_number(client, village, cadre):
    id_number = make_id_number(date(1966, 1, 20))
    household_with(village, "0301", "王德胜", group=3, head_id=id_number,
                   members=[PersonInput(name="李秀英", gender="女", relation="配偶")])  # fmt: skip
    household_with(village, "0302", "赵大山", group=3)

    by_member = client.get("/admin/households?q=秀英").get_data(as_text=True)
    assert [r.split()[0] for r in rows(by_member)] == ["0301"]
    by_number = client.get("/admin/households?q=0302").get_data(as_text=True)
    assert [r.split()[0] for r in rows(by_number)] == ["0302"]
    by_id = client.get(f"/admin/households?q={id_number}").get_data(as_text=True)
    assert [r.split()[0] for r in rows(by_id)] == ["0301"]
    assert all(id_number not in r for r in rows(by_id))
    # A lower-case x, full-width digits or spaces typed from a card still match.
    spaced = " ".join([id_number[:6], id_number[6:14], id_number[14:]])
    assert [r.split()[0] for r in rows(client.get(f"/admin/households?q={spaced}").get_data(as_text=True))] == ["0301"]


def test_a_mistyped_id_number_finds_nobody_and_says_why(client, village, cadre):
    good = make_id_number(date(1966, 1, 20))
    household_with(village, "0301", "王德胜", head_id=good)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    html = client.get(f"/admin/households?q={wrong}").get_data(as_text=True)
    assert rows(html) == []
    assert "校验位" in html


def test_villager_search_by_name_id_phone_and_household_number(client, village, cadre):
    id_number = make_id_number(date(1990, 6, 1), male=False)
    household_with(village, "0101", "刘建国", members=[
        PersonInput(name="刘芳", id_number=id_number, phone="13912345678", relation="女")])  # fmt: skip
    household_with(village, "0102", "陈小春")
    assert first_cells(client, "/admin/villagers?q=刘芳") == ["刘芳"]
    assert first_cells(client, f"/admin/villagers?q={id_number}") == ["刘芳"]
    assert first_cells(client, "/admin/villagers?q=139 1234 5678") == ["刘芳"]
    assert sorted(first_cells(client, "/admin/villagers?q=0101")) == ["刘建国", "刘芳"]


def test_household_filters_group_category_and_status(client, village, cadre):
    household_with(village, "0101", "甲一", group=1, category="低保户")
    household_with(village, "0201", "乙一", group=2, category="脱贫户")
    gone = household_with(village, "0202", "乙二", group=2)
    gone.status = "dissolved"
    db.session.commit()
    group2 = next(g for g in village.groups if g.number == 2)

    numbers = lambda url: sorted(r.split()[0] for r in rows(client.get(url).get_data(as_text=True)))  # noqa: E731
    assert numbers(f"/admin/households?group={group2.id}") == ["0201"]  # dissolved hidden by default
    assert numbers(f"/admin/households?group={group2.id}&status=all") == ["0201", "0202"]
    assert numbers("/admin/households?status=dissolved") == ["0202"]
    assert numbers("/admin/households?category=低保户") == ["0101"]


def test_villager_filters_work_status_gender_age_band_and_status(client, village, cadre):
    today = clock.today()
    household_with(village, "0101", "刘老汉", members=[
        PersonInput(name="刘打工", gender="男", birth_date=date(today.year - 30, 1, 1), relation="子", work_status="务工"),
        PersonInput(name="刘小妹", gender="女", birth_date=date(today.year - 10, 1, 1), relation="女", work_status="在校学生"),
    ])  # fmt: skip
    names = lambda url: sorted(r.split()[0] for r in rows(client.get(url).get_data(as_text=True)))  # noqa: E731
    assert names("/admin/villagers?work_status=务工") == ["刘打工"]
    assert names("/admin/villagers?gender=女") == ["刘小妹"]
    assert names("/admin/villagers?age=7-17岁") == ["刘小妹"]
    assert names("/admin/villagers?age=18-35岁") == ["刘打工"]
    assert "刘老汉" in names("/admin/villagers?age=36-59岁") + names("/admin/villagers?age=60-79岁")
    person = db.session.scalar(select(Villager).where(Villager.name == "刘打工"))
    person.status = "moved_out"
    db.session.commit()
    assert "刘打工" not in names("/admin/villagers")
    assert names("/admin/villagers?status=moved_out") == ["刘打工"]


def test_pages_of_thirty_with_a_total(client, village, cadre):
    for i in range(35):
        household_with(village, f"01{i:03d}", f"户主{'甲乙丙丁戊己庚辛壬癸'[i % 10]}")
    first = client.get("/admin/households").get_data(as_text=True)
    second = client.get("/admin/households?page=2").get_data(as_text=True)
    assert len(rows(first)) == 30 and len(rows(second)) == 5
    assert "共 35 户" in first and "第 2/2 页" in second
    assert {r.split()[0] for r in rows(first)}.isdisjoint(r.split()[0] for r in rows(second))
    # Out-of-range or nonsense page numbers are clamped, never an error.
    assert len(rows(client.get("/admin/households?page=99").get_data(as_text=True))) == 5
    assert client.get("/admin/households?page=abc").status_code == 200


def test_list_shows_head_member_count_and_points_this_year(client, village, cadre):
    household = make_household(village, "0105", members=3)
    award(household, 7)
    award(household, 3)
    (row,) = rows(client.get("/admin/households").get_data(as_text=True))
    assert row.split() == ["0105", "第1组", "刘建华", "3", "一般户", "10", "在册"]


def test_lists_cost_the_same_number_of_queries_for_five_or_thirty_households(app, client, village, cadre):
    def count_queries(url):
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    for i in range(5):
        make_household(village, f"02{i:03d}", members=2)
    few = count_queries("/admin/households"), count_queries("/admin/villagers")
    for i in range(25):
        make_household(village, f"03{i:03d}", members=3)
    many = count_queries("/admin/households"), count_queries("/admin/villagers")
    assert many == few


def test_numbers_are_masked_in_lists(client, village, cadre):
    household = make_household(village, "0101")
    head = household.head
    html = "".join(
        client.get(url).get_data(as_text=True) for url in ("/admin/villagers", f"/admin/households/{household.id}")
    )
    assert head.id_number not in html and "13807371234" not in html
    assert mask_id_number(head.id_number) in html and "138****1234" in html


def test_another_village_is_not_found_and_not_listed(client, village, cadre):
    other = make_village("邻村")
    theirs = household_with(other, "0101", "外村人")
    for url in (f"/admin/households/{theirs.id}", f"/admin/households/{theirs.id}/edit",
                f"/admin/villagers/{theirs.head_id}", f"/admin/villagers/{theirs.head_id}/edit",
                f"/admin/households/{theirs.id}/events/new?kind=death"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert "外村人" not in client.get(f"/admin/households?village={other.id}").get_data(as_text=True)
    assert rows(client.get(f"/admin/villagers?q=外村人&village={other.id}").get_data(as_text=True)) == []
    assert rows(client.get("/admin/villagers?q=外村人").get_data(as_text=True)) == []


def test_a_group_leader_sees_only_their_group(client, village):
    mine = household_with(village, "0101", "本组人", group=1)
    theirs = household_with(village, "0201", "别组人", group=2)
    group1 = next(g for g in village.groups if g.number == 1)
    login(client, make_account(village, "group_leader", group_id=group1.id))
    listed = client.get("/admin/households?status=all").get_data(as_text=True)
    assert "本组人" in listed and "别组人" not in listed
    people = client.get("/admin/villagers?status=all").get_data(as_text=True)
    assert "本组人" in people and "别组人" not in people
    assert client.get(f"/admin/households/{mine.id}").status_code == 200
    assert client.get(f"/admin/households/{theirs.id}").status_code == 404
    assert client.get(f"/admin/villagers/{theirs.head_id}").status_code == 404
    # A group leader reads the register but does not change it.
    assert client.get(f"/admin/households/{mine.id}/edit").status_code == 403


def test_a_town_account_sees_its_villages_and_filters_by_village(client, village):
    other = make_village("邻村")
    household_with(village, "0101", "大苍人")
    household_with(other, "0101", "邻村人")
    login(client, make_account(village.parent, "town_admin", totp=True))
    both = client.get("/admin/households").get_data(as_text=True)
    assert "大苍人" in both and "邻村人" in both
    only = client.get(f"/admin/households?village={other.id}").get_data(as_text=True)
    assert "邻村人" in only and "大苍人" not in only
    assert "邻村人" in client.get(f"/admin/villagers?village={other.id}").get_data(as_text=True)


def test_a_full_id_number_searched_by_the_form_stays_out_of_urls(client, village, cadre):
    id_number = make_id_number(date(1966, 1, 20))
    household_with(village, "0301", "王德胜", head_id=id_number)
    found = post(client, "/admin/households", {"q": id_number, "status": "active"}, form_url="/admin/households")
    assert found.status_code == 200  # answered in place: no redirect that would put it in a URL
    assert [r.split()[0] for r in rows(found.get_data(as_text=True))] == ["0301"]
    # A name is not personal: the form redirects to a plain URL that can be bookmarked.
    by_name = post(client, "/admin/villagers", {"q": "王德胜"}, form_url="/admin/villagers")
    assert by_name.status_code == 302 and "q=" in by_name.headers["Location"]
