"""A year of register events: births, deaths, people moving out, marriages.

Each event is applied to the drafts so the register agrees with it: a newborn is a current
member born that day; the dead and the departed stay listed with status deceased / moved_out;
a bride who married in is already a current member. At most one event per household.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.services.demo import names
from app.services.demo.households import HouseholdDraft
from app.services.demo.models import DemoEvent
from app.services.demo.people import PersonDraft, birth_date_for_age, fill_attributes

_CHILD = ("子", "女", "孙子", "孙女")
_MARRIED_OUT_TO = (
    "桃江县",
    "安化县东坪镇",
    "安化县梅城镇",
    "益阳市赫山区",
    "新化县",
    "冷市镇",
    "长沙市望城区",
    "娄底市娄星区",
)
_CITY_HOMES = ("长沙市雨花区", "长沙市岳麓区", "益阳市赫山区", "深圳市龙岗区", "东莞市长安镇", "安化县东坪镇")
_COLLEGES = ("湖南农业大学", "湖南师范大学", "湖南城市学院", "中南林业科技大学", "湖南科技大学", "长沙理工大学")


def _years(today: date, born: date) -> float:
    return (today - born).days / 365.2425


def _event_day(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(3, 360))


def _names(h: HouseholdDraft) -> list[str]:
    return [p.name for p in h.members]


def _births(rng, today, households, used) -> list[DemoEvent]:
    candidates = []
    for h in households:
        kids = sorted((p for p in h.current if p.relation in _CHILD), key=lambda p: p.birth_date)
        if h.number in used or not kids or _years(today, kids[-1].birth_date) > 5:
            continue
        parents = [
            p
            for p in h.current
            if p.relation in (("子", "儿媳", "女", "女婿") if "孙" in kids[-1].relation else ("户主", "配偶"))
        ]
        if parents and max(_years(today, p.birth_date) for p in parents) < 40:
            if len(kids) == 1 or _years(today, kids[-2].birth_date) >= 2.5:
                candidates.append((h, kids[-1]))
    out = []
    for h, baby in rng.sample(candidates, min(len(candidates), rng.randint(7, 10))):
        day = _event_day(rng, today)
        baby.birth_date = day
        fill_attributes(rng, baby, today)
        used.add(h.number)
        out.append(DemoEvent("birth", h.number, baby.name, day, f"{baby.name}出生，随父母在本户登记户口。"))
    return out


def _deaths(rng, today, households, used) -> list[DemoEvent]:
    candidates = []
    for h in households:
        if h.number in used:
            continue
        head = h.members[0]
        parents = [p for p in h.current if p.relation in ("父亲", "母亲")]
        if head.marital_status == "丧偶" and head.age(today) >= 55 and not any(p.relation == "配偶" for p in h.members):
            candidates.append((h, head, "配偶"))
        elif len(parents) == 1:
            candidates.append((h, parents[0], "父亲" if parents[0].gender == "女" else "母亲"))
    out = []
    for h, survivor, relation in rng.sample(candidates, min(len(candidates), rng.randint(6, 9))):
        day = _event_day(rng, today)
        gender = "女" if survivor.gender == "男" else "男"
        age = _years(today, survivor.birth_date) + (rng.uniform(0, 4) if gender == "男" else -rng.uniform(0, 3))
        kids = [_years(today, p.birth_date) for p in h.members if p.relation in ("子", "女")]
        if relation in ("父亲", "母亲"):
            kids = [_years(today, h.members[0].birth_date)]
        if kids:
            age = min(max(age, max(kids) + 20), min(kids) + 39)
        surname = h.family if gender == "男" else names.surname(rng, avoid=h.family)
        born = birth_date_for_age(rng, today, age)
        person = PersonDraft(
            name=names.full_name(rng, surname, gender, born.year, _names(h)),
            gender=gender, birth_date=born, relation=relation, marital_status="已婚", status="deceased",
        )  # fmt: skip
        fill_attributes(rng, person, today)
        h.members.insert(h.members.index(survivor) + 1, person)
        used.add(h.number)
        lived = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        causes = ("因病医治无效去世", "因病去世", "突发疾病去世") + (("在家中安详辞世",) * 2 if lived >= 78 else ())
        cause = rng.choice(causes)
        out.append(DemoEvent("death", h.number, person.name, day, f"{person.name}{cause}，享年{lived}岁，注销户口。"))
    return out


def _moves(rng, today, households, used) -> list[DemoEvent]:
    candidates = []
    for h in households:
        head = h.members[0]
        if h.number not in used and h.shape.kind in ("family", "couple_mid") and 42 <= head.age(today) <= 70:
            candidates.append(h)
    out, wanted = [], rng.randint(6, 9)
    for h in rng.sample(candidates, len(candidates)):
        if len(out) == wanted:
            break
        parents = [_years(today, p.birth_date) for p in h.members if p.relation in ("户主", "配偶")]
        kind = rng.choices(("married_out", "city", "college"), (5, 3, 2))[0]
        low, high = {"married_out": (21, 34), "city": (24, 38), "college": (18, 20)}[kind]
        age = min(high, min(parents) - rng.uniform(21, 31))
        if age < low or max(parents) - age > 39:
            continue  # no child of that age fits these parents
        day = _event_day(rng, today)
        gender = "女" if kind == "married_out" else rng.choice("男女")
        born = birth_date_for_age(rng, today, age)
        person = PersonDraft(
            name=names.full_name(rng, h.family, gender, born.year, _names(h)), gender=gender, birth_date=born,
            relation="子" if gender == "男" else "女", status="moved_out",
            marital_status="已婚" if kind == "married_out" or (kind == "city" and rng.random() < 0.7) else "未婚",
        )  # fmt: skip
        fill_attributes(rng, person, today)
        if kind == "college":
            person.education, person.work_status = "本科及以上", "在校学生"
            person.work_place, person.skills = "长沙", None
            note = f"考入{rng.choice(_COLLEGES)}，户口迁往学校。"
        elif kind == "city":
            note = f"在{(place := rng.choice(_CITY_HOMES))[:2]}购房定居，户口迁往{place}。"
        else:
            note = f"出嫁，户口迁往{rng.choice(_MARRIED_OUT_TO)}。"
        h.members.append(person)
        used.add(h.number)
        out.append(DemoEvent("move_out", h.number, person.name, day, f"{person.name}{note}"))
    return out


def _marriages(rng, today, households, used) -> list[DemoEvent]:
    candidates = []
    for h in households:
        if h.number in used or h.shape.married not in ((0,), ()):
            continue
        for p in h.current:
            partner = {"儿媳": "子", "女婿": "女", "配偶": "户主"}.get(p.relation)
            if partner and 21 <= p.age(today) <= 34 and (h.shape.married or h.shape.kind == "couple_young"):
                candidates.append((h, p, next(q for q in h.current if q.relation == partner)))
    out = []
    for h, person, partner in rng.sample(candidates, min(len(candidates), rng.randint(4, 7))):
        day = _event_day(rng, today)
        used.add(h.number)
        note = f"{person.name}与{partner.name}登记结婚，户口迁入本户。"
        out.append(DemoEvent("marriage", h.number, person.name, day, note))
    return out


def apply_events(rng: random.Random, today: date, households: list[HouseholdDraft]) -> list[DemoEvent]:
    """Pick households for past events, change their drafts to match, return the events by date."""
    used: set[str] = set()  # membership tests only: never iterated
    events = []
    for step in (_births, _deaths, _moves, _marriages):
        events += step(rng, today, households, used)
    events.sort(key=lambda e: (e.occurred_on, e.household_number))
    return events


def joined_on(events: list[DemoEvent]) -> dict[tuple[str, str], date]:
    """(household, name) → the day a person arrived by birth or marriage: no awards before that."""
    return {(e.household_number, e.person_name): e.occurred_on for e in events if e.kind in ("birth", "marriage")}
