"""GET /h/<code>: what a villager sees after scanning a plaque (through the test client)."""

from __future__ import annotations

from datetime import timedelta

from app.models import HouseholdHonour
from app.services import clock, codes, page_cache
from app.services.points import reverse_entry
from tests.helpers import award, code_of, make_household, make_village


def page(client, code, **params):
    response = client.get(f"/h/{code}", query_string=params)
    return response, response.get_data(as_text=True)


def test_page_shows_slogan_motto_honour_points_ranks_and_history(client, db):
    village = make_village()
    household = make_household(village, "0307", group=3, members=3, motto="孝老爱亲 勤俭持家")
    make_household(village, "0308", group=3)
    db.session.add(HouseholdHonour(household_id=household.id, title="道德模范之家", awarded_on=clock.today()))
    db.session.commit()
    son = household.members[1]
    award(household, 6, reason="清扫屋场公共道路", place="白果树湾屋场")
    award(household, 4, villager=son, reason="照顾邻居孤寡老人")
    award(household, -2, reason="乱扔垃圾被劝导")
    response, html = page(client, code_of(household))
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    for text in ("乡村振兴强国梦", "孝老爱亲 勤俭持家", "道德模范之家", "0307", "刘建华", son.name,
                 "清扫屋场公共道路", "白果树湾屋场", "照顾邻居孤寡老人", "乱扔垃圾被劝导"):  # fmt: skip
        assert text in html, text
    assert ">8<" in html.replace(" ", "")  # household total this year: 6 + 4 - 2
    assert "组内第1名" in html.replace(" ", "") and "共2户" in html.replace(" ", "")


def test_page_never_shows_sensitive_fields(client, db):
    household = make_household(members=3)
    head = household.members[0]
    head.health, head.political_status = "慢性病", "中共党员"
    household.category = "低保户"
    db.session.commit()
    page_cache.bump_village(household.village_id)
    _, html = page(client, code_of(household))
    for person in household.members:
        for secret in (person.id_number, person.phone):
            if secret:
                assert secret not in html
                assert secret[-6:] not in html
    for word in ("慢性病", "中共党员", "低保户", "身份证", "手机"):
        assert word not in html


def test_award_shows_at_once_despite_the_page_cache(client, db):
    household = make_household()
    code = code_of(household)
    _, before = page(client, code)
    assert "还没有积分记录" in before
    award(household, 7, reason="义务修补村道")
    _, after = page(client, code)
    assert "义务修补村道" in after


def test_neighbours_award_changes_my_rank(client, db):
    village = make_village()
    mine = make_household(village, "0101")
    neighbour = make_household(village, "0102")
    award(mine, 5)
    _, html = page(client, code_of(mine))
    assert "村内第1名" in html.replace(" ", "")
    award(neighbour, 9)
    _, html = page(client, code_of(mine))
    assert "村内第2名" in html.replace(" ", "")


def test_history_is_paged_newest_first(client, db):
    household = make_household()
    today = clock.today()
    for i in range(25):
        award(household, 1, reason=f"第{i:02d}件好事", on=today - timedelta(days=25 - i))
    _, first = page(client, code_of(household))
    _, second = page(client, code_of(household), page=2)
    assert "第24件好事" in first and "第00件好事" not in first
    assert "第00件好事" in second and "第24件好事" not in second
    assert "page=2" in first
    _, junk = page(client, code_of(household), page="abc")
    assert "第24件好事" in junk


def test_reversed_entry_is_marked(client, db):
    household = make_household()
    wrong = award(household, 10, reason="重复登记的好事")
    reverse_entry(wrong.id, reason="重复登记", recorded_by="村会计")
    _, html = page(client, code_of(household))
    assert "已撤销" in html and "更正" in html


def test_unknown_code_is_404(client, db):
    make_household()
    response, html = page(client, "no-such-code-123")
    assert response.status_code == 404
    assert "没有找到" in html
    assert client.get("/h/" + "x" * 40).status_code == 404


def test_reissued_code_shows_replaced_page_without_household_data(client, db):
    household = make_household(motto="耕读传家")
    old = code_of(household)
    page(client, old)  # cached before the reissue
    fresh = codes.reissue_code(household.id, recorded_by="村支书")
    response, html = page(client, old)
    assert response.status_code == 200
    assert "已更换" in html
    for leak in ("刘建华", "耕读传家", household.number):
        assert leak not in html
    response, html = page(client, fresh.code)
    assert response.status_code == 200 and "耕读传家" in html


def test_codes_are_random_url_safe_and_short(db):
    village = make_village()
    found = [code_of(make_household(village, f"01{i:02d}")) for i in range(12)]
    assert len(set(found)) == len(found)
    for code in found:
        assert 16 <= len(code) <= 32
        assert all(ch.isalnum() or ch in "-_" for ch in code)
    assert len({code[:4] for code in found}) > 6  # no shared sequential prefix


def test_unchanged_page_revalidates_with_304(client, db):
    household = make_household()
    first = client.get(f"/h/{code_of(household)}")
    assert first.headers.get("ETag")
    again = client.get(f"/h/{code_of(household)}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
