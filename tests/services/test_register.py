"""The register's structure: county › town › village › group › household, and 建档."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.extensions import db as _db
from app.models import (
    Household,
    HouseholdCode,
    Region,
    RegisterEvent,
    Villager,
    VillagerGroup,
    VillageSettings,
)
from app.services import clock, register
from app.services.people import PersonInput
from app.services.register import HouseholdInput, register_household
from tests.helpers import code_of, make_household, make_village

CODE = re.compile(r"[A-Za-z0-9_-]{22}")
TABLES = (Household, Villager, HouseholdCode, RegisterEvent, VillagerGroup)
_seq = itertools.count(0)


def new_id(born: date) -> str:
    """A synthetic, checksum-valid ID number of a man (GB 11643 formula written out independently)."""
    n = next(_seq)
    first17 = f"430923{born:%Y%m%d}{n % 100:02d}{2 * (n // 100 % 5) + 1}"
    c = (12 - sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17)) % 11) % 11
    return first17 + ("X" if c == 10 else str(c))


def counts() -> dict:
    return {m.__tablename__: _db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def family(number: str = "0315", group: int = 3, *members: PersonInput, **fields) -> HouseholdInput:
    head = PersonInput(name="刘建华", id_number=new_id(date(1968, 5, 4)), phone="13807371234")
    return HouseholdInput(number=number, group_number=group, head=head, members=members, **fields)


WIFE = PersonInput(name="王秀英", gender="女", birth_date="1970-02-01", relation="配偶", marital_status="已婚")
SON = PersonInput(name="刘强", gender="男", birth_date="1992-08-15", relation="子", education="大专")


# --- regions and groups -----------------------------------------------------------------------


def test_village_sits_under_town_under_county_with_paths(db):
    village = register.ensure_village("安化县", "冷市镇", "大苍村")
    db.session.commit()
    town, county = village.parent, village.parent.parent
    assert (county.level, town.level, village.level) == ("county", "town", "village")
    assert (county.name, town.name, village.name) == ("安化县", "冷市镇", "大苍村")
    assert county.parent is None
    assert county.path == f"/{county.id}/"
    assert town.path == f"/{county.id}/{town.id}/"
    assert village.path == f"/{county.id}/{town.id}/{village.id}/"
    assert village.settings is not None and village.settings.slogan


def test_ensure_village_is_idempotent_and_names_are_scoped_to_the_parent(db):
    first = register.ensure_village("安化县", "冷市镇", "大苍村")
    again = register.ensure_village("安化县", "冷市镇", "大苍村", slogan="勤劳致富")
    namesake = register.ensure_village("安化县", "东坪镇", "大苍村")
    db.session.commit()
    assert again.id == first.id and again.settings.slogan == "勤劳致富"
    assert namesake.id != first.id and namesake.parent.name == "东坪镇"
    assert db.session.scalar(select(func.count()).select_from(Region).where(Region.level == "county")) == 1
    assert db.session.scalar(select(func.count()).select_from(VillageSettings)) == 2


def test_path_scopes_a_subtree_in_one_query(db):
    a = register.ensure_village("安化县", "冷市镇", "大苍村")
    b = register.ensure_village("安化县", "冷市镇", "小苍村")
    c = register.ensure_village("安化县", "东坪镇", "黄沙村")
    db.session.commit()
    town = a.parent
    under_town = db.session.scalars(
        select(Region.name).where(Region.path.like(f"{town.path}%"), Region.level == "village")
    ).all()
    assert sorted(under_town) == sorted([a.name, b.name])
    under_county = db.session.scalars(
        select(Region.name).where(Region.path.like(f"{c.parent.parent.path}%"), Region.level == "village")
    ).all()
    assert len(under_county) == 3


def test_find_village(db):
    make_village("大苍村")
    assert register.find_village("大苍村").name == "大苍村"
    with pytest.raises(NotFound, match="没有叫“黄沙村”的村"):
        register.find_village("黄沙村")
    register.ensure_village("安化县", "东坪镇", "大苍村")
    db.session.commit()
    with pytest.raises(ValidationError, match="有2个村都叫“大苍村”"):
        register.find_village("大苍村")


def test_groups_are_numbered_within_a_village(db):
    village = make_village()
    group = register.ensure_group(village, 3)
    assert group.name == "第3组" and group.village_id == village.id
    assert register.ensure_group(village, 3).id == group.id
    other = register.ensure_group(make_village("小苍村"), 3)
    assert other.id != group.id
    for bad in (0, 100):
        with pytest.raises(ValidationError, match="村民小组编号应在1到99之间"):
            register.ensure_group(village, bad)


def test_blank_place_name_is_rejected(db):
    with pytest.raises(ValidationError, match="请填写地名"):
        register.ensure_village("安化县", "  ", "大苍村")


# --- registering a household ------------------------------------------------------------------


def test_register_household_creates_head_members_code_and_event(db):
    village = make_village()
    before = clock.today()
    household = register_household(
        village, family("0315", 3, WIFE, SON, address="大苍村3组", category="脱贫户", motto="勤俭持家"),
        recorded_by="村支书刘明",
    )  # fmt: skip
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.number == "0315" and household.group.number == 3 and household.group.village_id == village.id
    assert (household.category, household.address, household.motto) == ("脱贫户", "大苍村3组", "勤俭持家")
    assert household.head.name == "刘建华" and household.head.relation == "户主"
    assert [(m.name, m.relation) for m in household.members] == [("刘建华", "户主"), ("王秀英", "配偶"), ("刘强", "子")]
    assert all(m.village_id == village.id and m.status == "current" for m in household.members)

    codes = db.session.scalars(select(HouseholdCode).where(HouseholdCode.household_id == household.id)).all()
    assert len(codes) == 1 and codes[0].status == "active" and CODE.fullmatch(codes[0].code)
    assert code_of(household) == codes[0].code

    [event] = db.session.scalars(select(RegisterEvent)).all()
    assert (event.kind, event.household_id, event.recorded_by) == ("register", household.id, "村支书刘明")
    assert event.occurred_on == before and event.recorded_at is not None
    assert [p["name"] for p in event.after["people"]] == ["刘建华", "王秀英", "刘强"]
    head_id = household.head.id_number
    assert event.after["people"][0]["id_number"] == head_id[:6] + "*" * 11 + head_id[-1]
    assert head_id not in str(event.after) and "13807371234" not in str(event.after)
    assert event.after["household"]["number"] == "0315"


def test_head_relation_is_always_head_and_defaults_fill_in(db):
    village = make_village()
    data = HouseholdInput(number=" 0101 ", group_number=1, head=PersonInput(name="刘建华", gender="男", relation="子"))
    household = register_household(village, data, recorded_by="测试")
    assert household.number == "0101"
    assert household.head.relation == "户主" and household.category == "一般户" and household.head.ethnicity == "汉族"


def test_codes_are_random_url_safe_and_distinct(db):
    village = make_village()
    households = [
        register_household(
            village, HouseholdInput(number=f"{i:04d}", group_number=1, head=PersonInput(name="刘建华", gender="男")),
            recorded_by="测试", commit=False,
        )
        for i in range(50)
    ]  # fmt: skip
    db.session.commit()
    codes = [code_of(h) for h in households]
    assert all(CODE.fullmatch(c) for c in codes)
    assert len(set(codes)) == 50
    # Nothing guessable: no shared prefixes or suffixes, no order, no household number inside.
    assert len({c[:4] for c in codes}) == 50 and len({c[-4:] for c in codes}) == 50
    assert codes != sorted(codes)
    assert not any(h.number in c for h, c in zip(households, codes, strict=True) if len(h.number) >= 4)
    assert len(set("".join(codes))) > 50  # drawn from the whole URL-safe alphabet


def test_duplicate_household_number_in_a_village_is_rejected(db):
    village = make_village()
    make_household(village, "0315")
    before = counts()
    with pytest.raises(ValidationError, match="户号“0315”在本村已经有了") as caught:
        register_household(village, family("0315", 3), recorded_by="测试")
    assert caught.value.field == "number"
    db.session.commit()
    assert counts() == before
    assert make_household(make_village("小苍村"), "0315").number == "0315"  # other villages may reuse it


@pytest.mark.parametrize(
    "bad_member, message",
    [
        (PersonInput(name="刘强", gender="男", relation="子", phone="1380737"), "电话号码不对"),
        (PersonInput(name="刘强", id_number="430923199208150000", relation="子"), "校验位"),
        (PersonInput(name="刘强", gender="男", relation="侄子"), "与户主关系只能是"),
        (PersonInput(name="刘强", gender="男", relation="户主"), "一户只能有一个户主"),
        (PersonInput(name="刘强2", gender="男", relation="子"), "姓名里不能有数字"),
        (PersonInput(name="刘强", gender="男", birth_date="2999-01-01"), "出生日期不能晚于今天"),
    ],
)
def test_bad_member_rejects_the_whole_household(db, bad_member, message):
    village = make_village()
    make_household(village, "0101", group=1)
    before = counts()
    with pytest.raises(ValidationError, match=message):
        register_household(village, family("0315", 7, WIFE, bad_member), recorded_by="测试")
    db.session.commit()  # whatever the session still held would now be written
    assert counts() == before
    assert db.session.scalar(select(VillagerGroup).where(VillagerGroup.number == 7)) is None


def test_bad_household_fields_are_rejected(db):
    village = make_village()
    with pytest.raises(ValidationError, match="户类别只能是"):
        register_household(village, family("0101", 1, category="富裕户"), recorded_by="测试")
    with pytest.raises(ValidationError, match="村民小组编号应在1到99之间"):
        register_household(village, family("0101", 0), recorded_by="测试")
    with pytest.raises(ValidationError, match="请填写户号"):
        register_household(village, family(" ", 1), recorded_by="测试")
    db.session.commit()
    assert counts()["households"] == 0 and counts()["villagers"] == 0


def test_members_and_people(db):
    household = make_household(members=3)
    assert len(household.members) == len(household.people) == 3
    household.people[2].status = "moved_out"
    assert [m.name for m in household.members] == [p.name for p in household.people[:2]]
    assert len(household.people) == 3


def test_get_household(db):
    village = make_village()
    household = make_household(village, "0315")
    assert register.get_household(village, "0315").id == household.id
    with pytest.raises(NotFound, match="本村没有户号为“0999”的户"):
        register.get_household(village, "0999")
