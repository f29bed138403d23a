"""Searching the audit log (A3) for admins, held to their scope.

Who sees which rows:
- every admin sees the rows of the villages in their scope (``audit_log.village_id``);
- rows with no village (sign-ins of town and county staff, key rotation, town-level accounts)
  belong to no village admin or town admin; a county admin sees them only when their county is
  the only county in the system, because such a row cannot be told apart by county and may
  belong to another county's staff.
Village admins therefore never see another village's rows, nor the county-wide ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from app.errors import ValidationError
from app.extensions import db
from app.models import Account, AuditLog, Household, Region, RegionLevel, Villager
from app.numbers import page_number, row_id
from app.privacy import mask_id_number, mask_phone
from app.services import audit_reads
from app.services.clock import VILLAGE_TZ
from app.services.paging import page_of
from app.services.permissions import ROLE_NAMES
from app.services.scope import Scope

PAGE_SIZE = 50

# The kinds of action a cadre can pick; an action filter is a prefix of ``audit_log.action``.
ACTION_KINDS = {
    "login": "登录",
    "account.": "后台账号",
    "points.": "积分",
    "register.": "户籍名册",
    "events.": "人口变动",
    "archive.": "档案照片",
    "visits.": "走访巡查",
    "code.": "户码",
    "plaques.": "门牌打印",
    "settings.": "村务设置",
    "identity.": "微信绑定",
    "privacy.": "数据安全",
    "read.": "查看个人信息",
}
DETAIL_LABELS = {
    "before": "修改前", "after": "修改后", "reason": "原因", "role": "角色", "points": "分值", "household": "户号",
    "ip": "IP", "rows": "行数", "revoked": "作废户码数", "households": "户数", "photos": "照片数", "name": "姓名",
    "identity": "微信身份", "method": "方式", "failures": "失败次数", "request": "申请", "replaced_by": "替换为",
    "rule_id": "细则", "slogan": "标语", "default_motto": "默认家风家训", "contacts": "联系方式",
    "feedback_overdue_days": "意见超期天数", "duty_phone": "值班干部电话", "statement_day": "积分对账单日期",
    "store_hours": "供销社营业时间", "villager": "村民", "account": "账号", "active": "启用",
    "people": "人数",
}  # fmt: skip
# Targets with no name to look up are shown by kind and number.
TARGET_KINDS = {
    "binding_request": "绑定申请", "job": "门牌任务", "points_entry": "积分记录", "photo": "照片", "visit": "走访记录",
    "rule": "积分细则",
}  # fmt: skip
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""
    action: str = ""
    target: str = ""
    village_id: int | None = None
    start: date | None = None
    end: date | None = None
    page: int = 1


def _date(value: str | None, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{label}的格式不对，请写成 2026-03-01 这样。", field=label) from None


def parse(args) -> AuditQuery:
    """The search form's arguments, checked (``ValidationError`` with a Chinese message)."""
    start, end = _date(args.get("start"), "开始日期"), _date(args.get("end"), "结束日期")
    if start and end and start > end:
        raise ValidationError("开始日期不能晚于结束日期。", field="start")
    village_id = row_id(args.get("village"))
    if village_id is None and (args.get("village") or "").strip():
        raise ValidationError("查询条件不对，请重新选择。", field="village")
    page = page_number(args.get("page"))
    text = {key: (args.get(key) or "").strip()[:64] for key in ("actor", "action", "target")}
    return AuditQuery(**text, village_id=village_id, start=start, end=end, page=page)


def sees_unplaced_rows(scope: Scope) -> bool:
    """Rows with no village: only for a county admin whose county is the whole system."""
    if scope.region.level != RegionLevel.COUNTY:
        return False
    counties = db.session.scalar(select(func.count()).select_from(Region).where(Region.level == RegionLevel.COUNTY))
    return counties == 1


def local_minute(at: datetime | None) -> str:
    """A stored UTC time as the village's clock shows it, ``2026-03-01 14:05`` (back-office tables)."""
    if at is None:
        return ""
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(VILLAGE_TZ).strftime("%Y-%m-%d %H:%M")


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VILLAGE_TZ)


def _target_filter(scope: Scope, target: str):
    """``household:12`` / ``villager:7`` as written in the log, a household number or a person's
    name (in scope): rows about that household or person, and every read whose page showed them."""
    kind, _, ident = target.partition(":")
    if ident.isdigit() and kind in ("household", "villager"):
        return or_(AuditLog.target == target, audit_reads.naming(kind, [int(ident)]))
    if ":" in target:
        return AuditLog.target == target
    in_scope = scope.households_query().with_only_columns(Household.id)
    homes = list(db.session.scalars(in_scope.where(Household.number == target)))
    people = list(
        db.session.scalars(scope.villagers_query().with_only_columns(Villager.id).where(Villager.name == target))
    )
    return or_(
        AuditLog.target.in_([f"household:{i}" for i in homes] + [f"villager:{i}" for i in people] or ["-"]),
        audit_reads.naming("household", homes),
        audit_reads.naming("villager", people),
    )


def _actor_filter(scope: Scope, actor: str):
    """A username of an account in scope matches that account exactly; other text, any actor containing it."""
    account = db.session.scalar(select(Account).where(Account.username == actor.lower()))
    if account is not None and account.region.path.startswith(scope.region.path):
        return AuditLog.actor == account.actor
    return AuditLog.actor.contains(actor, autoescape=True)


def search(scope: Scope, query: AuditQuery) -> tuple[list[AuditLog], int, int, int]:
    """``(rows, page, pages, total)``, newest first."""
    if query.village_id is not None:
        where = [AuditLog.village_id == scope.village(query.village_id).id]
    elif sees_unplaced_rows(scope):
        where = [or_(AuditLog.village_id.in_(scope.village_ids), AuditLog.village_id.is_(None))]
    else:
        where = [AuditLog.village_id.in_(scope.village_ids or [-1])]
    if query.actor:
        where.append(_actor_filter(scope, query.actor))
    if query.action:
        where.append(AuditLog.action.startswith(query.action, autoescape=True))
    if query.target:
        where.append(_target_filter(scope, query.target))
    if query.start:
        where.append(AuditLog.at >= _local_midnight_utc(query.start))
    if query.end:
        where.append(AuditLog.at < _local_midnight_utc(query.end + timedelta(days=1)))
    return page_of(AuditLog, tuple(where), (AuditLog.at.desc(), AuditLog.id.desc()), query.page, PAGE_SIZE)


def _masked(text: str) -> str:
    """Whatever a service wrote, an ID or mobile number never reaches the page whole."""
    text = _ID_LIKE.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE_LIKE.sub(lambda m: mask_phone(m.group()), text)


def _value(key: str, value) -> str:
    if key == "role" and value in ROLE_NAMES:
        return ROLE_NAMES[value]
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_value(k, v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "（空）"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _masked(text)


def detail_lines(row: AuditLog) -> list[tuple[str, str]]:
    """The row's detail as (label, value) pairs for the page."""
    return [(DETAIL_LABELS.get(key, key), _value(key, value)) for key, value in (row.detail or {}).items()]


def action_label(action: str) -> str:
    for prefix, label in ACTION_KINDS.items():
        if action.startswith(prefix):
            return label
    return ""


def target_names(scope: Scope, rows: list[AuditLog]) -> dict[str, str]:
    """Readable names for the targets on one page, looked up in scope only."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        kind, _, ident = (row.target or "").partition(":")
        if ident.isdigit():
            wanted.setdefault(kind, set()).add(int(ident))
    names = {f"{kind}:{i}": f"{label} {i}号" for kind, label in TARGET_KINDS.items() for i in wanted.get(kind, ())}
    if ids := wanted.get("household"):
        query = scope.households_query().with_only_columns(Household.id, Household.number).where(Household.id.in_(ids))
        names |= {f"household:{i}": f"{n}户" for i, n in db.session.execute(query)}
    if ids := wanted.get("villager"):
        query = scope.villagers_query().with_only_columns(Villager.id, Villager.name).where(Villager.id.in_(ids))
        names |= {f"villager:{i}": f"村民 {n}" for i, n in db.session.execute(query)}
    if ids := wanted.get("account"):
        query = select(Account.id, Account.username, Region.path).join(Region).where(Account.id.in_(ids))
        mine = scope.region.path
        names |= {f"account:{i}": f"账号 {u}" for i, u, path in db.session.execute(query) if path.startswith(mine)}
    if ids := wanted.get("village"):
        names |= {f"village:{v.id}": v.name for v in scope.villages if v.id in ids}
    return names
