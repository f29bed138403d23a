"""The back office's menu: (label, endpoint, permission). Entries whose view does not exist or
that the account may not use are not shown."""

from __future__ import annotations

from flask import current_app, g

from app.services.permissions import allowed

NAV: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    (
        "日常",
        [
            ("首页", "admin.dashboard", None),
            ("发放积分", "admin.points_award_pick", "points.award"),
            ("积分台账", "admin.points_ledger", "points.view"),
            ("走访巡查", "admin.visits", "visits.view"),
        ],
    ),
    (
        "人的清单",
        [
            ("户籍名册", "admin.households", "register.view"),
            ("村民名册", "admin.villagers", "register.view"),
            ("Excel 导入导出", "admin.excel", "register.export"),
            ("统计图表", "admin.charts", "charts.view"),
        ],
    ),
    (
        "管理",
        [
            ("积分细则", "admin.rules", "rules.edit"),
            ("门牌打印", "admin.plaques", "plaques.print"),
            ("村务设置", "admin.settings", "settings.edit"),
            ("后台账号", "admin.accounts", "accounts.manage"),
            ("操作日志", "admin.audit", "audit.view"),
            ("绑定审批", "admin.bindings", "register.edit"),
        ],
    ),
]


def menu() -> list[tuple[str, list[tuple[str, str]]]]:
    """The menu sections this account sees, as (label, endpoint) pairs."""
    account = g.get("account")
    if account is None:
        return []
    views = current_app.view_functions
    sections = []
    for title, entries in NAV:
        shown = [
            (label, endpoint)
            for label, endpoint, permission in entries
            if endpoint in views and (permission is None or allowed(account.role, permission))
        ]
        if shown:
            sections.append((title, shown))
    return sections
