"""One villager's attributes from age and gender: schooling, health, work, skills, party, ID, phone.

``PersonDraft`` is the mutable working copy the generator fills in; ``freeze`` makes the record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.services.demo.models import DemoPerson
from app.services.validators import id_check_digit

REGION_PREFIX = "430923"  # 安化县
_DAYS_PER_YEAR = 365.2425


@dataclass
class PersonDraft:
    name: str
    gender: str
    birth_date: date
    relation: str
    marital_status: str = "未婚"
    status: str = "current"
    education: str = ""
    political_status: str = "群众"
    health: str = "健康"
    skills: str | None = None
    work_status: str = ""
    work_place: str | None = None
    phone: str | None = None
    id_number: str = ""

    def age(self, today: date) -> int:
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def freeze(self) -> DemoPerson:
        return DemoPerson(
            name=self.name, gender=self.gender, birth_date=self.birth_date, id_number=self.id_number,
            phone=self.phone, relation=self.relation, education=self.education,
            political_status=self.political_status, health=self.health, skills=self.skills,
            work_status=self.work_status, work_place=self.work_place,
            marital_status=self.marital_status, status=self.status,
        )  # fmt: skip


def birth_date_for_age(rng: random.Random, today: date, age_years: float) -> date:
    """A birth date ``age_years`` before ``today`` (never after it)."""
    days = max(1, int(age_years * _DAYS_PER_YEAR))
    return today - timedelta(days=days)


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


_EDU_23_35 = (("初中", 33), ("高中", 20), ("中专", 15), ("大专", 17), ("本科及以上", 11), ("小学", 4))
_EDU_36_50 = (("初中", 50), ("小学", 18), ("高中", 18), ("中专", 7), ("大专", 5), ("本科及以上", 2))
_EDU_51_65 = (("小学", 40), ("初中", 38), ("高中", 10), ("文盲或半文盲", 8), ("中专", 4))
_EDU_66_UP = (("小学", 45), ("文盲或半文盲", 30), ("初中", 20), ("高中", 5))
_EDU_WORKING_YOUNG = (("高中", 35), ("中专", 30), ("初中", 30), ("大专", 5))

_HEALTH = (  # (max age, table)
    (39, (("健康", 95), ("慢性病", 2), ("残疾", 2), ("大病", 1))),
    (59, (("健康", 80), ("慢性病", 13), ("大病", 3), ("残疾", 4))),
    (74, (("健康", 50), ("慢性病", 40), ("大病", 4), ("残疾", 5), ("长期卧床", 1))),
    (200, (("健康", 25), ("慢性病", 55), ("大病", 6), ("残疾", 7), ("长期卧床", 7))),
)

MIGRANT_CITIES = (
    ("长沙", 22), ("深圳", 12), ("东莞", 12), ("广州", 10), ("益阳", 9), ("安化县城", 8),
    ("浙江义乌", 6), ("佛山", 5), ("江苏苏州", 4), ("上海", 4), ("浙江宁波", 3), ("娄底", 3),
    ("福建厦门", 2), ("北京", 2),
)  # fmt: skip
_LOCAL_BUSINESS = (("冷市镇", 4), ("安化县城", 3), ("大苍村", 3))
_COLLEGE_CITIES = (("长沙", 50), ("益阳", 15), ("湘潭", 10), ("株洲", 5), ("衡阳", 5), ("武汉", 5), ("广州", 5))

_SKILLS = {
    "男": (
        ("木工", 8), ("泥瓦匠", 8), ("种植养殖", 10), ("驾驶员", 6), ("电工", 5), ("黑茶制作", 5),
        ("茶叶种植", 5), ("水电安装", 4), ("厨师", 4), ("焊工", 3), ("挖机操作", 3), ("竹编", 3),
        ("机械维修", 3), ("篾匠", 2), ("油漆工", 2), ("养蜂", 2), ("中药材种植", 2),
    ),
    "女": (
        ("种植养殖", 10), ("坛子菜制作", 8), ("茶叶采摘加工", 6), ("缝纫", 5), ("家政服务", 4),
        ("黑茶制作", 3), ("竹编", 3), ("厨师", 3), ("育婴护理", 3), ("腊肉熏制", 3), ("刺绣", 2),
        ("理发", 2), ("电商直播", 2),
    ),
}  # fmt: skip


def fill_attributes(rng: random.Random, p: PersonDraft, today: date) -> None:
    """Education, health, work and skills, plausible for the person's age and gender."""
    age = p.age(today)
    p.health = next(_pick(rng, table) for top, table in _HEALTH if age <= top)
    p.work_place = None
    if age < 6:
        p.education, p.work_status = "学龄前", "学龄前"
    elif age < 12:
        p.education, p.work_status = "小学", "在校学生"
    elif age < 15:
        p.education, p.work_status = "初中", "在校学生"
    elif age < 18:
        if rng.random() < 0.92:
            p.education, p.work_status = _pick(rng, (("高中", 80), ("中专", 20))), "在校学生"
        else:
            p.education, p.work_status = "初中", "务工"
            p.work_place = _pick(rng, MIGRANT_CITIES)
    elif age < 23 and rng.random() < 0.45:
        p.education, p.work_status = _pick(rng, (("大专", 45), ("本科及以上", 55))), "在校学生"
        p.work_place = _pick(rng, _COLLEGE_CITIES)
    else:
        _fill_adult(rng, p, age)
    if 18 <= age <= 75 and p.work_status != "在校学生" and rng.random() < 0.33:
        first = _pick(rng, _SKILLS[p.gender])
        second = _pick(rng, _SKILLS[p.gender])
        p.skills = first if second == first or rng.random() < 0.85 else f"{first}、{second}"
    else:
        p.skills = None


def _fill_adult(rng: random.Random, p: PersonDraft, age: int) -> None:
    female_old = 20 if p.gender == "女" else 0
    if age < 23:
        p.education = _pick(rng, _EDU_WORKING_YOUNG)
    elif age <= 35:
        p.education = _pick(rng, _EDU_23_35)
    elif age <= 50:
        p.education = _pick(rng, _EDU_36_50)
    elif age <= 65:
        p.education = _pick(rng, (*_EDU_51_65, ("文盲或半文盲", female_old / 3)))
    else:
        p.education = _pick(rng, (*_EDU_66_UP, ("文盲或半文盲", female_old)))

    if age < 23:
        work = (("务工", 72), ("在家务农", 13), ("个体经营", 5), ("其他", 10))
    elif age < 45:
        away = 42 if p.gender == "女" else 53
        work = (("务工", away), ("在家务农", 88 - away), ("个体经营", 8), ("其他", 4))
    elif age < 60:
        work = (("务工", 33), ("在家务农", 55), ("个体经营", 7), ("其他", 5))
    elif age < 70:
        work = (("在家务农", 78), ("务工", 10), ("退休", 4), ("其他", 8))
    else:
        work = (("在家务农", 40), ("无劳动能力", 50), ("退休", 4), ("其他", 6))
    p.work_status = _pick(rng, work)
    if p.health in ("大病", "长期卧床") or (p.health == "残疾" and rng.random() < 0.5):
        p.work_status = "无劳动能力"
    if p.work_status == "务工":
        p.work_place = _pick(rng, MIGRANT_CITIES)
    elif p.work_status == "个体经营":
        p.work_place = _pick(rng, _LOCAL_BUSINESS)


def party_weight(p: PersonDraft, today: date) -> float:
    """How likely a person is to be a party member: mostly older men in the countryside."""
    age = p.age(today)
    if age < 18:
        return 0.0
    base = 0.03 if age < 30 else 0.06 if age < 60 else 0.085
    return base * (1.4 if p.gender == "男" else 0.45)


def fill_political(rng: random.Random, p: PersonDraft, today: date) -> None:
    """Party members are mostly older men; students and young workers are often 共青团员."""
    age = p.age(today)
    p.political_status = "群众"
    if age >= 18:
        base = party_weight(p, today)
        roll = rng.random()
        if roll < base:
            p.political_status = "中共党员"
            return
        if 20 <= age <= 40 and roll < base + 0.004:
            p.political_status = "中共预备党员"
            return
    if 14 <= age <= 28:
        share = 0.6 if p.work_status == "在校学生" else 0.2
        if rng.random() < share:
            p.political_status = "共青团员"


def make_id_number(rng: random.Random, born: date, gender: str, used: set[str]) -> str:
    """``430923`` + birth date + sequence (odd 7th-from-last digit for men) + GB 11643 check."""
    while True:
        seq = f"{rng.randint(0, 99):02d}{rng.choice('13579' if gender == '男' else '02468')}"
        first17 = f"{REGION_PREFIX}{born:%Y%m%d}{seq}"
        value = first17 + id_check_digit(first17)
        if value not in used:
            used.add(value)
            return value


_MOBILE_PREFIXES = (
    "134 135 136 137 138 139 150 151 152 157 158 159 182 183 184 187 188 198 "  # 移动
    "130 131 132 155 156 185 186 176 166 "  # 联通
    "133 153 180 181 189 177 199 173"  # 电信
).split()


def make_mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        value = rng.choice(_MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        if value not in used:
            used.add(value)
            return value


def has_mobile(rng: random.Random, age: int) -> bool:
    if age < 18:
        return False
    share = 0.96 if age < 60 else 0.82 if age <= 70 else 0.4 if age <= 80 else 0.15
    return rng.random() < share


def make_landline(rng: random.Random) -> str:
    """安化 county landlines: area code 0737, seven digits starting 72."""
    return f"0737-72{rng.randint(0, 99_999):05d}"
