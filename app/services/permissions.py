"""What each back-office role may do (A1). Views ask ``allowed(role, permission)``; nothing else
decides. Where an account may do it is the scope's business (``app.services.scope``)."""

from __future__ import annotations

from app.models import Role

# Every permission the back office checks, with the words a cadre sees when refused.
PERMISSIONS: dict[str, str] = {
    "register.view": "查看户籍名册",
    "register.edit": "新建和修改户籍信息",
    "register.reveal": "查看完整的身份证号和手机号",
    "register.export": "导出名册",
    "register.import": "导入名册",
    "events.record": "登记人口变动",
    "archive.view": "查看档案照片",
    "archive.upload": "上传档案照片",
    "visits.view": "查看走访记录",
    "visits.edit": "登记走访和巡查",
    "points.view": "查看积分台账",
    "points.award": "加分和扣分",
    "points.reverse": "冲正积分",
    "rules.edit": "维护积分细则",
    "plaques.print": "下载和打印门牌",
    "codes.reissue": "更换户码",
    "charts.view": "查看统计图表",
    "audit.view": "查看操作日志",
    "settings.edit": "修改村务设置",
    "accounts.manage": "管理后台账号",
}

_ALL = frozenset(PERMISSIONS)
_ADMIN_ONLY = frozenset({"accounts.manage", "settings.edit", "audit.view"})
_READ_ALONG = frozenset({"register.view", "visits.view", "visits.edit", "points.view", "charts.view"})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: _ALL,
    Role.TOWN_ADMIN: _ALL,
    Role.VILLAGE_ADMIN: _ALL,
    Role.CADRE: _ALL - _ADMIN_ONLY,
    # The resident work team visits, awards and reads; it does not rewrite the register.
    Role.WORK_TEAM: _READ_ALONG | {"points.award", "plaques.print", "register.export"},
    # The co-op clerk redeems at the store; in the back office it only reads the ledger.
    Role.COOP_CLERK: frozenset({"points.view"}),
    Role.GROUP_LEADER: _READ_ALONG,
}

ROLE_NAMES: dict[str, str] = {
    Role.COUNTY_ADMIN: "县级管理员",
    Role.TOWN_ADMIN: "镇级管理员",
    Role.VILLAGE_ADMIN: "村级管理员",
    Role.CADRE: "村干部",
    Role.WORK_TEAM: "驻村工作队",
    Role.COOP_CLERK: "供销社店员",
    Role.GROUP_LEADER: "村民小组长",
}

# The level of region each role is scoped to.
ROLE_LEVEL: dict[str, str] = {
    Role.COUNTY_ADMIN: "county",
    Role.TOWN_ADMIN: "town",
    Role.VILLAGE_ADMIN: "village",
    Role.CADRE: "village",
    Role.WORK_TEAM: "village",
    Role.COOP_CLERK: "village",
    Role.GROUP_LEADER: "village",
}

# County and town admins see many villages' personal data: a second factor is not optional.
TOTP_REQUIRED = frozenset({Role.COUNTY_ADMIN, Role.TOWN_ADMIN})

# Who may create accounts of which role (always inside their own scope).
_RANK = [Role.COUNTY_ADMIN, Role.TOWN_ADMIN, Role.VILLAGE_ADMIN]


def allowed(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def grantable_roles(role: str) -> list[str]:
    """Roles an admin of ``role`` may hand out: those below their own rank."""
    if role not in _RANK:
        return []
    below = _RANK[_RANK.index(role) + 1 :]
    return [*below, Role.CADRE, Role.WORK_TEAM, Role.COOP_CLERK, Role.GROUP_LEADER]
