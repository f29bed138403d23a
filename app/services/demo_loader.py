"""Store the generated demo village through the register services (``flask demo load``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, HouseholdHonour, PointsEntry, PointsRule, Region, RegisterEvent
from app.services import page_cache, register
from app.services.demo import DemoHousehold, DemoPerson, generate_village
from app.services.demo.reasons import BAD, GOOD
from app.services.people import PersonInput, snapshot
from app.services.totals import rebuild_totals

RECORDER = "村委会（演示数据）"
DEMO_VILLAGE = "大苍村"


@dataclass(frozen=True)
class LoadResult:
    loaded: bool
    message: str


def load_demo(today: date, *, only_if_empty: bool = False) -> LoadResult:
    """Load 大苍村 unless it (or, with ``only_if_empty``, any household) is already there."""
    if only_if_empty and db.session.scalar(select(func.count()).select_from(Household)):
        return LoadResult(False, "数据库里已有数据，跳过演示村。")
    data = generate_village(today)
    existing = db.session.scalar(select(Region).where(Region.name == data.name, Region.level == "village"))
    if existing is not None and existing.groups:
        return LoadResult(False, f"演示村“{data.name}”已经加载过了。")
    try:
        village = register.ensure_village(data.county, data.town, data.name, slogan=data.slogan)
        village.settings.default_motto = "孝老爱亲 勤俭持家"
        village.settings.contacts = "村委会值班电话：0737-7220000（演示）"
        for group in data.groups:
            register.ensure_group(village, group.number, group.name)
        _store_rules(village)
        people_by_household = {h.number: _store_household(village, h, today) for h in data.households}
        _store_events(village, data.events, people_by_household)
        _store_awards(village, data.awards, people_by_household)
        db.session.flush()
        rebuild_totals(village.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    page_cache.bump_village(village.id)
    current = sum(len(h.current_members) for h in data.households)
    return LoadResult(
        True,
        f"已加载演示村：{data.county} › {data.town} › {data.name}，{len(data.groups)}个组、"
        f"{len(data.households)}户、{current}人、{len(data.awards)}条积分记录。",
    )


def _person_input(p: DemoPerson) -> PersonInput:
    return PersonInput(
        name=p.name, gender=p.gender, birth_date=p.birth_date, id_number=p.id_number, phone=p.phone,
        relation=p.relation, education=p.education, political_status=p.political_status, health=p.health,
        skills=p.skills, work_status=p.work_status, work_place=p.work_place, marital_status=p.marital_status,
    )  # fmt: skip


def _store_household(village: Region, h: DemoHousehold, today: date) -> list:
    household = register.register_household(
        village,
        register.HouseholdInput(
            number=h.number,
            group_number=h.group_number,
            head=_person_input(h.head),
            members=tuple(_person_input(p) for p in h.members[1:]),
            address=h.address,
            category=h.category,
            living_environment=h.living_environment,
            housing=h.housing,
            motto=h.motto,
        ),  # fmt: skip
        recorded_by=RECORDER,
        occurred_on=date(today.year - 1, 1, 1),
        commit=False,
    )
    for title in h.honours:
        db.session.add(
            HouseholdHonour(
                household_id=household.id,
                title=title,
                period=str(today.year - 1),
                awarded_on=date(today.year, 1, 15),
                source="manual",
                note="年度评选（演示）",
            )  # fmt: skip
        )
    return list(household.people)  # same order as h.members


def _store_events(village: Region, events, people_by_household: dict) -> None:
    """Past events: people who left or died get their status; every event is in the history."""
    for e in events:
        people = people_by_household[e.household_number]
        person = next(p for p in people if p.name == e.person_name)
        household = db.session.get(Household, person.household_id)
        before = snapshot(person)
        if e.kind in ("move_out", "death"):
            person.status = "moved_out" if e.kind == "move_out" else "deceased"
            person.left_on = e.occurred_on
        db.session.add(
            RegisterEvent(
                village_id=village.id,
                kind=e.kind,
                household_id=household.id,
                villager_id=person.id,
                occurred_on=e.occurred_on,
                before={"people": {str(person.id): before}} if e.kind != "birth" else {},
                after={"people": {str(person.id): snapshot(person)}},
                note=e.note,
                recorded_by=RECORDER,
            )  # fmt: skip
        )


def _store_rules(village: Region) -> None:
    """The village's 积分细则, one line per kind of deed the demo history uses. Deductions ask
    for a photo: a household should be able to see why it lost points."""
    for reason in (*GOOD, *BAD):
        points = (reason.low + reason.high) // 2 if reason.low > 0 else -((abs(reason.low) + abs(reason.high)) // 2)
        db.session.add(
            PointsRule(
                village_id=village.id,
                category=reason.category,
                item=reason.text,
                points=points,
                evidence_required=points < 0,
            )  # fmt: skip
        )


def _store_awards(village: Region, awards, people_by_household: dict) -> None:
    """A year of history, inserted in bulk; totals are rebuilt once afterwards."""
    households = dict(
        db.session.execute(select(Household.number, Household.id).where(Household.village_id == village.id)).all()
    )
    rows = []
    for i, a in enumerate(awards):
        member = people_by_household[a.household_number][a.member_index] if a.member_index is not None else None
        rows.append(
            {
                "village_id": village.id,
                "household_id": households[a.household_number],
                "villager_id": member.id if member else None,
                "kind": "award" if a.points > 0 else "deduct",
                "points": a.points,
                "category": a.category,
                "reason": a.reason,
                "place": a.place,
                "occurred_on": a.occurred_on,
                "source": "demo",
                "recorded_by": RECORDER,
                "idempotency_key": f"demo:{village.id}:{i}",
            }  # fmt: skip
        )
    for start in range(0, len(rows), 1000):
        db.session.execute(PointsEntry.__table__.insert(), rows[start : start + 1000])
