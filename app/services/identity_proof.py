"""Binding an openid to a villager by proof (A2): the rules, the failure counters, the welcome.

A villager proves who they are with their name and the last 6 characters of their ID number, or
with the household number printed on their plaque (户号) and their phone number. Failures are counted in the cache
(Redis in production) per openid and per target, so guessing is slow from one phone and from
many; every outcome is audited. Use it through ``app.services.identity``.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, ValidationError
from app.extensions import cache, db
from app.models import Villager, WechatIdentity
from app.privacy import lookup_hash, mask_name, mask_phone
from app.services import audit, clock, codes, household_lookup, outbox
from app.services.clock import VILLAGE_TZ
from app.services.validators import _ascii, clean_name, clean_phone

log = logging.getLogger(__name__)
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LAST6 = re.compile(r"[0-9]{5}[0-9X]")
NO_MATCH_ID = "没有找到匹配的村民，请核对姓名和身份证后6位"
NO_MATCH_PHONE = "没有找到匹配的村民，请核对门牌上的户号和手机号"
LOCKED = "尝试次数太多，请30分钟后再试，或请村干部帮忙"
# The failure counters are what makes guessing a villager's ID digits slow. Without them (Redis
# down) no proof is checked at all: binding by a cadre's approval still works.
COUNTERS_DOWN = "现在暂时无法核对身份，请稍后再试，或选择“请村干部确认”。"
ALREADY_BOUND = "你的微信已经绑定了村民。如需换绑，请先解除绑定。"
TAKEN = "这位村民已经绑定了别的微信。如需更换，请先在原来的微信上解除绑定，或请村干部帮忙。"
AMBIGUOUS = "登记信息对应到不止一位村民，请用“请村干部确认”办理。"
MAX_FAILURES = 5  # per openid, then locked
MAX_TARGET_FAILURES = 10  # per name or household code, across openids
WINDOW = 30 * 60


def is_openid(value: str | None) -> bool:
    return bool(value) and _OPENID.fullmatch(value) is not None


def clean_openid(openid: str | None) -> str:
    if not is_openid(openid):
        raise ValidationError("微信身份无效，请从微信里重新打开页面。", field="openid")
    return openid


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def find_identity(openid: str) -> WechatIdentity | None:
    return db.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == openid))


def identity_for(openid: str) -> WechatIdentity:
    """The identity row, created when first seen (binding comes through the H5 pages: ``oa``)."""
    identity = find_identity(openid)
    if identity is None:
        identity = WechatIdentity(openid=openid, app="oa", last_seen_at=clock.now())
        db.session.add(identity)
        db.session.flush()
    return identity


def ensure_unbound(identity: WechatIdentity) -> None:
    """One openid, at most one (current) villager."""
    if identity.villager_id is not None:
        villager = db.session.get(Villager, identity.villager_id)
        if villager is not None and villager.is_current:
            raise Conflict(ALREADY_BOUND)


def ensure_free(identity: WechatIdentity, villager: Villager) -> None:
    """A villager has at most one identity per app; say so without saying whose it is."""
    other = db.session.scalar(
        select(WechatIdentity.id).where(
            WechatIdentity.app == identity.app,
            WechatIdentity.villager_id == villager.id,
            WechatIdentity.id != identity.id,
        )
    )
    if other is not None:
        raise Conflict(TAKEN)


# --- failure counters -------------------------------------------------------------------


def _keys(openid: str, target: str) -> tuple[str, str]:
    return f"bind:o:{openid}", f"bind:t:{lookup_hash('bind-target', target)[:32]}"


def _count(key: str) -> int:
    """One more failure within the window: atomic INCR (+ EXPIRE NX) on Redis."""
    backend = cache.cache
    count = backend.inc(f"{key}:n") or 0
    client = getattr(backend, "_write_client", None)
    if client is not None:
        client.expire(f"{backend._get_prefix()}{key}:n", WINDOW, nx=True)
    else:  # the embedded default: one process, an in-memory cache
        backend.set(f"{key}:n", count, timeout=WINDOW)
    return count


def _refuse_if_locked(identity: WechatIdentity, target: str, method: str, **detail) -> None:
    try:
        locked = any(cache.get(f"{key}:lock") for key in _keys(identity.openid, target))
    except Exception:  # the counters' store is down: fail closed, before any proof is checked
        log.warning("binding: failure counters unavailable; proof by %s refused", method)
        raise ValidationError(COUNTERS_DOWN) from None
    if locked:
        audit.record(f"wechat:{identity.id}", "identity.bind_locked", method=method, **detail)
        db.session.commit()
        raise ValidationError(LOCKED)


def _fail(identity: WechatIdentity, target: str, method: str, message: str, **detail) -> None:
    """Count, audit and commit a failed proof, then raise the one vague message."""
    own, shared = _keys(identity.openid, target)
    try:
        failures = _count(own)
        if failures >= MAX_FAILURES:
            cache.set(f"{own}:lock", 1, timeout=WINDOW)
        if _count(shared) >= MAX_TARGET_FAILURES:
            cache.set(f"{shared}:lock", 1, timeout=WINDOW)
    except Exception:  # went down since the lock check: the failure is still audited below
        log.warning("binding: failure counters unavailable; failure not counted")
        failures, message = None, COUNTERS_DOWN
    audit.record(f"wechat:{identity.id}", "identity.bind_failed", method=method, failures=failures, **detail)
    db.session.commit()
    raise ValidationError(LOCKED if failures is not None and failures >= MAX_FAILURES else message)


# --- binding ------------------------------------------------------------------------------


def bind_with_id(openid: str, *, name: str, id_last6: str, actor_ip: str | None = None) -> Villager:
    """Bind by name + the last 6 characters of the ID number (X in any case)."""
    openid, name = clean_openid(openid), clean_name(name)
    last6 = _ascii(id_last6).upper()
    if not _LAST6.fullmatch(last6):
        raise ValidationError("身份证后6位是6个字符：数字，最后一位也可能是X。", field="id_last6")
    try:
        identity = identity_for(openid)
        ensure_unbound(identity)
        detail = {"name": mask_name(name), "ip": actor_ip}
        _refuse_if_locked(identity, name, "id", **detail)
        # Names are indexed: only people with this name have their ID number decrypted.
        query = select(Villager).where(Villager.name == name, Villager.status == "current")
        found = [p for p in db.session.scalars(query) if p.id_number and hmac.compare_digest(p.id_number[-6:], last6)]
        if not found:
            _fail(identity, name, "id", NO_MATCH_ID, **detail)
        if len(found) > 1:
            raise ValidationError(AMBIGUOUS)
    except Exception:
        db.session.rollback()
        raise
    return bind(identity, found[0], actor=f"wechat:{identity.id}", method="id", ip=actor_ip)


def bind_with_phone(openid: str, *, household_code: str, phone: str, scanned_code: str | None = None,
                    actor_ip: str | None = None) -> Villager:  # fmt: skip
    """Bind by the household number printed on the plaque (or its code) + the member's phone.

    ``scanned_code`` is the code of the plaque the villager scanned to get here: the number is
    then looked up in that village only (see ``household_lookup``).
    """
    openid = clean_openid(openid)
    households = household_lookup.candidates(household_code, scanned_code)
    target = household_lookup.target_key(household_code, scanned_code)
    phone = clean_phone(phone)
    try:
        identity = identity_for(openid)
        ensure_unbound(identity)
        detail = {"phone": mask_phone(phone), "ip": actor_ip}
        _refuse_if_locked(identity, target, "phone", **detail)
        wanted = lookup_hash("phone", phone)
        found = [m for household in households for m in household.members if m.phone_hash == wanted]
        if not found:
            _fail(identity, target, "phone", NO_MATCH_PHONE, **detail)
        if len(found) > 1:
            raise ValidationError("这个手机号登记在不止一人名下，请用姓名和身份证后6位绑定，或请村干部确认。")
    except Exception:
        db.session.rollback()
        raise
    return bind(identity, found[0], actor=f"wechat:{identity.id}", method="phone", ip=actor_ip)


def bind(identity: WechatIdentity, villager: Villager, *, actor: str, action: str = "identity.bind", **detail):
    """Bind, audit and welcome in one transaction; rolled back whole on any failure."""
    try:
        ensure_unbound(identity)
        ensure_free(identity, villager)
        identity.villager_id, identity.bound_at = villager.id, clock.now()
        db.session.flush()
        audit.record(actor, action, target=f"villager:{villager.id}", village_id=villager.village_id,
                     identity=identity.id, app=identity.app, **detail)  # fmt: skip
        welcome(identity, villager)
        db.session.commit()
    except IntegrityError:  # the same villager was bound elsewhere at the same moment
        db.session.rollback()
        raise Conflict(TAKEN) from None
    except Exception:
        db.session.rollback()
        raise
    try:
        cache.delete(f"bind:o:{identity.openid}:n")
    except Exception:  # bound all the same; the count expires on its own
        log.warning("binding: failure counters unavailable; count left to expire")
    return villager


def welcome(identity: WechatIdentity, villager: Villager):
    """The "绑定成功" notification, added to the binding's transaction."""
    household = villager.household
    place = f"{household.village.name}{household.number}号"
    code = codes.active_code(household.id)
    base = current_app.config["PUBLIC_BASE_URL"]
    bound_at = aware(identity.bound_at)
    local = bound_at.astimezone(VILLAGE_TZ)
    return outbox.notify(
        villager.id, "welcome", "绑定成功",
        f"{villager.name}，你好！你的微信已绑定{place}。积分有变化会通知你，也可以随时在“我的”里查看。",
        dedupe_key=f"welcome:{identity.id}:{villager.id}:{int(bound_at.timestamp())}",
        household_id=household.id,
        link=f"{base}/h/{code}" if code else f"{base}/me",
        # Keys are the templates' typed keywords (name ≤ 10, thing ≤ 20); push fits each value.
        data={"name1": villager.name[:10], "thing2": place[:20], "time3": f"{local:%Y-%m-%d %H:%M}"},
    )  # fmt: skip
