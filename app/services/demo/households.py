"""Who lives together: household shapes by size, and ages that fit the relations.

A shape says whether the head has a spouse, how many of the head's parents live in, how many
unmarried children, and which children married and stayed (with their spouse and children).
Ages are drawn so that parents are 21–40 years older than their children and spouses are close.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from app.services.demo import names
from app.services.demo.people import PersonDraft, birth_date_for_age


@dataclass(frozen=True)
class Shape:
    kind: str  # alone_old | alone_mid | couple_old | couple_mid | couple_young | family
    spouse: bool = False
    parents: int = 0  # the head's parents living in
    kids: int = 0  # unmarried children
    married: tuple[int, ...] = ()  # one entry per married child who stayed: number of grandchildren
    uxori: bool = False  # the married child is a daughter with a 上门女婿

    @property
    def size(self) -> int:
        return 1 + self.spouse + self.parents + self.kids + sum(2 + g for g in self.married)


def _fam(spouse: bool, kids: int = 0, married: tuple[int, ...] = (), parents: int = 0, uxori: bool = False):
    return Shape("family", spouse, parents, kids, married, uxori)


SHAPES: dict[int, tuple[tuple[int, Shape], ...]] = {
    1: ((72, Shape("alone_old")), (28, Shape("alone_mid"))),
    2: ((50, Shape("couple_old", True)), (18, Shape("couple_mid", True)), (22, _fam(False, 1)),
        (10, Shape("couple_young", True))),
    3: ((60, _fam(True, 1)), (12, _fam(False, 2)), (5, _fam(True, parents=1)), (13, _fam(False, married=(0,))),
        (5, _fam(False, 1, parents=1)), (5, _fam(False, married=(0,), uxori=True))),
    4: ((45, _fam(True, 2)), (15, _fam(True, 1, parents=1)), (10, _fam(True, married=(0,))),
        (12, _fam(False, married=(1,))), (5, _fam(False, 3)), (5, _fam(False, married=(1,), uxori=True)),
        (8, _fam(True, parents=2))),
    5: ((35, _fam(True, married=(1,))), (20, _fam(True, 2, parents=1)), (10, _fam(True, 3)),
        (15, _fam(False, married=(2,))), (5, _fam(True, married=(1,), uxori=True)),
        (5, _fam(True, 1, married=(0,))), (10, _fam(True, 1, parents=2))),
    6: ((45, _fam(True, married=(2,))), (20, _fam(True, 2, parents=2)), (10, _fam(False, married=(3,))),
        (15, _fam(True, 1, married=(1,))), (10, _fam(True, married=(2,), uxori=True))),
    7: ((40, _fam(True, married=(3,))), (30, _fam(True, 1, married=(2,))), (30, _fam(True, married=(2,), parents=1))),
    8: ((40, _fam(True, married=(1, 1))), (30, _fam(True, married=(3,), parents=1)), (30, _fam(True, married=(4,)))),
}  # fmt: skip

SIZE_WEIGHTS = ((1, 9), (2, 15), (3, 18), (4, 20), (5, 18), (6, 11), (7, 6), (8, 3))


@dataclass
class HouseholdDraft:
    number: str
    group_number: int
    hamlet: str
    house_no: int
    family: str  # surname of the household's line (the children's surname)
    shape: Shape
    members: list[PersonDraft] = field(default_factory=list)

    @property
    def current(self) -> list[PersonDraft]:
        return [p for p in self.members if p.status == "current"]


def _head_age(rng: random.Random, shape: Shape) -> float:
    tri = rng.triangular
    if shape.kind == "alone_old":
        return tri(62, 93, 77)
    if shape.kind == "alone_mid":
        return tri(36, 61, 52)
    if shape.kind == "couple_old":
        return tri(58, 90, 70)
    if shape.kind == "couple_mid":
        return rng.uniform(46, 62)
    if shape.kind == "couple_young":
        return rng.uniform(23, 33)
    if shape.married:
        return tri(48, 86, 66)
    if shape.parents:
        return tri(26, 62, 42)
    return tri(24, 76, 50)


def _children(rng: random.Random, parent_age: float, n: int, first_gap=(21.0, 31.0)) -> list[float]:
    ages, age = [], parent_age - rng.uniform(*first_gap)
    for _ in range(n):
        ages.append(age)
        age -= rng.uniform(1.5, 6.0)
    return ages


def _ages(rng: random.Random, shape: Shape) -> dict | None:
    """Ages in years for every role of the shape, or None when this draw does not fit."""
    head = _head_age(rng, shape)
    spouse = max(20.0, head - rng.triangular(-2, 6, 2)) if shape.spouse else None
    younger = min(head, spouse) if spouse else head - rng.uniform(0, 4)
    kids = _children(rng, younger, len(shape.married) + shape.kids)
    married, singles = kids[: len(shape.married)], kids[len(shape.married) :]
    oldest_parent = max(head, spouse or head)
    if any(not 21 <= oldest_parent - k <= 40 for k in kids):
        return None
    couples = []
    for child, grandkids in zip(married, shape.married, strict=True):
        if child < (22 if grandkids else 21):
            return None
        inlaw = child + (rng.triangular(-1, 5, 2) if shape.uxori else rng.triangular(-4, 3, -1))
        if inlaw < 20:
            return None
        gks = _children(rng, min(child, inlaw), grandkids)
        if any(g < 0.2 or max(child, inlaw) - g > 40 for g in gks):
            return None
        couples.append((child, inlaw, gks))
    if any(k < 0.2 for k in singles):
        return None
    mother = head + rng.uniform(21, 33)
    father = mother + rng.uniform(0, 5)
    if shape.parents and father > 96:
        return None
    if head > 94 or head < 18:
        return None
    return {"head": head, "spouse": spouse, "singles": singles, "couples": couples, "mother": mother, "father": father}


def compose(rng: random.Random, today: date, shape: Shape, clan: tuple[str, str]) -> tuple[str, list[PersonDraft]]:
    """The members of one household (head first) and the surname of its line."""
    for _ in range(500):
        ages = _ages(rng, shape)
        if ages:
            break
    else:  # pragma: no cover - every shape is feasible
        raise RuntimeError(f"no ages fit {shape}")
    roll = rng.random()
    family = clan[0] if roll < 0.55 else clan[1] if roll < 0.70 else names.surname(rng)

    def born(age: float) -> date:
        return birth_date_for_age(rng, today, age)

    members: list[PersonDraft] = []
    taken: list[str] = []

    def add(surname: str, gender: str, age: float, relation: str, marital: str, first: str | None = None):
        b = born(age)
        name = names.full_name(rng, surname, gender, b.year, taken, first=first)
        taken.append(name)
        person = PersonDraft(name=name, gender=gender, birth_date=b, relation=relation, marital_status=marital)
        members.append(person)
        return person

    head_age, has_kids = ages["head"], bool(shape.kids or shape.married)
    head_gender, head_marital = "男", "已婚"
    if shape.kind == "alone_old":
        head_gender = "女" if rng.random() < 0.52 else "男"
        table = (
            (("丧偶", 93), ("离异", 3), ("未婚", 4))
            if head_gender == "女"
            else (("丧偶", 55), ("未婚", 40), ("离异", 5))
        )
        head_marital = rng.choices([m for m, _ in table], [w for _, w in table])[0]
    elif shape.kind == "alone_mid":
        head_gender = "男" if rng.random() < 0.85 else "女"
        head_marital = rng.choices(["未婚", "离异", "丧偶"], [60, 35, 5])[0]
    elif not shape.spouse:
        if has_kids and not shape.parents:
            head_gender = "女" if rng.random() < (0.6 if head_age >= 50 else 0.4) else "男"
        if has_kids:
            head_marital = "丧偶" if rng.random() < (0.85 if head_age >= 50 else 0.45) else "离异"
        else:
            head_marital = rng.choices(["未婚", "离异", "丧偶"], [60, 30, 10])[0]
    # A woman heading her husband's family keeps her own surname; ``family`` stays his line's.
    own = family if head_gender == "男" or head_marital == "未婚" else names.surname(rng, avoid=family)
    add(own, head_gender, head_age, "户主", head_marital)
    if shape.spouse:
        add(names.surname(rng, avoid=family), "女", ages["spouse"], "配偶", "已婚")
    if shape.parents == 2:
        add(family, "男", ages["father"], "父亲", "已婚")
        add(names.surname(rng, avoid=family), "女", ages["mother"], "母亲", "已婚")
    elif shape.parents == 1:
        if rng.random() < 0.7:
            add(names.surname(rng, avoid=family), "女", ages["mother"], "母亲", "丧偶")
        else:
            add(family, "男", ages["father"], "父亲", "丧偶")

    oldest = ages["couples"][0][0] if ages["couples"] else (ages["singles"][0] if ages["singles"] else 0)
    gen = names.generation_character(rng, "男", today.year - int(oldest))
    for child, inlaw, gks in ages["couples"]:
        if shape.uxori:
            add(family, "女", child, "女", "已婚")
            add(names.surname(rng, avoid=family), "男", inlaw, "女婿", "已婚")
        else:
            add(family, "男", child, "子", "已婚", first=gen)
            add(names.surname(rng, avoid=family), "女", inlaw, "儿媳", "已婚")
        for g in gks:
            gender = "男" if rng.random() < 0.53 else "女"
            add(family, gender, g, "孙子" if gender == "男" else "孙女", "未婚")
    for k in ages["singles"]:
        gender = "男" if rng.random() < 0.52 else "女"
        marital = "离异" if k >= 28 and rng.random() < 0.12 else "未婚"
        add(family, gender, k, "子" if gender == "男" else "女", marital, first=gen if gender == "男" else None)
    return family, members


def household_sizes(rng: random.Random, households: int, people: int) -> list[int]:
    """Current-member counts (1–8) for each household, adding up to exactly ``people``."""
    values, weights = [s for s, _ in SIZE_WEIGHTS], [w for _, w in SIZE_WEIGHTS]
    sizes = rng.choices(values, weights, k=households)
    while (diff := people - sum(sizes)) != 0:
        i = rng.randrange(households)
        if diff > 0 and 2 <= sizes[i] <= 6:
            sizes[i] += 1
        elif diff < 0 and 3 <= sizes[i] <= 7:
            sizes[i] -= 1
    return sizes


def pick_shape(rng: random.Random, size: int) -> Shape:
    options = SHAPES[size]
    shape = rng.choices([s for _, s in options], [w for w, _ in options])[0]
    assert shape.size == size, (size, shape)  # nosec B101  # the demo tables' own invariant, not input
    return shape
