"""All models, imported here so Alembic and the app see every table."""

from app.models.audit import AuditLog
from app.models.event import RegisterEvent
from app.models.household import Household, HouseholdCode, HouseholdHonour
from app.models.points import PointsEntry, PointsRule, PointsTotal
from app.models.region import Region, RegionLevel, VillagerGroup, VillageSettings
from app.models.villager import SENSITIVE_FIELDS, Villager

__all__ = [
    "AuditLog",
    "Household",
    "HouseholdCode",
    "HouseholdHonour",
    "PointsEntry",
    "PointsRule",
    "PointsTotal",
    "RegisterEvent",
    "Region",
    "RegionLevel",
    "SENSITIVE_FIELDS",
    "Villager",
    "VillagerGroup",
    "VillageSettings",
]
