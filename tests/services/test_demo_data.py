"""The synthetic demo village: exact counts, determinism, valid IDs, consistent families, sane points."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.services import vocab
from app.services.demo import DemoVillage, generate_village
from app.services.validators import (
    birth_date_from_id,
    clean_id_number,
    clean_name,
    clean_phone,
    gender_from_id,
)

TODAY = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def village() -> DemoVillage:
    return generate_village(TODAY)


def age(p, on: date | None = None) -> int:
    on, b = on or TODAY, p.birth_date
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def digest(v: DemoVillage) -> str:
    return hashlib.sha256(repr(v).encode()).hexdigest()


def surname_of(name: str) -> str:
    return name[:2] if name[:2] == "欧阳" else name[0]


# ---- counts and shape -------------------------------------------------------------------------


def test_exact_counts(village):
    assert (village.county, village.town, village.name) == ("安化县", "冷市镇", "大苍村")
    assert village.slogan == "乡村振兴强国梦 美丽大苍在行动"
    assert [g.number for g in village.groups] == list(range(1, 19))
    assert all(g.name for g in village.groups)
    assert len(village.households) == 436
    assert sum(p.status == "current" for p in village.people) == 1765
    assert {h.group_number for h in village.households} == set(range(1, 19))


def test_household_numbers_and_addresses(village):
    numbers = [h.number for h in village.households]
    assert len(set(numbers)) == len(numbers)
    for h in village.households:
        assert len(h.number) == 4 and int(h.number[:2]) == h.group_number
        assert h.address.startswith("大苍村") and h.address.endswith("号")


def test_household_sizes_are_uneven(village):
    sizes = Counter(len(h.current_members) for h in village.households)
    assert set(sizes) <= set(range(1, 9))
    assert sizes[1] >= 15  # elderly living alone, a few single men
    assert sum(sizes[n] for n in (3, 4, 5)) / 436 >= 0.45
    assert max(sizes, key=sizes.get) in (3, 4, 5)


def test_records_are_frozen(village):
    with pytest.raises(dataclasses.FrozenInstanceError):
        village.households[0].members[0].name = "x"  # type: ignore[misc]


# ---- determinism ------------------------------------------------------------------------------


def test_same_inputs_same_village(village):
    again = generate_village(TODAY)
    assert again == village
    assert digest(again) == digest(village)
    assert generate_village(TODAY, seed=2019) != village


def test_same_village_in_another_process(village):
    code = (
        "import hashlib; from datetime import date; from app.services.demo import generate_village; "
        f"print(hashlib.sha256(repr(generate_village(date({TODAY.year}, {TODAY.month}, {TODAY.day}))).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == digest(village)


# ---- people -----------------------------------------------------------------------------------


def test_id_numbers_valid_unique_and_match_person(village):
    ids = [p.id_number for p in village.people]
    assert len(set(ids)) == len(ids)
    for p in village.people:
        assert clean_id_number(p.id_number, today=TODAY) == p.id_number
        assert p.id_number.startswith("430923")
        assert birth_date_from_id(p.id_number) == p.birth_date
        assert gender_from_id(p.id_number) == p.gender
        assert p.birth_date <= TODAY


def test_phones(village):
    mobiles = []
    for p in village.people:
        if p.phone is None:
            continue
        assert clean_phone(p.phone) == p.phone
        assert age(p) >= 18 and p.status != "deceased"
        if "-" not in p.phone:
            mobiles.append(p.phone)
    assert len(set(mobiles)) == len(mobiles)
    working_age = [p for p in village.current_people if 18 <= age(p) <= 59]
    assert sum(p.phone is not None for p in working_age) / len(working_age) > 0.9
    old = [p for p in village.current_people if age(p) >= 80]
    assert sum(p.phone is None for p in old) / len(old) > 0.5


def test_vocabularies(village):
    for h in village.households:
        assert h.category in vocab.HOUSEHOLD_CATEGORIES
        assert h.living_environment in vocab.LIVING_ENVIRONMENTS
        assert h.housing in vocab.HOUSING
        assert h.motto is None or 2 <= len(h.motto) <= 30
        assert isinstance(h.honours, tuple)
    for p in village.people:
        assert clean_name(p.name) == p.name
        assert p.gender in vocab.GENDERS
        assert p.relation in vocab.RELATIONS
        assert p.education in vocab.EDUCATIONS
        assert p.political_status in vocab.POLITICAL_STATUSES
        assert p.health in vocab.HEALTH
        assert p.work_status in vocab.WORK_STATUSES
        assert p.marital_status in vocab.MARITAL_STATUSES
        assert p.status in vocab.PERSON_STATUSES
        assert p.skills is None or p.skills.strip()
        if p.work_place is not None:
            assert p.work_status in ("务工", "个体经营", "在校学生")
        if p.work_status == "务工":
            assert p.work_place
    for a in village.awards:
        assert a.category in vocab.POINTS_CATEGORIES


def test_one_adult_current_head_per_household(village):
    for h in village.households:
        heads = [p for p in h.members if p.relation == "户主"]
        assert heads == [h.members[0]]
        assert h.members[0].status == "current" and age(h.members[0]) >= 18
        assert len({p.name for p in h.members}) == len(h.members)  # names tell members apart


def test_ages_fit_relations(village):
    for h in village.households:
        head = h.members[0]
        spouses = [p for p in h.members if p.relation == "配偶"]
        parents_gen = [head, *spouses]
        for s in spouses:
            assert abs(age(head) - age(s)) <= 10
        for p in h.members:
            if p.relation in ("子", "女"):
                for parent in parents_gen:
                    assert 18 <= age(parent) - age(p) <= 40, (h.number, p)
            elif p.relation in ("父亲", "母亲"):
                assert 18 <= age(p) - age(head) <= 40, (h.number, p)
            elif p.relation in ("孙子", "孙女"):
                couples = [
                    q for q in h.members if q.relation in ("子", "女", "儿媳", "女婿") and q.marital_status == "已婚"
                ]
                assert any(18 <= age(q) - age(p) <= 40 for q in couples), (h.number, p)


def test_marital_status_consistent(village):
    for h in village.households:
        head = h.members[0]
        if any(p.relation == "配偶" and p.status == "current" for p in h.members):
            assert head.marital_status == "已婚"
        for p in h.members:
            if p.relation in ("配偶", "儿媳", "女婿"):
                assert p.marital_status == "已婚"
            if age(p) < 18:
                assert p.marital_status == "未婚"


def test_family_shares_surname_of_male_head(village):
    for h in village.households:
        head = h.members[0]
        if head.gender != "男":
            continue
        family = surname_of(head.name)
        for p in h.members:
            if p.relation in ("子", "女", "孙子", "孙女", "父亲"):
                assert p.name.startswith(family), (h.number, p.name)
            if p.relation in ("配偶", "儿媳", "女婿", "母亲"):
                assert not p.name.startswith(family), (h.number, p.name)


# ---- distributions ----------------------------------------------------------------------------


def share(items, pred) -> float:
    items = list(items)
    return sum(1 for x in items if pred(x)) / len(items)


def test_population_distributions(village):
    people = village.current_people
    adults = [p for p in people if age(p) >= 18]
    working_age = [p for p in people if 18 <= age(p) <= 59]
    assert 0.35 <= share(working_age, lambda p: p.work_status == "务工") <= 0.45
    assert 0.20 <= share(people, lambda p: age(p) >= 60) <= 0.35
    assert 0.06 <= share(adults, lambda p: p.political_status == "中共党员") <= 0.08
    assert 0.4 <= share(people, lambda p: p.gender == "男") <= 0.6
    old = [p for p in people if age(p) >= 60]
    assert share(old, lambda p: p.education in ("小学", "初中", "文盲或半文盲")) > 0.8
    young = [p for p in people if 23 <= age(p) <= 35]
    assert share(young, lambda p: p.education in ("高中", "中专", "大专", "本科及以上")) > 0.5
    school_age = [p for p in people if 7 <= age(p) <= 14]
    assert all(p.work_status == "在校学生" for p in school_age)
    assert all(p.work_status == "学龄前" for p in people if age(p) < 6)
    assert 15 <= sum(p.work_status == "村组干部" for p in people) <= 40


def test_household_distributions(village):
    hs = village.households
    categories = Counter(h.category for h in hs)
    assert categories.most_common(1)[0][0] == "一般户"
    assert 0.08 <= categories["脱贫户"] / 436 <= 0.12
    assert categories["五保户"] >= 1
    for h in hs:
        if h.category == "五保户":
            assert len(h.current_members) == 1 and age(h.members[0]) >= 60
    assert share(hs, lambda h: h.living_environment in ("整洁", "一般")) >= 0.85
    assert 0.06 <= share(hs, lambda h: "道德模范之家" in h.honours) <= 0.10
    assert share(hs, lambda h: h.motto is not None) >= 0.75


# ---- points and events ------------------------------------------------------------------------


def test_awards_refer_to_current_members_and_past_dates(village):
    by_number = {h.number: h for h in village.households}
    assert 3000 <= len(village.awards) <= 6000
    for a in village.awards:
        h = by_number[a.household_number]
        if a.member_index is not None:
            member = h.members[a.member_index]
            assert member.status == "current"
            assert a.occurred_on >= member.birth_date + timedelta(days=365 * 6)
        assert TODAY - timedelta(days=365) < a.occurred_on <= TODAY
        assert a.points != 0 and -10 <= a.points <= 10
        assert a.reason
    assert list(village.awards) == sorted(village.awards, key=lambda a: (a.occurred_on, a.household_number))


def test_awards_are_uneven_with_some_deductions(village):
    per = Counter(a.household_number for a in village.awards)
    counts = sorted((per.get(h.number, 0) for h in village.households), reverse=True)
    assert counts.count(0) >= 20  # some households have no entries at all
    assert counts[0] >= 4 * counts[len(counts) // 2]
    negatives = [a for a in village.awards if a.points < 0]
    assert 0.07 <= len(negatives) / len(village.awards) <= 0.13
    assert all(-10 <= a.points <= -2 for a in negatives)
    assert len({a.reason for a in village.awards}) >= 40
    totals = Counter()
    for a in village.awards:
        totals[a.household_number] += a.points
    model = [h.number for h in village.households if "道德模范之家" in h.honours]
    assert sum(totals[n] for n in model) / len(model) > sum(totals.values()) / 436


def test_no_awards_before_someone_arrived(village):
    by_number = {h.number: h for h in village.households}
    arrived = {
        (e.household_number, e.person_name): e.occurred_on for e in village.events if e.kind in ("birth", "marriage")
    }
    checked = 0
    for a in village.awards:
        if a.member_index is None:
            continue
        key = (a.household_number, by_number[a.household_number].members[a.member_index].name)
        if key in arrived:
            assert a.occurred_on >= arrived[key]
            checked += 1
    assert checked >= 1  # brides who married in do earn points after the wedding


def test_events_match_register(village):
    by_number = {h.number: h for h in village.households}
    assert 20 <= len(village.events) <= 40
    assert {e.kind for e in village.events} == {"birth", "move_out", "death", "marriage"}
    for e in village.events:
        assert TODAY - timedelta(days=365) < e.occurred_on <= TODAY
        person = next(p for p in by_number[e.household_number].members if p.name == e.person_name)
        assert e.note
        if e.kind == "birth":
            assert person.status == "current" and person.birth_date == e.occurred_on
        elif e.kind == "death":
            assert person.status == "deceased"
        elif e.kind == "move_out":
            assert person.status == "moved_out"
        else:
            assert person.status == "current" and person.relation in ("配偶", "儿媳", "女婿")
            assert person.marital_status == "已婚"
    gone = Counter(p.status for p in village.people if p.status != "current")
    kinds = Counter(e.kind for e in village.events)
    assert gone == Counter({"deceased": kinds["death"], "moved_out": kinds["move_out"]})


@pytest.mark.parametrize(("today", "seed"), [(date(2025, 1, 15), 1), (date(2030, 12, 31), 99)])
def test_other_dates_and_seeds_keep_the_invariants(today, seed):
    v = generate_village(today, seed)
    assert len(v.households) == 436 and len(v.current_people) == 1765
    ids = [p.id_number for p in v.people]
    assert len(set(ids)) == len(ids)
    for p in v.people:
        assert clean_id_number(p.id_number, today=today) == p.id_number
    for h in v.households:
        assert [p.relation for p in h.members].count("户主") == 1 and h.members[0].relation == "户主"
    members = {h.number: h.members for h in v.households}
    for a in v.awards:
        assert a.occurred_on <= today
        if a.member_index is not None:
            assert members[a.household_number][a.member_index].status == "current"
