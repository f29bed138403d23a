"""Register events (R4): births, moves, deaths, marriages, splits and new heads, all or nothing."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.extensions import db as _db
from app.models import Household, HouseholdCode, PointsEntry, PointsTotal, RegisterEvent, Villager
from app.services import clock
from app.services.events import EventInput, record_event
from app.services.household_page import history_page
from app.services.people import PersonInput
from app.services.register import HouseholdInput, register_household
from tests.helpers import award, code_of, make_village

DAY = clock.today() - timedelta(days=3)
_seq = itertools.count(0)


def new_id(born: date, *, male: bool) -> str:
    """A synthetic, checksum-valid ID number (GB 11643 formula written out independently)."""
    n = next(_seq)
    first17 = f"430923{born:%Y%m%d}{n % 100:02d}{2 * (n // 100 % 5) + int(male)}"
    c = (12 - sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17)) % 11) % 11
    return first17 + ("X" if c == 10 else str(c))


def person(name: str, relation: str, born: str, *, male: bool, married: str | None = None, **extra) -> PersonInput:
    return PersonInput(
        name=name, relation=relation, id_number=new_id(date.fromisoformat(born), male=male), marital_status=married,
        **extra,
    )  # fmt: skip


def liu_family(village, number: str = "0315", *extra: PersonInput) -> tuple[Household, dict[str, Villager]]:
    """刘建华 (户主) and 王秀英 (配偶); son 刘强 with his wife 李梅 and their son 刘小宝; daughter 刘芳."""
    household = register_household(
        village,
        HouseholdInput(
            number=number, group_number=3,
            head=person("刘建华", "户主", "1958-03-02", male=True, married="已婚", phone="13807371234"),
            members=(
                person("王秀英", "配偶", "1960-07-19", male=False, married="已婚", phone="0737-7221234"),
                person("刘强", "子", "1983-10-01", male=True, married="已婚"),
                person("李梅", "儿媳", "1985-04-12", male=False, married="已婚"),
                person("刘小宝", "孙子", "2012-06-30", male=True, married="未婚"),
                person("刘芳", "女", "1990-12-24", male=False, married="未婚"),
                *extra,
            ),
        ),
        recorded_by="测试",
    )  # fmt: skip
    return household, {p.name: p for p in household.people}


def wang_family(village, number: str = "0520") -> tuple[Household, dict[str, Villager]]:
    """王德明 (户主) with his son 王磊 and daughter 王小燕, both unmarried; group 5."""
    household = register_household(
        village,
        HouseholdInput(
            number=number, group_number=5, head=person("王德明", "户主", "1962-01-15", male=True, married="丧偶"),
            members=(
                person("王磊", "子", "1991-05-05", male=True, married="未婚"),
                person("王小燕", "女", "1994-09-09", male=False, married="未婚"),
            ),
        ),
        recorded_by="测试",
    )  # fmt: skip
    return household, {p.name: p for p in household.people}


def event(kind: str, household: Household, **kw) -> RegisterEvent:
    return record_event(
        EventInput(kind=kind, household_id=household.id, occurred_on=kw.pop("on", DAY), recorded_by="村文书王丽", **kw)
    )


def relations(household: Household) -> dict[str, str]:
    """What a cadre sees on the household card: current members and their relation to the head."""
    _db.session.expire_all()
    return {m.name: m.relation for m in _db.session.get(Household, household.id).members}


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def state(household: Household) -> tuple:
    """Everything a failed event must leave as it was."""
    _db.session.expire_all()
    h = _db.session.get(Household, household.id)
    people = tuple((p.name, p.relation, p.status, p.marital_status, p.household_id) for p in h.people)
    return h.head_id, h.status, people, count(RegisterEvent), count(Household), count(Villager)


@pytest.fixture
def village(db):
    return make_village()


@pytest.fixture
def liu(village):
    return liu_family(village)


# --- birth ------------------------------------------------------------------------------------


def test_birth_adds_a_current_member(liu):
    household, p = liu
    e = event("birth", household, person=PersonInput(name="刘小红", gender="女", relation="孙女"))
    baby = _db.session.get(Villager, e.villager_id)
    assert (baby.name, baby.relation, baby.birth_date, baby.status) == ("刘小红", "孙女", DAY, "current")
    assert "刘小红" in relations(household) and len(relations(household)) == 7
    assert (e.kind, e.occurred_on, e.recorded_by) == ("birth", DAY, "村文书王丽") and e.recorded_at is not None
    assert str(baby.id) not in e.before["people"]  # she did not exist before
    assert e.after["people"][str(baby.id)]["name"] == "刘小红"


@pytest.mark.parametrize(
    "baby, message",
    [
        (PersonInput(name="刘小红", gender="女", relation="配偶"), "新生儿与户主的关系应是"),
        (PersonInput(name="刘小红", gender="女", relation="孙女", birth_date="2020-01-01"), "出生日期应与事件日期相同"),
        (
            PersonInput(name="刘小红", relation="孙女", id_number=new_id(date(2020, 1, 1), male=False)),
            "和身份证号里的不一致",
        ),
        (None, "请填写新生儿的信息"),
    ],
)
def test_birth_with_wrong_details_changes_nothing(liu, baby, message):
    household, _ = liu
    before = state(household)
    with pytest.raises(ValidationError, match=message):
        event("birth", household, person=baby)
    assert state(household) == before


def test_birth_with_an_id_number_matching_the_day(liu):
    household, _ = liu
    number = new_id(DAY, male=True)
    e = event("birth", household, person=PersonInput(name="刘小龙", relation="孙子", id_number=number))
    baby = _db.session.get(Villager, e.villager_id)
    assert baby.gender == "男" and baby.id_number == number


# --- move in ----------------------------------------------------------------------------------


def test_move_in_of_a_new_person(liu):
    household, _ = liu
    e = event("move_in", household, person=person("赵大海", "其他", "1950-01-01", male=True))
    assert relations(household)["赵大海"] == "其他"
    assert e.related_household_id is None and _db.session.get(Villager, e.villager_id).name == "赵大海"


def test_move_in_of_someone_already_registered_as_new_is_refused(liu, village):
    household, p = liu
    _, w = wang_family(village)
    before = state(household)
    with pytest.raises(ValidationError, match="已经登记在册了"):
        event("move_in", household, person=PersonInput(name="王磊", id_number=w["王磊"].id_number))
    assert state(household) == before


def test_transfer_from_another_household(liu, village):
    household, _ = liu
    wang, w = wang_family(village)
    yan = w["王小燕"]
    award(wang, 8, villager=yan, on=DAY - timedelta(days=30))
    e = event("move_in", household, villager_id=yan.id, relations={yan.id: "其他"})
    assert relations(household)["王小燕"] == "其他"
    assert "王小燕" not in relations(wang) and wang.status == "active"
    assert e.related_household_id == wang.id
    assert e.before["people"][str(yan.id)]["household_id"] == wang.id
    assert e.after["people"][str(yan.id)]["household_id"] == household.id
    # Her points stay in the ledger where they were earned; her running total follows her group.
    assert _db.session.scalar(select(PointsEntry.household_id).where(PointsEntry.villager_id == yan.id)) == wang.id
    groups = set(_db.session.scalars(select(PointsTotal.group_id).where(PointsTotal.subject_id == yan.id)))
    assert groups == {household.group_id}


def test_transfer_of_a_head_who_leaves_people_behind_is_refused(liu, village):
    household, _ = liu
    wang, w = wang_family(village)
    before, before_wang = state(household), state(wang)
    with pytest.raises(ValidationError, match="此人是“0520”户的户主，请先为该户变更户主"):
        event("move_in", household, villager_id=w["王德明"].id)
    assert state(household) == before and state(wang) == before_wang


def test_transfer_of_a_household_s_only_person_dissolves_it(liu, village):
    household, _ = liu
    lone = register_household(
        village, HouseholdInput(number="0601", group_number=6, head=PersonInput(name="孙婆婆", gender="女")),
        recorded_by="测试",
    )  # fmt: skip
    event("move_in", household, villager_id=lone.head_id, relations={lone.head_id: "其他"})
    _db.session.expire_all()
    assert _db.session.get(Household, lone.id).status == "dissolved"
    assert "孙婆婆" in relations(household)


def test_someone_who_moved_out_can_come_back(liu):
    household, p = liu
    fang = p["刘芳"]
    event("move_out", household, villager_id=fang.id, on=DAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="迁出了.*迁入"):
        event("move_in", household, person=PersonInput(name="刘芳", id_number=fang.id_number))
    event("move_in", household, villager_id=fang.id, relations={fang.id: "女"})
    _db.session.expire_all()
    assert (fang.status, fang.left_on, fang.relation) == ("current", None, "女")


# --- move out and death -----------------------------------------------------------------------


def test_move_out_keeps_the_person_and_their_points_history(liu):
    household, p = liu
    fang = p["刘芳"]
    award(household, 5, villager=fang, on=DAY - timedelta(days=10), reason="照顾孤寡老人")
    e = event("move_out", household, villager_id=fang.id, note="外嫁到东坪镇")
    _db.session.expire_all()
    assert "刘芳" not in relations(household)
    assert fang in household.people and (fang.status, fang.left_on) == ("moved_out", DAY)
    assert (e.kind, e.villager_id, e.note) == ("move_out", fang.id, "外嫁到东坪镇")
    assert e.before["people"][str(fang.id)]["status"] == "current"
    assert e.after["people"][str(fang.id)]["status"] == "moved_out"
    items = history_page(household.id, 1)["items"]
    assert [(i["member"], i["points"], i["reason"]) for i in items] == [("刘芳", 5, "照顾孤寡老人")]


def test_death_of_a_married_son_widows_his_wife(liu):
    household, p = liu
    event("death", household, villager_id=p["刘强"].id)
    _db.session.expire_all()
    assert p["刘强"].status == "deceased" and p["刘强"] in household.people
    assert p["李梅"].marital_status == "丧偶"
    assert p["王秀英"].marital_status == "已婚"
    assert household.head_id == p["刘建华"].id


@pytest.mark.parametrize("kind", ["death", "move_out"])
def test_head_leaving_without_a_new_head_changes_nothing(liu, kind):
    household, p = liu
    before = state(household)
    with pytest.raises(ValidationError, match="户主去世或迁出时，必须同时指定新户主"):
        event(kind, household, villager_id=p["刘建华"].id)
    assert state(household) == before
    assert p["刘建华"].is_current and household.head_id == p["刘建华"].id
    assert p["王秀英"].marital_status == "已婚"


def test_head_dies_and_the_eldest_son_takes_over(liu):
    household, p = liu
    e = event("death", household, villager_id=p["刘建华"].id, new_head_id=p["刘强"].id)
    assert relations(household) == {
        "王秀英": "母亲",
        "刘强": "户主",
        "李梅": "配偶",
        "刘小宝": "子",
        "刘芳": "兄弟姐妹",
    }
    assert household.head.name == "刘强"
    assert p["王秀英"].marital_status == "丧偶"
    assert p["刘建华"].status == "deceased" and p["刘建华"] in household.people
    assert e.before["households"][str(household.id)]["head_id"] == p["刘建华"].id
    assert e.after["households"][str(household.id)]["head_id"] == p["刘强"].id
    assert e.before["people"][str(p["李梅"].id)]["relation"] == "儿媳"
    assert e.after["people"][str(p["李梅"].id)]["relation"] == "配偶"


def test_new_head_must_be_a_current_member(liu, village):
    household, p = liu
    _, w = wang_family(village)
    before = state(household)
    for bad in (w["王磊"].id, p["刘建华"].id, 999_999):
        with pytest.raises(ValidationError):
            event("death", household, villager_id=p["刘建华"].id, new_head_id=bad)
    assert state(household) == before


def test_last_member_moving_out_dissolves_the_household(village):
    lone = register_household(
        village, HouseholdInput(number="0601", group_number=6, head=PersonInput(name="孙婆婆", gender="女")),
        recorded_by="测试",
    )  # fmt: skip
    event("move_out", lone, villager_id=lone.head_id)
    _db.session.expire_all()
    assert lone.status == "dissolved" and lone.members == [] and len(lone.people) == 1
    with pytest.raises(NotFound, match="已注销"):
        event("birth", lone, person=PersonInput(name="孙小", gender="女"))


def test_a_person_of_another_household_or_no_longer_current_cannot_be_the_subject(liu, village):
    household, p = liu
    _, w = wang_family(village)
    with pytest.raises(ValidationError, match="请选择本户在册的人员"):
        event("move_out", household, villager_id=w["王磊"].id)
    event("death", household, villager_id=p["刘小宝"].id)
    with pytest.raises(ValidationError, match="请选择本户在册的人员"):
        event("move_out", household, villager_id=p["刘小宝"].id)
    with pytest.raises(ValidationError, match="要迁入的人不在册"):
        event("move_in", household, villager_id=p["刘小宝"].id)


def test_death_before_birth_is_refused(liu):
    household, p = liu
    with pytest.raises(ValidationError, match="早于此人的出生日期"):
        event("death", household, villager_id=p["刘小宝"].id, on=date(2010, 1, 1))


# --- change of head ---------------------------------------------------------------------------


def test_wife_takes_over_and_the_children_stay_children(liu):
    household, p = liu
    e = event("change_head", household, new_head_id=p["王秀英"].id)
    assert relations(household) == {
        "刘建华": "配偶", "王秀英": "户主", "刘强": "子", "李梅": "儿媳", "刘小宝": "孙子", "刘芳": "女",
    }  # fmt: skip
    assert (e.kind, e.villager_id) == ("change_head", p["王秀英"].id)
    assert p["刘建华"].marital_status == "已婚"  # nobody was widowed


def test_with_two_married_sons_the_wives_are_not_guessed(village):
    household, p = liu_family(
        village, "0315",
        person("刘勇", "子", "1986-02-02", male=True, married="已婚"),
        person("陈红", "儿媳", "1987-03-03", male=False, married="已婚"),
    )  # fmt: skip
    event("change_head", household, new_head_id=p["刘强"].id)
    after = relations(household)
    assert list(after.values()).count("配偶") == 0
    assert after["李梅"] == after["陈红"] == after["刘小宝"] == "其他"
    assert after["刘勇"] == "兄弟姐妹" and after["刘建华"] == "父亲"


def test_a_cadre_corrects_relations_in_the_same_event(village):
    household, p = liu_family(
        village, "0315",
        person("刘勇", "子", "1986-02-02", male=True, married="已婚"),
        person("陈红", "儿媳", "1987-03-03", male=False, married="已婚"),
    )  # fmt: skip
    fix = {p["李梅"].id: "配偶", p["刘小宝"].id: "子"}
    event("change_head", household, new_head_id=p["刘强"].id, relations=fix)
    after = relations(household)
    assert (after["李梅"], after["刘小宝"], after["陈红"]) == ("配偶", "子", "其他")


def test_relation_corrections_only_for_this_household(liu, village):
    household, p = liu
    _, w = wang_family(village)
    before = state(household)
    for fix in ({w["王磊"].id: "子"}, {p["刘芳"].id: "户主"}, {p["刘芳"].id: "表妹"}):
        with pytest.raises(ValidationError, match="关系更正不对"):
            event("change_head", household, new_head_id=p["王秀英"].id, relations=fix)
    assert state(household) == before


def test_change_head_to_the_current_head_is_refused(liu):
    household, p = liu
    with pytest.raises(ValidationError, match="这个人已经是户主了"):
        event("change_head", household, new_head_id=p["刘建华"].id)


# --- marriage ---------------------------------------------------------------------------------


def test_marriage_with_a_spouse_from_outside(liu):
    household, p = liu
    e = event("marriage", household, villager_id=p["刘芳"].id, person=person("张伟", "其他", "1989-11-11", male=True))
    assert relations(household)["张伟"] == "女婿"
    zhang = next(m for m in household.members if m.name == "张伟")
    assert p["刘芳"].marital_status == zhang.marital_status == "已婚"
    assert (e.kind, e.villager_id, e.related_household_id) == ("marriage", p["刘芳"].id, None)
    assert str(zhang.id) not in e.before["people"] and str(zhang.id) in e.after["people"]


def test_marriage_with_a_spouse_from_another_household(liu, village):
    household, p = liu
    wang, w = wang_family(village)
    e = event("marriage", wang, villager_id=w["王磊"].id, spouse_id=p["刘芳"].id)
    assert relations(wang)["刘芳"] == "儿媳"
    assert "刘芳" not in relations(household)
    assert p["刘芳"].marital_status == w["王磊"].marital_status == "已婚"
    assert e.related_household_id == household.id
    assert e.before["people"][str(p["刘芳"].id)]["household_id"] == household.id


@pytest.mark.parametrize(
    "who, spouse, message",
    [
        ("刘强", "王小燕", "刘强在册的婚姻状况是已婚"),
        ("王磊", "李梅", "李梅在册的婚姻状况是已婚"),
        ("刘芳", "王德明", "此人是“0520”户的户主"),
        ("刘芳", None, "请填写配偶信息"),
        ("刘芳", "刘芳", "选择的配偶不在册"),
    ],
)
def test_marriage_that_cannot_be_right_changes_nothing(liu, village, who, spouse, message):
    household, p = liu
    wang, w = wang_family(village)
    everyone = {**p, **w}
    target = household if who in p else wang
    before, before_other = state(household), state(wang)
    with pytest.raises(ValidationError, match=message):
        event("marriage", target, villager_id=everyone[who].id, spouse_id=everyone[spouse].id if spouse else None)
    assert state(household) == before and state(wang) == before_other


# --- split ------------------------------------------------------------------------------------


def test_son_splits_off_with_his_family(liu):
    household, p = liu
    movers = (p["刘强"].id, p["李梅"].id, p["刘小宝"].id)
    e = event("split", household, member_ids=movers, split_head_id=p["刘强"].id, new_household_number="0316")
    new = _db.session.get(Household, e.related_household_id)
    assert relations(new) == {"刘强": "户主", "李梅": "配偶", "刘小宝": "子"}
    assert relations(household) == {"刘建华": "户主", "王秀英": "配偶", "刘芳": "女"}
    assert (new.number, new.group_id, new.village_id, new.status) == (
        "0316",
        household.group_id,
        household.village_id,
        "active",
    )
    assert new.head.name == "刘强"
    assert code_of(new) and code_of(new) != code_of(household)
    active = _db.session.scalars(select(HouseholdCode).where(HouseholdCode.household_id == new.id)).all()
    assert len(active) == 1
    # History: the movers' "before" shows where they came from; the new household did not exist.
    assert (e.kind, e.villager_id) == ("split", p["刘强"].id)
    assert str(new.id) not in e.before["households"] and str(new.id) in e.after["households"]
    assert e.before["people"][str(p["刘强"].id)]["household_id"] == household.id
    assert e.before["people"][str(p["刘强"].id)]["relation"] == "子"
    assert e.after["people"][str(p["刘强"].id)]["household_id"] == new.id
    assert e.after["people"][str(p["刘强"].id)]["relation"] == "户主"


def test_split_into_another_group(liu):
    household, p = liu
    e = event("split", household, member_ids=(p["刘芳"].id,), split_head_id=p["刘芳"].id,
              new_household_number="0901", group_number=9, address="大苍村9组")  # fmt: skip
    new = _db.session.get(Household, e.related_household_id)
    assert (new.group.number, new.address) == (9, "大苍村9组")
    assert relations(new) == {"刘芳": "户主"}


def test_old_head_splitting_off_needs_a_new_head_for_the_old_household(liu):
    household, p = liu
    movers = (p["刘建华"].id, p["王秀英"].id)
    before = state(household)
    with pytest.raises(ValidationError, match="原户主分出去了，请为原户指定新户主"):
        event("split", household, member_ids=movers, split_head_id=p["刘建华"].id, new_household_number="0316")
    assert state(household) == before
    assert _db.session.scalar(select(Household).where(Household.number == "0316")) is None

    e = event("split", household, member_ids=movers, split_head_id=p["刘建华"].id, new_household_number="0316",
              new_head_id=p["刘强"].id)  # fmt: skip
    new = _db.session.get(Household, e.related_household_id)
    assert relations(household) == {"刘强": "户主", "李梅": "配偶", "刘小宝": "子", "刘芳": "兄弟姐妹"}
    assert relations(new) == {"刘建华": "户主", "王秀英": "配偶"}
    assert _db.session.get(Household, household.id).head.name == "刘强"


@pytest.mark.parametrize(
    "movers, head, number, new_head, message",
    [
        ((), "刘强", "0316", None, "请选择要分出去的成员"),
        (("刘建华", "王秀英", "刘强", "李梅", "刘小宝", "刘芳"), "刘强", "0316", "刘芳", "不能把全部成员都分出去"),
        (("刘强", "李梅"), "刘芳", "0316", None, "新户户主必须是分出去的成员之一"),
        (("刘强", "李梅"), "刘强", "0315", None, "户号“0315”在本村已经有了"),
        (("刘强", "李梅"), "刘强", " ", None, "请填写新户户号"),
        (("刘建华", "王秀英"), "刘建华", "0316", "王秀英", "原户新户主必须是留在原户的成员"),
    ],
)
def test_split_that_cannot_be_right_changes_nothing(liu, movers, head, number, new_head, message):
    household, p = liu
    before = state(household)
    with pytest.raises(ValidationError, match=message):
        event("split", household, member_ids=tuple(p[n].id for n in movers), split_head_id=p[head].id,
              new_household_number=number, new_head_id=p[new_head].id if new_head else None)  # fmt: skip
    assert state(household) == before


# --- every event --------------------------------------------------------------------------------


def test_future_date_is_refused_and_changes_nothing(liu):
    household, p = liu
    before = state(household)
    with pytest.raises(ValidationError, match="发生日期不能晚于今天"):
        event("death", household, villager_id=p["刘芳"].id, on=clock.today() + timedelta(days=1))
    assert state(household) == before
    assert (
        event("move_out", household, villager_id=p["刘芳"].id, on=clock.today().isoformat()).occurred_on
        == clock.today()
    )


def test_unknown_kind_is_refused_in_plain_chinese(liu):
    household, _ = liu
    for kind in ("funeral", "register"):
        with pytest.raises(ValidationError, match="不认识的事件类型") as caught:
            event(kind, household)
        assert "出生、迁入、迁出、死亡、婚姻、分户、变更户主" in caught.value.message


def test_history_has_who_when_and_never_a_plain_id_number(liu, village):
    household, p = liu
    wang, w = wang_family(village)
    event("birth", household, person=PersonInput(name="刘小红", relation="孙女", id_number=new_id(DAY, male=False)))
    event("marriage", wang, villager_id=w["王磊"].id, spouse_id=p["刘芳"].id)
    event("split", household, member_ids=(p["刘强"].id, p["李梅"].id), split_head_id=p["刘强"].id,
          new_household_number="0316")  # fmt: skip
    event("death", household, villager_id=p["刘建华"].id, new_head_id=p["王秀英"].id)
    event("move_in", household, person=person("赵大海", "其他", "1950-01-01", male=True, phone="13912345678"))
    events = _db.session.scalars(select(RegisterEvent).where(RegisterEvent.kind != "register")).all()
    assert [e.kind for e in events] == ["birth", "marriage", "split", "death", "move_in"]
    secrets = [(v.id_number, v.phone) for v in _db.session.scalars(select(Villager))]
    for e in events:
        assert e.recorded_by == "村文书王丽" and e.recorded_at is not None and e.occurred_on == DAY
        assert e.before["people"] and e.after["people"] and e.after["households"]
        history = json.dumps([e.before, e.after], ensure_ascii=False)
        for id_number, phone in secrets:
            assert id_number not in history
            assert not phone or phone not in history
        for shot in e.after["people"].values():
            assert shot["id_number"] == "" or "********" in shot["id_number"]
    death = events[3]
    assert death.before["people"][str(p["王秀英"].id)]["phone"] == "0737-***1234"
