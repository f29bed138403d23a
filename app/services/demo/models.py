"""The plain, frozen records the demo generator returns. No database, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoPerson:
    name: str
    gender: str  # 男 | 女
    birth_date: date
    id_number: str  # 18 characters, 430923…, valid GB 11643 check digit
    phone: str | None
    relation: str  # to the household head; exactly one 户主 per household
    education: str
    political_status: str
    health: str
    skills: str | None
    work_status: str
    work_place: str | None
    marital_status: str
    status: str = "current"  # current | moved_out | deceased


@dataclass(frozen=True)
class DemoHousehold:
    number: str  # 户号: group 3, household 7 → "0307"
    group_number: int
    address: str
    category: str
    living_environment: str
    housing: str
    motto: str | None
    honours: tuple[str, ...]
    members: tuple[DemoPerson, ...]  # the head first; people who left keep their place, with status

    @property
    def head(self) -> DemoPerson:
        return self.members[0]

    @property
    def current_members(self) -> tuple[DemoPerson, ...]:
        return tuple(p for p in self.members if p.status == "current")


@dataclass(frozen=True)
class DemoAward:
    household_number: str
    member_index: int | None  # index into that household's members; None = the whole household
    points: int  # negative for a deduction
    category: str
    reason: str
    place: str | None
    occurred_on: date


@dataclass(frozen=True)
class DemoEvent:
    kind: str  # birth | move_out | death | marriage
    household_number: str
    person_name: str
    occurred_on: date
    note: str


@dataclass(frozen=True)
class DemoGroup:
    number: int
    name: str


@dataclass(frozen=True)
class DemoVillage:
    county: str = "安化县"
    town: str = "冷市镇"
    name: str = "大苍村"
    slogan: str = "乡村振兴强国梦 美丽大苍在行动"
    groups: tuple[DemoGroup, ...] = ()
    households: tuple[DemoHousehold, ...] = ()
    awards: tuple[DemoAward, ...] = ()  # sorted by date, then household number
    events: tuple[DemoEvent, ...] = ()  # sorted by date

    def household(self, number: str) -> DemoHousehold:
        for h in self.households:
            if h.number == number:
                return h
        raise KeyError(number)

    @property
    def people(self) -> tuple[DemoPerson, ...]:
        return tuple(p for h in self.households for p in h.members)

    @property
    def current_people(self) -> tuple[DemoPerson, ...]:
        return tuple(p for p in self.people if p.status == "current")
