"""The register's structure (R1, R2): regions, groups and the registration of a household."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Household, Region, RegionLevel, RegisterEvent, Villager, VillagerGroup, VillageSettings
from app.services import clock, codes, page_cache, vocab
from app.services.people import PersonInput, clean_person, snapshot
from app.services.validators import clean_choice, clean_text


def ensure_region(level: RegionLevel, name: str, parent: Region | None = None, code: str | None = None) -> Region:
    """Find or create a county, town or village under ``parent`` (caller commits)."""
    name = clean_text(name, "地名", "name", max_len=64, required=True)
    found = db.session.scalar(
        select(Region).where(Region.name == name, Region.parent_id == (parent.id if parent else None))
    )
    if found:
        return found
    region = Region(level=level.value, name=name, code=code, parent=parent)
    db.session.add(region)
    db.session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    return region


def ensure_village(county: str, town: str, village: str, *, slogan: str | None = None) -> Region:
    """Create county › town › village as needed, with the village's settings row."""
    c = ensure_region(RegionLevel.COUNTY, county)
    t = ensure_region(RegionLevel.TOWN, town, c)
    v = ensure_region(RegionLevel.VILLAGE, village, t)
    if v.settings is None:
        from flask import current_app

        db.session.add(VillageSettings(village=v, slogan=slogan or current_app.config["DEFAULT_SLOGAN"]))
    elif slogan:
        v.settings.slogan = slogan
    return v


def find_village(name: str) -> Region:
    found = db.session.scalars(
        select(Region).where(Region.name == name, Region.level == RegionLevel.VILLAGE.value)
    ).all()
    if not found:
        raise NotFound(f"没有叫“{name}”的村。")
    if len(found) > 1:
        raise ValidationError(f"有{len(found)}个村都叫“{name}”，请用村的编号区分。")
    return found[0]


def ensure_group(village: Region, number: int, name: str | None = None) -> VillagerGroup:
    if not 1 <= number <= 99:
        raise ValidationError("村民小组编号应在1到99之间。", field="group")
    group = db.session.scalar(
        select(VillagerGroup).where(VillagerGroup.village_id == village.id, VillagerGroup.number == number)
    )
    if group is None:
        group = VillagerGroup(village=village, number=number, name=name or f"第{number}组")
        db.session.add(group)
        db.session.flush()
    return group


@dataclass(frozen=True)
class HouseholdInput:
    number: str
    group_number: int
    head: PersonInput
    address: str | None = None
    category: str | None = None
    living_environment: str | None = None
    housing: str | None = None
    motto: str | None = None
    members: tuple[PersonInput, ...] = field(default_factory=tuple)


def clean_household_fields(data) -> dict:
    """Validate the household's own fields (shared by registration and edits)."""
    return {
        "address": clean_text(data.address, "住址", "address", max_len=255),
        "category": clean_choice(data.category, vocab.HOUSEHOLD_CATEGORIES, "户类别", "category") or "一般户",
        "living_environment": clean_choice(
            data.living_environment, vocab.LIVING_ENVIRONMENTS, "人居环境", "living_environment"
        ),
        "housing": clean_choice(data.housing, vocab.HOUSING, "住房结构", "housing"),
        "motto": clean_text(data.motto, "家风家训", "motto", max_len=255),
    }


def register_household(
    village: Region, data: HouseholdInput, *, recorded_by: str, occurred_on: date | None = None, commit: bool = True
) -> Household:
    """建档: add a household with its head and members, issue its code, record the event."""
    number = clean_text(data.number, "户号", "number", max_len=32, required=True)
    if db.session.scalar(select(Household.id).where(Household.village_id == village.id, Household.number == number)):
        raise ValidationError(f"户号“{number}”在本村已经有了。", field="number")
    fields_ = clean_household_fields(data)
    people = [clean_person(p, village_id=village.id) for p in (data.head, *data.members)]
    people[0]["relation"] = "户主"
    if any(p["relation"] == "户主" for p in people[1:]):
        raise ValidationError("一户只能有一个户主。", field="relation")
    hashes = [p["id_number_hash"] for p in people if p.get("id_number_hash")]
    if len(hashes) != len(set(hashes)):
        raise ValidationError("同一户里有两个人的身份证号相同，请核对。", field="id_number")
    # Everything is checked before the first row is written, so bad input leaves no trace.
    try:
        household = _store_household(village, data, number, fields_, people, recorded_by, occurred_on)
        if commit:
            db.session.commit()
    except Exception:
        if commit:
            db.session.rollback()
        raise
    if commit:
        page_cache.bump_village(village.id)
    return household


def _store_household(village, data, number, fields_, people, recorded_by, occurred_on) -> Household:
    group = ensure_group(village, data.group_number)
    household = Household(village=village, group=group, number=number, **fields_)
    db.session.add(household)
    db.session.flush()
    villagers = [Villager(household_id=household.id, village_id=village.id, **p) for p in people]
    db.session.add_all(villagers)
    db.session.flush()
    household.head_id = villagers[0].id
    codes.issue_code(household)
    db.session.add(
        RegisterEvent(
            village_id=village.id,
            kind="register",
            household_id=household.id,
            occurred_on=occurred_on or clock.today(),
            before={},
            after={"household": household_snapshot(household), "people": [snapshot(v) for v in villagers]},
            recorded_by=recorded_by,
        )
    )
    return household


def household_snapshot(household: Household) -> dict:
    return {
        "id": household.id,
        "number": household.number,
        "group_id": household.group_id,
        "head_id": household.head_id,
        "address": household.address,
        "category": household.category,
        "living_environment": household.living_environment,
        "housing": household.housing,
        "motto": household.motto,
        "status": household.status,
    }


def get_household(village: Region, number: str) -> Household:
    household = db.session.scalar(
        select(Household).where(Household.village_id == village.id, Household.number == number)
    )
    if household is None:
        raise NotFound(f"本村没有户号为“{number}”的户。")
    return household
