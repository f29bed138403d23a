"""A year of moral-points history: uneven by household, seasonal by reason, ~10% deductions."""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.services.demo.households import HouseholdDraft
from app.services.demo.models import DemoAward
from app.services.demo.people import PersonDraft
from app.services.demo.reasons import BAD, GOOD, Reason, place_options

DEDUCTION_SHARE = 0.10


def activity_weights(rng: random.Random, households: list[HouseholdDraft], today: date) -> list[float]:
    """How keen each household is: a long tail of very active ones, about one in nine with none."""
    weights = []
    for h in households:
        people = h.current
        able = [p for p in people if 18 <= p.age(today) <= 75 and p.work_status not in ("务工", "无劳动能力")]
        quiet = 0.25 if not able else 0.11
        if rng.random() < quiet:
            weights.append(0.0)
            continue
        size_factor = 0.7 + 0.15 * len(people) + 0.2 * len(able)
        weights.append(rng.lognormvariate(0, 0.8) * size_factor)
    return weights


class _Calendar:
    """The days of the year before ``today`` (inclusive), filtered by month on demand."""

    def __init__(self, today: date):
        self.days = [today - timedelta(days=d) for d in range(365)]
        self._by_months: dict[tuple[int, ...] | None, list[date]] = {None: self.days}

    def pick(self, rng: random.Random, months: tuple[int, ...] | None, not_before: date | None = None) -> date:
        if months not in self._by_months:
            self._by_months[months] = [d for d in self.days if d.month in months] or self.days
        days = self._by_months[months]
        if not_before:
            days = [d for d in days if d >= not_before] or [d for d in self.days if d >= not_before]
        return rng.choice(days)


def _member_weight(p: PersonDraft, today: date, reason: Reason) -> float:
    age = p.age(today)
    if p.status != "current" or age < 7:  # at least six on any day of the past year
        return 0.0
    if reason.who == "child":
        return 1.0 if age < 18 else 0.0
    if reason.who == "party":
        return 1.0 if age >= 18 and p.political_status in ("中共党员", "中共预备党员") else 0.0
    if reason.who == "wife":
        return 1.0 if 18 <= age < 75 and p.relation in ("配偶", "儿媳") and p.gender == "女" else 0.0
    if age < 18:
        return 0.4 if reason.who == "any" else 0.0
    if p.health == "长期卧床":
        return 0.0
    if p.work_status == "无劳动能力":
        return 0.2
    if p.work_status == "务工":
        return 0.45
    if p.work_status == "村组干部":
        return 2.0
    return 1.0 if age >= 70 else 1.5


def _pick_reason(rng: random.Random, negative: bool) -> Reason:
    pool = BAD if negative else GOOD
    return rng.choices(pool, [r.weight for r in pool])[0]


def make_awards(
    rng: random.Random,
    today: date,
    households: list[HouseholdDraft],
    weights: list[float],
    joined: dict[tuple[str, str], date],
) -> list[DemoAward]:
    """Awards and deductions for the year before ``today``, never after it."""
    calendar = _Calendar(today)
    mean = sum(weights) / len(weights)
    per_household = rng.uniform(9.0, 10.5)
    awards: list[DemoAward] = []
    for h, weight in zip(households, weights, strict=True):
        n = int(weight / mean * per_household * rng.uniform(0.85, 1.15) + rng.random())
        for _ in range(n):
            awards.append(_one_award(rng, today, h, calendar, joined))
    awards.sort(key=lambda a: (a.occurred_on, a.household_number))
    return awards


def _one_award(rng, today, h: HouseholdDraft, calendar: _Calendar, joined) -> DemoAward:
    while True:
        reason = _pick_reason(rng, rng.random() < DEDUCTION_SHARE)
        member_index, not_before = None, None
        if reason.who != "household":
            members = h.members
            ws = [_member_weight(p, today, reason) for p in members]
            personal = reason.who in ("child", "party", "wife")
            if not any(ws):
                if personal:
                    continue  # nobody here it could be about: pick another reason
            elif personal or rng.random() < 0.9:
                member_index = rng.choices(range(len(members)), ws)[0]
                not_before = joined.get((h.number, members[member_index].name))
        points = rng.randint(reason.low, reason.high)
        place = rng.choice(place_options(reason.place, h.hamlet))
        day = calendar.pick(rng, reason.months, not_before)
        return DemoAward(h.number, member_index, points, reason.category, reason.text, place, day)
