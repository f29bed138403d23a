"""Writing the register from the back office: register a household, correct a household's or a
person's details, record an event. Validation is the foundation's (``clean_household_fields``,
``clean_person``, ``events.record_event``); this module adds the audit row for each write, with
masked before/after pictures of what changed, and clears the village's cached pages."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select, update

from app.errors import ValidationError
from app.extensions import db
from app.models import Household, PointsTotal, Region, RegisterEvent, Villager, VillagerGroup
from app.services import audit, events, page_cache, register
from app.services.people import PersonInput, clean_person, snapshot
from app.services.validators import clean_text


@dataclass(frozen=True)
class HouseholdEdit:
    """A household's own fields as a cadre typed them (members change only through events)."""

    number: str
    group_id: int | None
    address: str | None = None
    category: str | None = None
    living_environment: str | None = None
    housing: str | None = None
    motto: str | None = None


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value differs, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def register_new_household(village: Region, data: register.HouseholdInput, *, actor: str) -> Household:
    """建档 from the back office: the foundation's registration plus an audit row, in one commit."""
    try:
        household = register.register_household(village, data, recorded_by=actor, commit=False)
        audit.record(actor, "register.household_new", target=f"household:{household.id}", village_id=village.id,
                     number=household.number, people=1 + len(data.members))  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    page_cache.bump_village(village.id)
    return household


def edit_household(household: Household, data: HouseholdEdit, *, actor: str) -> dict:
    """Correct a household's number, group, address, category …; returns what changed (may be empty)."""
    number = clean_text(data.number, "户号", "number", max_len=32, required=True)
    taken = db.session.scalar(
        select(Household.id).where(
            Household.village_id == household.village_id, Household.number == number, Household.id != household.id
        )
    )
    if taken:
        raise ValidationError(f"户号“{number}”在本村已经有了。", field="number")
    group = db.session.get(VillagerGroup, data.group_id) if data.group_id else None
    if group is None or group.village_id != household.village_id:
        raise ValidationError("请选择本村的村民小组。", field="group_id")
    fields_ = register.clean_household_fields(data)
    before = register.household_snapshot(household)
    household.number, household.group_id = number, group.id
    for name, value in fields_.items():
        setattr(household, name, value)
    old, new = changed(before, register.household_snapshot(household))
    if not new:
        db.session.rollback()
        return {}
    try:
        if "group_id" in new:
            _move_totals_to_group(household, group.id)
        audit.record(actor, "register.household_edit", target=f"household:{household.id}",
                     village_id=household.village_id, before=old, after=new)  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    page_cache.bump_village(household.village_id)
    return new


def _move_totals_to_group(household: Household, group_id: int) -> None:
    """Group leaderboards read the kept totals by group: they follow the household to its new group."""
    member_ids = [m.id for m in household.members]
    for subject, ids in (("household", [household.id]), ("villager", member_ids)):
        if ids:
            db.session.execute(
                update(PointsTotal)
                .where(PointsTotal.subject == subject, PointsTotal.subject_id.in_(ids))
                .values(group_id=group_id)
            )


def edit_villager(
    villager: Villager, data: PersonInput, *, actor: str, clear_id: bool = False, clear_phone: bool = False
) -> dict:
    """Correct a person's details. An empty ID or phone field keeps the number on file (the form
    never shows it in full); ``clear_id`` / ``clear_phone`` remove it. Returns what changed."""
    if not (data.id_number or "").strip() and not clear_id:
        data = replace(data, id_number=villager.id_number)
    if not (data.phone or "").strip() and not clear_phone:
        data = replace(data, phone=villager.phone)
    values = clean_person(data, exclude_id=villager.id, village_id=villager.village_id)
    values.setdefault("id_number_hash", None)
    household = db.session.get(Household, villager.household_id)
    if household.head_id == villager.id:
        values["relation"] = "户主"  # a head stops being head only through an event
    elif values["relation"] == "户主":
        raise ValidationError("要换户主，请在户的页面登记“变更户主”。", field="relation")
    before, old_hash, old_birth = snapshot(villager), villager.id_number_hash, villager.birth_date
    for name, value in values.items():
        setattr(villager, name, value)
    after = snapshot(villager)
    old, new = changed(before, after)
    # Two numbers can share a mask, two dates a month; the history must still say what changed.
    if old_hash != villager.id_number_hash and "id_number" not in new:
        old["id_number"], new["id_number"] = before["id_number"], after["id_number"] + "（已更换）"
    if old_birth != villager.birth_date and "birth_date" not in new:
        old["birth_date"], new["birth_date"] = before["birth_date"], f"{after['birth_date'] or ''}（出生日期已更正）"
    if not new:
        db.session.rollback()
        return {}
    try:
        audit.record(actor, "register.villager_edit", target=f"villager:{villager.id}", village_id=villager.village_id,
                     household_id=villager.household_id, before=old, after=new)  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    page_cache.bump_village(villager.village_id)
    return new


def record_event(data: events.EventInput) -> RegisterEvent:
    """An event through the foundation's one path, with its audit row in the same transaction.

    ``events.record_event`` commits the session it works in, so the audit row added here is
    written with the event or, when the event is refused, rolled back with it.
    """
    household = db.session.get(Household, data.household_id)
    if household is not None and data.person is not None:
        _refuse_repeat(household, data)
    audit.record(data.recorded_by, "register.event", target=f"household:{data.household_id}",
                 village_id=household.village_id if household else None, kind=data.kind,
                 villager_id=data.villager_id)  # fmt: skip
    try:
        return events.record_event(data)
    except Exception:
        db.session.rollback()
        raise


def _refuse_repeat(household: Household, data: events.EventInput) -> None:
    """A resubmitted birth or move-in form must not add the same person twice."""
    name = (data.person.name or "").strip()
    born = data.occurred_on if data.kind == "birth" else data.person.birth_date
    born = str(born).strip() if born else None
    for member in household.members:
        if member.name == name and (born is None or member.birth_date is None or member.birth_date.isoformat() == born):
            raise ValidationError(f"本户已经登记了在册的{name}，请不要重复登记。", field="person")
