"""Register events (R4): the one path by which people join, leave, die, marry or split off.

Every event records the before/after of what it touched, who recorded it and when. A household
whose head dies or leaves gets its new head in the same transaction, or nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from sqlalchemy import select, update

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Household, PointsTotal, RegisterEvent, Villager
from app.services import codes, page_cache, vocab
from app.services.people import PersonInput, clean_person, snapshot
from app.services.register import ensure_group, household_snapshot
from app.services.relations import relations_for_new_head, spouse_relation, widowed_by
from app.services.validators import clean_past_date, clean_text


@dataclass(frozen=True)
class EventInput:
    kind: str  # a key of vocab.EVENT_KINDS (not "register")
    household_id: int
    occurred_on: date | str
    recorded_by: str
    villager_id: int | None = None  # the person the event is about (left, died, married …)
    person: PersonInput | None = None  # a new person (birth, move in, spouse from outside)
    spouse_id: int | None = None  # marriage: a villager of another household who marries in
    new_head_id: int | None = None  # the household's next head, when the head leaves or changes
    member_ids: tuple[int, ...] = ()  # split: who moves to the new household
    split_head_id: int | None = None  # split: head of the new household
    new_household_number: str | None = None  # split
    group_number: int | None = None  # split: group of the new household (default: same)
    address: str | None = None  # split
    note: str | None = None
    relations: dict[int, str] = field(default_factory=dict)  # explicit corrections, villager id → relation


class _Change:
    """Collects before/after pictures of everything one event touches."""

    def __init__(self):
        self.before: dict = {"people": {}, "households": {}}
        self.after: dict = {"people": {}, "households": {}}
        self._people: dict[int, Villager] = {}
        self._households: dict[int, Household] = {}

    def person(self, v: Villager, *, new: bool = False) -> Villager:
        """Track ``v``; its "before" is taken the first time only, and never for a new person."""
        if id(v) not in self._people:
            self._people[id(v)] = v
            if not new:
                self.before["people"][str(v.id)] = snapshot(v)
        return v

    def household(self, h: Household, *, new: bool = False) -> Household:
        if h.id not in self._households:
            self._households[h.id] = h
            if not new:
                self.before["households"][str(h.id)] = household_snapshot(h)
                for m in h.members:
                    self.person(m)
        return h

    def finish(self):
        db.session.flush()
        self.after["people"] = {str(v.id): snapshot(v) for v in self._people.values()}
        self.after["households"] = {str(h.id): household_snapshot(h) for h in self._households.values()}


def record_event(data: EventInput) -> RegisterEvent:
    """Apply one event to the register and keep its history; all or nothing."""
    if data.kind not in _HANDLERS:
        kinds = "、".join(vocab.EVENT_KINDS[k] for k in _HANDLERS)
        raise ValidationError(f"不认识的事件类型：{data.kind}。可选：{kinds}。", field="kind")
    occurred_on = clean_past_date(data.occurred_on, "发生日期", "occurred_on")
    recorded_by = clean_text(data.recorded_by, "登记人", "recorded_by", max_len=64, required=True)
    household = db.session.get(Household, data.household_id)
    if household is None or household.status != "active":
        raise NotFound("没有这一户，或这一户已注销。")
    change = _Change()
    change.household(household)
    try:
        related, villager_id = _HANDLERS[data.kind](data, household, occurred_on, change)
        for vid, relation in data.relations.items():
            _apply_relation((household.id, related), vid, relation, change)
        change.finish()
        event = RegisterEvent(
            village_id=household.village_id, kind=data.kind, household_id=household.id,
            related_household_id=related, villager_id=villager_id, occurred_on=occurred_on,
            before=change.before, after=change.after, recorded_by=recorded_by,
            note=clean_text(data.note, "备注", "note", max_len=500),
        )  # fmt: skip
        db.session.add(event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    page_cache.bump_village(household.village_id)
    return event


def _member(household: Household, villager_id: int | None, what: str) -> Villager:
    person = db.session.get(Villager, villager_id) if villager_id else None
    if person is None or person.household_id != household.id or not person.is_current:
        raise ValidationError(f"请选择本户在册的{what}。", field="villager_id")
    return person


def _set_head(household: Household, new_head: Villager, change: _Change) -> None:
    _relate(household.members, household.head, new_head, change)
    household.head_id = new_head.id


def _relate(members, old_head: Villager, new_head: Villager, change: _Change) -> None:
    relations = relations_for_new_head(members, old_head, new_head)
    for m in members:
        change.person(m).relation = relations[m.id]


def _leave(data: EventInput, household: Household, occurred_on: date, change: _Change, *, status: str):
    """Someone leaves the register's current members (move out or death)."""
    person = change.person(_member(household, data.villager_id, "人员"))
    if person.birth_date and occurred_on < person.birth_date:
        raise ValidationError("发生日期早于此人的出生日期，请核对。", field="occurred_on")
    remaining = [m for m in household.members if m.id != person.id]
    # Worked out before a head change rewrites relations.
    widowed = widowed_by(person, remaining) if status == "deceased" else []
    if person.id == household.head_id and remaining:
        if data.new_head_id is None:
            raise ValidationError("户主去世或迁出时，必须同时指定新户主。", field="new_head_id")
        new_head = _member(household, data.new_head_id, "新户主")
        if new_head.id == person.id:
            raise ValidationError("新户主不能是迁出或去世的本人。", field="new_head_id")
        _set_head(household, new_head, change)
    person.status, person.left_on = status, occurred_on
    if not remaining:
        household.status = "dissolved"
    for spouse in widowed:
        spouse.marital_status = "丧偶"
    return None, person.id


def _new_person(household: Household, data: PersonInput, change: _Change, **overrides) -> Villager:
    values = clean_person(data, village_id=household.village_id)
    values.update(overrides)
    if values.get("relation") == "户主":
        raise ValidationError("新加入的人不能直接当户主，请先登记再变更户主。", field="relation")
    person = Villager(household_id=household.id, village_id=household.village_id, **values)
    db.session.add(person)
    db.session.flush()
    return change.person(person, new=True)


def _transfer(person: Villager, target: Household, relation: str, change: _Change) -> Villager:
    """Move a villager of another household into ``target``; someone who had moved out comes back."""
    change.person(person)
    source = db.session.get(Household, person.household_id)
    if person.is_current:
        if source.id == target.id:
            raise ValidationError("此人已经在本户。", field="villager_id")
        change.household(source)
        others = [m for m in source.members if m.id != person.id]
        if source.head_id == person.id and others:
            raise ValidationError(f"此人是“{source.number}”户的户主，请先为该户变更户主。", field="villager_id")
        if not others:
            source.status = "dissolved"
    person.household_id, person.village_id, person.relation = target.id, target.village_id, relation
    person.status, person.left_on = "current", None
    db.session.execute(
        update(PointsTotal)
        .where(PointsTotal.subject == "villager", PointsTotal.subject_id == person.id)
        .values(village_id=target.village_id, group_id=target.group_id)
    )
    return person


def _birth(data, household, occurred_on, change):
    if data.person is None:
        raise ValidationError("请填写新生儿的信息。", field="person")
    born = data.person.birth_date
    if born and clean_past_date(born, "出生日期", "birth_date") != occurred_on:
        raise ValidationError("新生儿的出生日期应与事件日期相同，请核对。", field="birth_date")
    # The ID number, if any, is checked against the event date like any birth date.
    person = _new_person(household, replace(data.person, birth_date=occurred_on), change)
    if person.relation not in ("子", "女", "孙子", "孙女", "其他"):
        raise ValidationError("新生儿与户主的关系应是子、女、孙子、孙女或其他。", field="relation")
    return None, person.id


def _move_in(data, household, occurred_on, change):
    if data.villager_id:
        person = db.session.get(Villager, data.villager_id)
        if person is None or person.status == "deceased":
            raise ValidationError("要迁入的人不在册。", field="villager_id")
        source_id = person.household_id
        _transfer(person, household, data.relations.get(person.id, "其他"), change)
        return (source_id if source_id != household.id else None), person.id
    if data.person is None:
        raise ValidationError("请填写迁入人员的信息，或选择本村已登记的人。", field="person")
    return None, _new_person(household, data.person, change).id


def _marriage(data, household, occurred_on, change):
    partner = change.person(_member(household, data.villager_id, "结婚的本户成员"))
    if partner.marital_status == "已婚":
        raise ValidationError(f"{partner.name}在册的婚姻状况是已婚，请先核对。", field="villager_id")
    relation = spouse_relation(partner.relation)
    related = None
    if data.person is not None:
        spouse = _new_person(household, data.person, change, relation=relation)
    elif data.spouse_id:
        spouse = db.session.get(Villager, data.spouse_id)
        if spouse is None or not spouse.is_current or spouse.id == partner.id:
            raise ValidationError("选择的配偶不在册。", field="spouse_id")
        if spouse.marital_status == "已婚":
            raise ValidationError(f"{spouse.name}在册的婚姻状况是已婚，请先核对。", field="spouse_id")
        related = spouse.household_id
        _transfer(spouse, household, relation, change)
    else:
        raise ValidationError("请填写配偶信息：外村嫁（入）来的填写个人信息，本村的选择此人。", field="person")
    partner.marital_status = spouse.marital_status = "已婚"
    return related, partner.id


def _change_head(data, household, occurred_on, change):
    new_head = _member(household, data.new_head_id, "新户主")
    if new_head.id == household.head_id:
        raise ValidationError("这个人已经是户主了。", field="new_head_id")
    _set_head(household, new_head, change)
    return None, new_head.id


def _split(data, household, occurred_on, change):
    moving = [_member(household, vid, "分出的成员") for vid in dict.fromkeys(data.member_ids)]
    if not moving:
        raise ValidationError("请选择要分出去的成员。", field="member_ids")
    staying = [m for m in household.members if m not in moving]
    if not staying:
        raise ValidationError("不能把全部成员都分出去；原户至少要留一人。", field="member_ids")
    split_head = _member(household, data.split_head_id, "新户户主")
    if split_head not in moving:
        raise ValidationError("新户户主必须是分出去的成员之一。", field="split_head_id")
    number = clean_text(data.new_household_number, "新户户号", "new_household_number", max_len=32, required=True)
    if db.session.scalar(
        select(Household.id).where(Household.village_id == household.village_id, Household.number == number)
    ):
        raise ValidationError(f"户号“{number}”在本村已经有了。", field="new_household_number")
    old_head = household.head
    if old_head in moving:
        if data.new_head_id is None:
            raise ValidationError("原户主分出去了，请为原户指定新户主。", field="new_head_id")
        remaining_head = _member(household, data.new_head_id, "原户新户主")
        if remaining_head not in staying:
            raise ValidationError("原户新户主必须是留在原户的成员。", field="new_head_id")
        _relate(staying, old_head, remaining_head, change)
        household.head_id = remaining_head.id
    group = ensure_group(household.village, data.group_number) if data.group_number else household.group
    new = Household(
        village_id=household.village_id, group=group, number=number,
        address=clean_text(data.address, "住址", "address", max_len=255) or household.address,
        category=household.category, living_environment=household.living_environment,
        housing=household.housing,
    )  # fmt: skip
    db.session.add(new)
    db.session.flush()
    new_relations = relations_for_new_head(moving, old_head, split_head)
    for m in moving:
        _transfer(m, new, new_relations[m.id], change)
    new.head_id = split_head.id
    codes.issue_code(new)
    change.household(new, new=True)
    return new.id, split_head.id


def _apply_relation(household_ids, villager_id: int, relation: str, change: _Change) -> None:
    person = db.session.get(Villager, villager_id)
    ours = person is not None and person.is_current and person.household_id in household_ids
    if not ours or relation not in vocab.RELATIONS or relation == "户主":
        raise ValidationError("关系更正不对：只能为本户在册成员选择户主以外的关系。", field="relations")
    change.person(person).relation = relation


_HANDLERS = {
    "birth": _birth,
    "move_in": _move_in,
    "move_out": partial(_leave, status="moved_out"),
    "death": partial(_leave, status="deceased"),
    "marriage": _marriage,
    "split": _split,
    "change_head": _change_head,
}
