"""Who may manage which back-office account (A1 screens), wrapping ``app.services.accounts``.

An admin manages accounts of a lower rank (``permissions.grantable_roles``) whose region lies in
their own subtree. Accounts of the same rank in the subtree are listed so colleagues know who else
administers, but cannot be changed; accounts of a higher rank, or outside the subtree, are never
shown (and are "not found" when asked for by id). Nobody changes their own account here: that is
"我的账号".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Account, Region, RegionLevel, Role, VillagerGroup
from app.numbers import row_id
from app.services import accounts, clock
from app.services.permissions import ROLE_LEVEL, ROLE_NAMES, grantable_roles
from app.services.scope import Scope

_RANK = {Role.COUNTY_ADMIN: 0, Role.TOWN_ADMIN: 1, Role.VILLAGE_ADMIN: 2}
_LOWEST = 3  # every role that is not an admin


def rank(role: str) -> int:
    """0 for the highest (county admin); larger is lower."""
    return _RANK.get(role, _LOWEST)


def _in_subtree(scope: Scope, region: Region) -> bool:
    return region.path.startswith(scope.region.path)


@dataclass(frozen=True)
class Listed:
    account: Account
    role_name: str
    editable: bool
    locked: bool


def visible_accounts(me: Account, scope: Scope, *, role: str | None = None) -> list[Listed]:
    """Accounts in my subtree at my rank or below, by region and role; mine is marked not editable."""
    query = (
        select(Account)
        .join(Region, Account.region_id == Region.id)
        .where(Region.path.startswith(scope.region.path))
        .options(joinedload(Account.region), joinedload(Account.group))
        .order_by(Region.path, Account.role, Account.username)
    )
    if role:
        query = query.where(Account.role == role)
    mine = rank(me.role)
    grantable = set(grantable_roles(me.role))
    return [
        Listed(a, ROLE_NAMES.get(a.role, a.role), a.id != me.id and a.role in grantable, is_locked(a))
        for a in db.session.scalars(query)
        if rank(a.role) >= mine
    ]


def is_locked(account: Account) -> bool:
    """Locked out after too many wrong passwords (a password reset unlocks)."""
    until = account.locked_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until is not None and until > clock.now()


def manageable(me: Account, scope: Scope, account_id) -> Account:
    """The account I may change, or NotFound (outside my subtree or above me) / Forbidden."""
    try:
        account = db.session.get(Account, int(account_id))
    except (TypeError, ValueError):
        account = None
    if account is None or not _in_subtree(scope, account.region) or rank(account.role) < rank(me.role):
        raise NotFound("没有找到这个账号。")
    if account.id == me.id:
        raise Forbidden("不能在这里修改自己的账号，请到“我的账号”。")
    if account.role not in grantable_roles(me.role):
        raise Forbidden("不能修改同级管理员的账号，请找上一级管理员。")
    return account


def region_choices(me: Account, scope: Scope) -> list[tuple[Region, list[str]]]:
    """Regions of my subtree, each with the roles I may give an account there."""
    roles = grantable_roles(me.role)
    query = select(Region).where(Region.path.startswith(scope.region.path)).order_by(Region.path)
    choices = []
    for region in db.session.scalars(query):
        fits = [r for r in roles if ROLE_LEVEL[r] == region.level]
        if fits:
            choices.append((region, fits))
    return choices


def group_choices(scope: Scope) -> list[VillagerGroup]:
    return scope.groups()


def _int(value, label: str, field: str) -> int | None:
    if not str(value or "").strip():
        return None
    number = row_id(value)
    if number is None:
        raise ValidationError(f"请选择{label}。", field=field)
    return number


def create(me: Account, scope: Scope, *, username, display_name, role, region_id, group_id, password) -> Account:
    """Create an account of a role I may grant, in my subtree; ``accounts.create_account`` does the rest."""
    if role not in grantable_roles(me.role):
        raise ValidationError("你不能创建这种角色的账号。", field="role")
    region = db.session.get(Region, _int(region_id, "管辖范围", "region_id") or 0)
    if region is None or not _in_subtree(scope, region):
        raise ValidationError("请在你管辖的范围里选择。", field="region_id")
    group = _int(group_id, "村民小组", "group_id")
    if role == Role.GROUP_LEADER and region.level == RegionLevel.VILLAGE and group is None:
        raise ValidationError("村民小组长要选择一个小组。", field="group_id")
    data = accounts.AccountInput(
        username=username or "",
        display_name=display_name or "",
        role=role,
        region_id=region.id,
        password=password or "",
        group_id=group,
    )
    return accounts.create_account(data, created_by=me.actor)


def reset_password(me: Account, account: Account, new: str, confirm: str) -> None:
    if (new or "") != (confirm or ""):
        raise ValidationError("两次输入的新密码不一样。", field="confirm")
    accounts.set_password(account, new, actor=me.actor)


def set_active(me: Account, account: Account, active: bool) -> None:
    if account.active == active:
        return  # the same click twice: nothing more to do
    accounts.set_active(account, active, actor=me.actor)


def reset_totp(me: Account, account: Account) -> None:
    if not account.totp_enabled:
        raise ValidationError("这个账号没有开启动态验证码，不用重置。")
    accounts.reset_totp(account, actor=me.actor)
