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

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from app.errors import ValidationError
from app.extensions import db
from app.models import Account, AuditLog, Household, Region, RegionLevel, Villager
from app.numbers import page_number, row_id
from app.services import audit_reads
from app.services.clock import VILLAGE_TZ
from app.services.paging import page_of
from app.services.scope import Scope

PAGE_SIZE = 50

# The kinds of action a cadre can pick; an action filter is a prefix of ``audit_log.action``.
ACTION_KINDS = {
    "login": "登录",
    "account.": "后台账号",
    "points.": "积分",
    "rules.": "积分细则",
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
# Targets with no name to look up are shown by kind and number.
TARGET_KINDS = {
    "binding_request": "绑定申请", "job": "门牌任务", "points_entry": "积分记录", "photo": "照片", "visit": "走访记录",
    "points_rule": "积分细则",
}  # fmt: skip
# Targets that name a whole list or file rather than one row (exports, imports, key rotation).
TARGET_LISTS = {
    "households": "户籍名单", "register": "名册", "visits": "走访记录", "import": "导入的名册文件",
    "villagers": "全体村民",
}  # fmt: skip


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


def target_names(scope: Scope, rows: list[AuditLog]) -> dict[str, str]:
    """Readable names for the targets on one page, looked up in scope only."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        kind, _, ident = (row.target or "").partition(":")
        if ident.isdigit():
            wanted.setdefault(kind, set()).add(int(ident))
    names = {row.target: TARGET_LISTS[row.target.partition(":")[0]] for row in rows
             if row.target and row.target.partition(":")[0] in TARGET_LISTS}  # fmt: skip
    names |= {f"{kind}:{i}": f"{label} {i}号" for kind, label in TARGET_KINDS.items() for i in wanted.get(kind, ())}
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
