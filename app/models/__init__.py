"""All models, imported here so Alembic and the app see every table."""

from app.models.account import Account, AdminSession, Role
from app.models.audit import AuditLog, AuditSubject
from app.models.event import RegisterEvent
from app.models.household import Household, HouseholdCode, HouseholdHonour
from app.models.identity import BindingRequest, WechatIdentity
from app.models.job import BackgroundJob
from app.models.notification import Notification, NotificationDelivery
from app.models.photo import Photo, PhotoPurpose
from app.models.points import PointsEntry, PointsRule, PointsTotal
from app.models.region import Region, RegionLevel, VillagerGroup, VillageSettings
from app.models.stats import RegisterStat
from app.models.villager import SENSITIVE_FIELDS, Villager
from app.models.visit import Visit
from app.models.wechat_code import WechatCode

__all__ = [
    "Account",
    "AdminSession",
    "BackgroundJob",
    "Photo",
    "PhotoPurpose",
    "RegisterStat",
    "Role",
    "Visit",
    "AuditLog",
    "AuditSubject",
    "BindingRequest",
    "Notification",
    "NotificationDelivery",
    "WechatCode",
    "WechatIdentity",
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
