"""The administrative hierarchy: county › town › village, and villager groups in a village."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped


class RegionLevel(StrEnum):
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


class Region(Timestamped, db.Model):
    """A county, town or village. ``path`` ("/1/4/9/") makes subtree scoping one LIKE query."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(12))  # 行政区划代码
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="/", index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id])
    settings: Mapped[VillageSettings | None] = relationship(back_populates="village", uselist=False)
    groups: Mapped[list[VillagerGroup]] = relationship(back_populates="village", order_by="VillagerGroup.number")

    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_regions_parent_name"),)

    def __repr__(self) -> str:
        return f"<Region {self.level} {self.name}>"


class VillageSettings(Timestamped, db.Model):
    """Per-village configuration (A4). ``extra`` holds settings later features add."""

    __tablename__ = "village_settings"

    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    slogan: Mapped[str] = mapped_column(String(64))
    default_motto: Mapped[str | None] = mapped_column(String(255))
    contacts: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)

    village: Mapped[Region] = relationship(back_populates="settings")


class VillagerGroup(Timestamped, db.Model):
    """村民小组: a numbered group inside one village."""

    __tablename__ = "villager_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(32))

    village: Mapped[Region] = relationship(back_populates="groups")

    __table_args__ = (UniqueConstraint("village_id", "number", name="uq_villager_groups_number"),)

    @property
    def label(self) -> str:
        return self.name or f"{self.number}组"
