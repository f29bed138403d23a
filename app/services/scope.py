"""Where a back-office account may look (A1): a subtree of county › town › village, and for a
group leader one villager group. Every admin query goes through a ``Scope``; an object outside
it is reported as not found, so nobody learns that another village's record exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Select, select

from app.errors import NotFound
from app.extensions import db
from app.models import Account, Household, Region, RegionLevel, Villager, VillagerGroup
from app.numbers import row_id


@dataclass
class Scope:
    region: Region
    group_id: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, account: Account) -> Scope:
        return cls(region=account.region, group_id=account.group_id)

    @cached_property
    def villages(self) -> list[Region]:
        """Every village in the subtree, by name."""
        if self.region.level == RegionLevel.VILLAGE:
            return [self.region]
        query = select(Region).where(Region.level == RegionLevel.VILLAGE, Region.path.startswith(self.region.path))
        return list(db.session.scalars(query.order_by(Region.path)))

    @cached_property
    def village_ids(self) -> list[int]:
        return [v.id for v in self.villages]

    @property
    def is_single_village(self) -> bool:
        return self.region.level == RegionLevel.VILLAGE

    def contains_village(self, village_id: int | None) -> bool:
        return village_id in self.village_ids

    def village(self, village_id: int) -> Region:
        if not self.contains_village(village_id):
            raise NotFound("没有找到这个村。")
        return db.session.get(Region, village_id)

    def groups(self, village_id: int | None = None) -> list[VillagerGroup]:
        query = select(VillagerGroup).where(VillagerGroup.village_id.in_(self.village_ids))
        if village_id is not None:
            query = query.where(VillagerGroup.village_id == village_id)
        if self.group_id is not None:
            query = query.where(VillagerGroup.id == self.group_id)
        return list(db.session.scalars(query.order_by(VillagerGroup.village_id, VillagerGroup.number)))

    def households_query(self) -> Select:
        """``select(Household)`` already held to this scope; add filters and order to it."""
        query = select(Household).where(Household.village_id.in_(self.village_ids))
        if self.group_id is not None:
            query = query.where(Household.group_id == self.group_id)
        return query

    def villagers_query(self) -> Select:
        query = select(Villager).where(Villager.village_id.in_(self.village_ids))
        if self.group_id is not None:
            query = query.join(Household, Villager.household_id == Household.id).where(
                Household.group_id == self.group_id
            )
        return query

    def household(self, household_id) -> Household:
        household = db.session.get(Household, _int(household_id))
        if household is None or not self.contains_village(household.village_id):
            raise NotFound("没有找到这一户。")
        if self.group_id is not None and household.group_id != self.group_id:
            raise NotFound("没有找到这一户。")
        return household

    def villager(self, villager_id) -> Villager:
        villager = db.session.get(Villager, _int(villager_id))
        if villager is None or not self.contains_village(villager.village_id):
            raise NotFound("没有找到这个人。")
        self.household(villager.household_id)  # a group leader's scope ends at the group
        return villager

    def require_village(self, village_id: int | None) -> None:
        if not self.contains_village(village_id):
            raise NotFound("没有找到这条记录。")


def _int(value) -> int:
    number = row_id(value)
    if number is None:  # junk, or beyond what an id column holds (PostgreSQL would raise)
        raise NotFound("没有找到这条记录。")
    return number
