"""Timelines (R4): every change to a household or a person, newest first, with who and when.

Two sources: register events (``RegisterEvent``, with before/after pictures of everything they
touched) and corrections made in the back office (audit rows ``register.household_edit`` /
``register.villager_edit`` with the changed fields). Both are turned into the same readable
items: "刘建华 · 状态: 在册 → 已故". Snapshots hold ID and phone numbers masked only and birth
dates as year and month; a birth's own date is shown by month too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from app.extensions import db
from app.models import AuditLog, Household, RegisterEvent, Villager, VillagerGroup
from app.privacy import birth_month
from app.services import clock, vocab
from app.services.clock import VILLAGE_TZ
from app.services.identity_proof import aware

EDIT_ACTIONS = ("register.household_edit", "register.villager_edit")
HOUSEHOLD_STATUSES = {"active": "在册", "dissolved": "已注销"}
PERSON_LABELS = {
    "name": "姓名", "gender": "性别", "birth_date": "出生日期", "id_number": "身份证号", "phone": "手机号",
    "relation": "与户主关系", "education": "文化程度", "political_status": "政治面貌", "health": "健康状况",
    "skills": "技能特长", "work_status": "就业状况", "work_place": "务工地点", "marital_status": "婚姻状况",
    "ethnicity": "民族", "status": "状态", "household_id": "所在户", "left_on": "离开日期",
}  # fmt: skip
HOUSEHOLD_LABELS = {
    "number": "户号", "group_id": "村民小组", "head_id": "户主", "address": "住址", "category": "户类别",
    "living_environment": "人居环境", "housing": "住房结构", "motto": "家风家训", "status": "状态",
}  # fmt: skip
MAX_ITEMS = 200


@dataclass
class Change:
    who: str
    what: str
    before: str
    after: str


@dataclass
class TimelineItem:
    title: str
    occurred_on: date
    recorded_by: str
    recorded_at: datetime
    subject: str = ""
    note: str | None = None
    changes: list[Change] = field(default_factory=list)
    month_only: bool = False  # a birth's date is the person's birth date: only its month is shown

    @property
    def when(self) -> str:
        if not self.month_only:
            return self.occurred_on.isoformat()
        month = birth_month(self.occurred_on, clock.today())
        return f"{int(month[:4])}年{int(month[5:])}月" if month else "近期（月份稍后显示）"

    @property
    def recorded_when(self) -> str:
        # A birth is recorded soon after it happens: the day it was recorded bounds the birth day.
        at = self.recorded_at
        return f"{at.year}年{at.month}月" if self.month_only else at.strftime("%Y-%m-%d %H:%M")

    def sort_key(self) -> tuple:
        """Newest first; a birth sorts as the oldest item of the span its shown date stands for
        (its month, or since the 1st of last month while that is withheld), so its place among
        the other events gives no hint of its day."""
        if self.month_only:
            month = birth_month(self.occurred_on, clock.today())
            earliest = date.fromisoformat(f"{month}-01") if month else _first_of_last_month(clock.today())
            return (earliest, 0, datetime.min)
        return (self.occurred_on, 1, self.recorded_at.replace(tzinfo=None))


def _first_of_last_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _people(side: dict) -> dict[str, dict]:
    """The people of one side of an event; registration stores a list, other events a dict."""
    people = (side or {}).get("people") or {}
    if isinstance(people, list):
        return {str(p["id"]): p for p in people}
    return people


def _households(side: dict) -> dict[str, dict]:
    side = side or {}
    if "household" in side:
        return {str(side["household"]["id"]): side["household"]}
    return side.get("households") or {}


class _Names:
    """Turns the ids inside snapshots into words, with one query per kind of id."""

    def __init__(self, village_ids: list[int]):
        self.village_ids = village_ids
        self.people: dict[int, str] = {}
        self.households: dict[int, str] = {}
        self.groups: dict[int, str] = {}

    def load(self, people_ids: set, household_ids: set, group_ids: set) -> None:
        people_ids, household_ids = people_ids - self.people.keys(), household_ids - self.households.keys()
        if people_ids:
            rows = db.session.execute(
                select(Villager.id, Villager.name).where(
                    Villager.id.in_(people_ids), Villager.village_id.in_(self.village_ids)
                )
            )
            self.people.update(dict(rows.all()))
        if household_ids:
            rows = db.session.execute(
                select(Household.id, Household.number).where(
                    Household.id.in_(household_ids), Household.village_id.in_(self.village_ids)
                )
            )
            self.households.update({i: f"{n}户" for i, n in rows.all()})
        if group_ids - self.groups.keys():
            rows = db.session.execute(
                select(VillagerGroup.id, VillagerGroup.name).where(VillagerGroup.id.in_(group_ids))
            )
            self.groups.update(dict(rows.all()))

    def value(self, name: str, value, *, household: bool) -> str:
        if value is None or value == "":
            return "—"
        if name == "status":
            return (HOUSEHOLD_STATUSES if household else vocab.PERSON_STATUSES).get(value, value)
        if name == "head_id":
            return self.people.get(value, "（外村或已不在册的人）")
        if name == "household_id":
            return self.households.get(value, "（外村的户）")
        if name == "group_id":
            return self.groups.get(value, "—")
        return str(value)


def _diff(who: str, before: dict | None, after: dict, labels: dict, names: _Names, *, household: bool):
    if before is None:
        if household:
            return [Change(who, "新建户", "", f"户号 {after.get('number')}")]
        described = "，".join(str(after[k]) for k in ("relation", "gender", "birth_date") if after.get(k))
        return [Change(who, "登记入户", "", described)]
    return [
        Change(who, label, names.value(key, before.get(key), household=household),
               names.value(key, after.get(key), household=household))
        for key, label in labels.items()
        if key in after and before.get(key) != after.get(key)
    ]  # fmt: skip


def _ids_in(snapshots: list[dict], key: str) -> set:
    return {s[key] for s in snapshots if s.get(key) is not None}


def _event_items(events: list[RegisterEvent], names: _Names) -> list[TimelineItem]:
    people_ids, household_ids, group_ids = set(), set(), set()
    for e in events:
        shots = [*_people(e.before).values(), *_people(e.after).values()]
        homes = [*_households(e.before).values(), *_households(e.after).values()]
        people_ids |= _ids_in(homes, "head_id") | ({e.villager_id} - {None})
        household_ids |= _ids_in(shots, "household_id") | {e.household_id} | ({e.related_household_id} - {None})
        group_ids |= _ids_in(homes, "group_id")
    names.load(people_ids, household_ids, group_ids)
    items = []
    for e in events:
        before_people, after_people = _people(e.before), _people(e.after)
        before_homes, after_homes = _households(e.before), _households(e.after)
        for pid, shot in after_people.items():
            names.people.setdefault(int(pid), shot.get("name", ""))
        changes = []
        for hid, after in after_homes.items():
            who = names.households.get(int(hid), f"{after.get('number')}户")
            changes += _diff(who, before_homes.get(hid), after, HOUSEHOLD_LABELS, names, household=True)
        for pid, after in after_people.items():
            who = after.get("name", "")
            changes += _diff(who, before_people.get(pid), after, PERSON_LABELS, names, household=False)
        items.append(
            TimelineItem(
                title=vocab.EVENT_KINDS.get(e.kind, e.kind),
                occurred_on=e.occurred_on,
                recorded_by=e.recorded_by,
                recorded_at=_local(e.recorded_at),
                subject=names.people.get(e.villager_id, "") if e.villager_id else "",
                note=e.note,
                changes=changes,
                month_only=e.kind == "birth",
            )
        )
    return items


def _edit_items(rows: list[AuditLog], names: _Names) -> list[TimelineItem]:
    people_ids = {int(r.target.split(":")[1]) for r in rows if r.target.startswith("villager:")}
    household_ids, group_ids = set(), set()
    for r in rows:
        for side in (r.detail.get("before", {}), r.detail.get("after", {})):
            people_ids |= _ids_in([side], "head_id")
            household_ids |= _ids_in([side], "household_id")
            group_ids |= _ids_in([side], "group_id")
    names.load(people_ids, household_ids, group_ids)
    items = []
    for r in rows:
        kind, target_id = r.target.split(":")
        household = kind == "household"
        who = "本户" if household else names.people.get(int(target_id), "")
        labels = HOUSEHOLD_LABELS if household else PERSON_LABELS
        changes = _diff(who, r.detail.get("before", {}), r.detail.get("after", {}), labels, names, household=household)
        at = _local(r.at)
        subject = "" if household else who
        items.append(TimelineItem("信息更正", at.date(), r.actor, at, subject=subject, changes=changes))
    return items


def _local(at: datetime) -> datetime:
    return aware(at).astimezone(VILLAGE_TZ)


def _newest_first(items: list[TimelineItem]) -> list[TimelineItem]:
    return sorted(items, key=TimelineItem.sort_key, reverse=True)[:MAX_ITEMS]


def household_timeline(household: Household, village_ids: list[int]) -> list[TimelineItem]:
    """Events of this household (including people joining from or leaving to another one) and
    corrections of it or its people; only what happened in villages the viewer may see."""
    events = db.session.scalars(
        select(RegisterEvent).where(
            or_(RegisterEvent.household_id == household.id, RegisterEvent.related_household_id == household.id),
            RegisterEvent.village_id.in_(village_ids),
        )
    ).all()
    people_ids = db.session.scalars(select(Villager.id).where(Villager.household_id == household.id)).all()
    targets = [f"household:{household.id}"] + [f"villager:{i}" for i in people_ids]
    edits = db.session.scalars(
        select(AuditLog).where(
            AuditLog.village_id == household.village_id, AuditLog.action.in_(EDIT_ACTIONS), AuditLog.target.in_(targets)
        )
    ).all()
    names = _Names(village_ids)
    return _newest_first(_event_items(list(events), names) + _edit_items(list(edits), names))


def villager_timeline(villager: Villager, village_ids: list[int]) -> list[TimelineItem]:
    """Every event whose before/after pictures include this person, in every household they have
    been part of that the viewer may see, and corrections of their details."""
    key = str(villager.id)
    households, seen, touching = {villager.household_id}, set(), {}
    while households - seen:  # follow the person back through the households they came from
        batch = households - seen
        seen |= batch
        found = db.session.scalars(
            select(RegisterEvent).where(
                or_(RegisterEvent.household_id.in_(batch), RegisterEvent.related_household_id.in_(batch)),
                RegisterEvent.village_id.in_(village_ids),
            )
        ).all()
        for e in found:
            shots = [_people(e.before).get(key), _people(e.after).get(key)]
            # Events list everyone in a household they touched; only a change makes it theirs.
            if e.villager_id == villager.id or (any(shots) and shots[0] != shots[1]):
                touching[e.id] = e
                households |= _ids_in([s for s in shots if s], "household_id")
    edits = db.session.scalars(
        select(AuditLog).where(
            AuditLog.village_id.in_(village_ids),
            AuditLog.action == "register.villager_edit",
            AuditLog.target == f"villager:{villager.id}",
        )
    ).all()
    names = _Names(village_ids)
    names.people[villager.id] = villager.name
    return _newest_first(_event_items(list(touching.values()), names) + _edit_items(list(edits), names))
