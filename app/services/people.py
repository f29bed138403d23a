"""A person's details as they enter the register: one input type, one validation path."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.models import Villager
from app.privacy import birth_month, lookup_hash, mask_id_number, mask_phone
from app.services import clock, vocab
from app.services.validators import (
    birth_date_from_id,
    clean_choice,
    clean_id_number,
    clean_name,
    clean_past_date,
    clean_phone,
    clean_text,
    gender_from_id,
)


@dataclass(frozen=True)
class PersonInput:
    """What a cadre, an import row or the CLI says about one villager. Strings as typed."""

    name: str
    gender: str | None = None
    birth_date: date | str | None = None
    id_number: str | None = None
    phone: str | None = None
    relation: str | None = None
    education: str | None = None
    political_status: str | None = None
    health: str | None = None
    skills: str | None = None
    work_status: str | None = None
    work_place: str | None = None
    marital_status: str | None = None
    ethnicity: str | None = None


def clean_person(data: PersonInput, *, exclude_id: int | None = None, village_id: int | None = None) -> dict:
    """Validate every field; returns column values ready for ``Villager``. Raises ValidationError.

    ``village_id`` is the village the person is being written into: a duplicate ID number found
    in another village is refused without saying anything about that village's record."""
    values: dict = {"name": clean_name(data.name)}
    id_number = clean_id_number(data.id_number) if (data.id_number or "").strip() else None
    gender = clean_choice(data.gender, vocab.GENDERS, "性别", "gender")
    birth = clean_past_date(data.birth_date, "出生日期", "birth_date") if data.birth_date else None
    if id_number:
        id_birth, id_gender = birth_date_from_id(id_number), gender_from_id(id_number)
        if birth and birth != id_birth:
            raise ValidationError("出生日期和身份证号里的不一致，请核对。", field="birth_date")
        if gender and gender != id_gender:
            raise ValidationError("性别和身份证号不一致，请核对。", field="gender")
        birth, gender = id_birth, id_gender
        values["id_number_hash"] = lookup_hash("id", id_number)
        _ensure_unique_id(values["id_number_hash"], exclude_id, village_id)
    if not gender:
        raise ValidationError("请填写性别（男或女）。", field="gender")
    phone = clean_phone(data.phone) if (data.phone or "").strip() else None
    values.update(
        gender=gender,
        birth_date=birth,
        id_number=id_number,
        phone=phone,
        phone_hash=lookup_hash("phone", phone) if phone else None,
        relation=clean_choice(data.relation, vocab.RELATIONS, "与户主关系", "relation") or "其他",
        education=clean_choice(data.education, vocab.EDUCATIONS, "文化程度", "education"),
        political_status=clean_choice(data.political_status, vocab.POLITICAL_STATUSES, "政治面貌", "political_status"),
        health=clean_choice(data.health, vocab.HEALTH, "健康状况", "health"),
        skills=clean_text(data.skills, "技能特长", "skills", max_len=255),
        work_status=clean_choice(data.work_status, vocab.WORK_STATUSES, "就业状况", "work_status"),
        work_place=clean_text(data.work_place, "务工地点", "work_place", max_len=64),
        marital_status=clean_choice(data.marital_status, vocab.MARITAL_STATUSES, "婚姻状况", "marital_status"),
        ethnicity=clean_text(data.ethnicity, "民族", "ethnicity", max_len=16) or "汉族",
    )
    return values


ID_ELSEWHERE = "该身份证号已在系统中登记，请联系上级管理员核实。"


def _ensure_unique_id(id_hash: str, exclude_id: int | None, village_id: int | None) -> None:
    query = select(Villager.status, Villager.village_id).where(Villager.id_number_hash == id_hash)
    if exclude_id is not None:
        query = query.where(Villager.id != exclude_id)
    found = db.session.execute(query.limit(1)).first()
    if found is None:
        return
    status, found_in = found
    if village_id is None or found_in != village_id:
        # Whether that person lives, moved out or died in another village is not this cadre's to
        # learn from a typed number: one plain answer, the same for every state.
        raise ValidationError(ID_ELSEWHERE, field="id_number")
    if status == "moved_out":
        raise ValidationError(
            "这个身份证号的人登记过、后来迁出了；回来的请用“迁入”选择此人，不要重新登记。", field="id_number"
        )
    raise ValidationError("这个身份证号已经登记在册了，同一个人不能登记两次。", field="id_number")


def find_by_id_number(raw: str) -> Villager | None:
    """Look a person up by ID number through the keyed hash (no decryption of other rows)."""
    return db.session.scalar(select(Villager).where(Villager.id_number_hash == lookup_hash("id", clean_id_number(raw))))


# Fields kept in event history. History is shown to cadres who may not reveal, so it keeps no
# more than they may see: ID and phone numbers masked, the birth date as year and month (none
# for a baby born this month or last: with the row's date its month would narrow the day).
_SNAPSHOT_FIELDS = [f.name for f in fields(PersonInput)] + ["status", "household_id", "left_on"]


def snapshot(person: Villager) -> dict:
    """A JSON-safe picture of a person for before/after history."""
    shot = {}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(person, name)
        if name == "id_number":
            value = mask_id_number(value)
        elif name == "phone":
            value = mask_phone(value)
        elif name == "birth_date":
            value = birth_month(value, clock.today()) or None
        elif isinstance(value, date):
            value = value.isoformat()
        shot[name] = value
    shot["id"] = person.id
    return shot
