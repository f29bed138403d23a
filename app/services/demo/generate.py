"""``generate_village``: the whole synthetic 大苍村, deterministic for a given (today, seed).

Everything draws from one ``random.Random(seed)`` in a fixed order; nothing depends on the
global random state, on ``hash()`` of strings or on set iteration order, so every run in every
process gives the same village.
"""

from __future__ import annotations

import random
from datetime import date

from app.services.demo import names, profile
from app.services.demo.events import apply_events, joined_on
from app.services.demo.households import HouseholdDraft, compose, household_sizes, pick_shape
from app.services.demo.models import DemoGroup, DemoHousehold, DemoVillage
from app.services.demo.people import (
    fill_attributes,
    fill_political,
    has_mobile,
    make_id_number,
    make_landline,
    make_mobile,
    party_weight,
)
from app.services.demo.points import activity_weights, make_awards

GROUPS = 18
HOUSEHOLDS = 436
PEOPLE = 1765  # current residents; people who died or moved out come on top
VILLAGE_CADRES = 6  # 村支两委 members besides the 18 group leaders


def generate_village(today: date, seed: int = 2018) -> DemoVillage:
    rng = random.Random(seed)  # nosec B311  # a reproducible demo village, not a secret
    groups = tuple(DemoGroup(n, f"{profile.HAMLETS[n - 1]}组") for n in range(1, GROUPS + 1))
    drafts = _draft_households(rng, today)
    for h in drafts:
        for p in h.members:
            fill_attributes(rng, p, today)
    events = apply_events(rng, today, drafts)
    for h in drafts:
        for p in h.members:
            fill_political(rng, p, today)
    _appoint_cadres(rng, today, drafts)
    _party_quota(rng, today, drafts)
    for h in drafts:
        _couples_work_together(rng, h)
    _number_people(rng, today, drafts)

    weights = activity_weights(rng, drafts, today)
    titles = profile.honours(rng, weights)
    categories = profile.categories(rng, drafts, today)
    households = []
    for h, category, honours in zip(drafts, categories, titles, strict=True):
        elderly_only = all(p.age(today) >= 60 for p in h.current)
        households.append(
            DemoHousehold(
                number=h.number,
                group_number=h.group_number,
                address=f"大苍村{h.hamlet}{h.house_no}号",
                category=category,
                living_environment=profile.environment(rng, category, honours, elderly_only),
                housing=profile.housing(rng, category),
                motto=profile.motto(rng, honours),
                honours=honours,
                members=tuple(p.freeze() for p in h.members),
            )
        )
    awards = make_awards(rng, today, drafts, weights, joined_on(events))
    return DemoVillage(groups=groups, households=tuple(households), awards=tuple(awards), events=tuple(events))


def _draft_households(rng: random.Random, today: date) -> list[HouseholdDraft]:
    per_group = profile.group_sizes(rng, GROUPS, HOUSEHOLDS)
    sizes = household_sizes(rng, HOUSEHOLDS, PEOPLE)
    drafts: list[HouseholdDraft] = []
    for group in range(1, GROUPS + 1):
        clan = names.clan_surnames(rng)
        hamlet = profile.HAMLETS[group - 1]
        house_no = 0
        for k in range(1, per_group[group - 1] + 1):
            shape = pick_shape(rng, sizes[len(drafts)])
            family, members = compose(rng, today, shape, clan)
            house_no += rng.choice((1, 1, 1, 2))  # house numbers with the odd gap
            drafts.append(HouseholdDraft(f"{group:02d}{k:02d}", group, hamlet, house_no, family, shape, members))
    return drafts


def _appoint_cadres(rng: random.Random, today: date, drafts: list[HouseholdDraft]) -> None:
    """One leader per group, plus the village committees; most of them party members."""

    def eligible(p, low, high):
        return (
            p.status == "current" and low <= p.age(today) <= high
            and p.health in ("健康", "慢性病") and p.work_status not in ("在校学生", "村组干部")
        )  # fmt: skip

    def appoint(pool, party_share):
        person = rng.choices(pool, [3 if p.gender == "男" else 1 for p in pool])[0]
        person.work_status, person.work_place = "村组干部", None
        if rng.random() < party_share:
            person.political_status = "中共党员"

    for group in range(1, GROUPS + 1):
        appoint([p for h in drafts if h.group_number == group for p in h.members if eligible(p, 35, 65)], 0.6)
    everyone = [p for h in drafts for p in h.members if eligible(p, 28, 60)]
    for _ in range(VILLAGE_CADRES):
        appoint([p for p in everyone if p.work_status != "村组干部"], 0.9)


def _party_quota(rng: random.Random, today: date, drafts: list[HouseholdDraft]) -> None:
    """Bring 中共党员 among current adults to 6.6–7.4%, keeping the cadres who are members."""
    adults = [p for h in drafts for p in h.members if p.status == "current" and p.age(today) >= 18]
    target = round(len(adults) * rng.uniform(0.066, 0.074))
    members = [p for p in adults if p.political_status == "中共党员"]
    while len(members) > target:
        lay = [p for p in members if p.work_status != "村组干部"]
        person = lay[rng.randrange(len(lay))]
        person.political_status = "群众"
        members.remove(person)
    pool = [p for p in adults if p.political_status == "群众"]
    weights = [party_weight(p, today) for p in pool]
    for _ in range(target - len(members)):
        i = rng.choices(range(len(pool)), weights)[0]
        pool[i].political_status, weights[i] = "中共党员", 0.0


def _couples_work_together(rng: random.Random, h: HouseholdDraft) -> None:
    """Husband and wife who both work away usually work in the same city."""
    m = h.members
    for a, b in zip(m, m[1:], strict=False):
        couple = (a.relation, b.relation) in (("户主", "配偶"), ("子", "儿媳"), ("女", "女婿"))
        if couple and a.work_status == b.work_status == "务工" and rng.random() < 0.8:
            b.work_place = a.work_place


def _number_people(rng: random.Random, today: date, drafts: list[HouseholdDraft]) -> None:
    """ID numbers for everyone; mobiles for most adults; a landline for some elderly heads."""
    ids: set[str] = set()  # membership tests only
    phones: set[str] = set()
    for h in drafts:
        for p in h.members:
            p.id_number = make_id_number(rng, p.birth_date, p.gender, ids)
            p.phone = None
            if p.status != "deceased" and has_mobile(rng, p.age(today)):
                p.phone = make_mobile(rng, phones)
        head = h.members[0]
        if head.phone is None and head.age(today) >= 65 and rng.random() < 0.2:
            head.phone = make_landline(rng)
