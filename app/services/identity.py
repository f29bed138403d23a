"""WeChat identities (A2): who an openid is, and which villager it is bound to.

The callback calls ``touch`` on every contact and ``bound_villager`` to personalise replies; the
H5 pages bind through ``bind_with_id`` / ``bind_with_phone`` (identity_proof.py) or ask a cadre
(``request_approval``, identity_requests.py). Rules: one openid maps to at most one villager; a
villager has at most one identity per app; every bind, unbind, decision and failure is audited.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationError
from app.extensions import db
from app.models import Villager, WechatIdentity
from app.services import audit, clock, codes, notifications, standings
from app.services.identity_proof import (  # noqa: F401  (the public interface lives here)
    LOCKED,
    NO_MATCH_ID,
    NO_MATCH_PHONE,
    aware,
    bind_with_id,
    bind_with_phone,
    clean_openid,
    find_identity,
    is_openid,
)
from app.services.identity_requests import (  # noqa: F401
    approve,
    latest_request,
    pending_requests,
    reject,
    rejection_reason,
    request_approval,
)

APPS = ("oa", "mp")
SEEN_EVERY = timedelta(minutes=1)  # touch() writes last_seen_at at most this often


def touch(openid: str, app: str = "oa", *, subscribed: bool | None = None) -> WechatIdentity:
    """Create or refresh the identity of an openid we have just heard from (commits)."""
    openid = clean_openid(openid)
    if app not in APPS:
        raise ValidationError("未知的微信应用。", field="app")
    identity = find_identity(openid)
    now = clock.now()
    if identity is None:
        db.session.add(WechatIdentity(openid=openid, app=app, subscribed=bool(subscribed), last_seen_at=now))
        try:
            db.session.commit()
        except IntegrityError:  # the same openid arrived twice at once: the other one is kept
            db.session.rollback()
        identity = find_identity(openid)
    changed = subscribed is not None and identity.subscribed != subscribed
    seen = aware(identity.last_seen_at)
    if changed or seen is None or now - seen >= SEEN_EVERY:
        if subscribed is not None:
            identity.subscribed = subscribed
        identity.last_seen_at = now
        db.session.commit()
    return identity


def touch_many(openids: list[str], app: str = "oa") -> int:
    """Record that these followers were just heard from (the contacts flush): one read, one update
    of those last seen over SEEN_EVERY ago, one insert of those never seen (a follower from before
    the app existed, so following). A known identity keeps its ``subscribed``: an unfollow may have
    come in since the openid was noted. Returns how many openids were recorded."""
    openids = sorted({o for o in openids if is_openid(o)})
    if not openids:
        return 0
    now = clock.now()
    rows = db.session.execute(
        select(WechatIdentity.openid, WechatIdentity.last_seen_at).where(WechatIdentity.openid.in_(openids))
    ).all()
    known = {openid: aware(seen) for openid, seen in rows}
    due = [openid for openid, seen in known.items() if seen is None or now - seen >= SEEN_EVERY]
    if due:
        db.session.execute(update(WechatIdentity).where(WechatIdentity.openid.in_(due)).values(last_seen_at=now))
    if newcomers := [openid for openid in openids if openid not in known]:
        rows = [{"openid": openid, "app": app, "subscribed": True, "last_seen_at": now} for openid in newcomers]
        db.session.execute(insert(WechatIdentity), rows)  # one executemany, no row fetched back
    try:
        db.session.commit()
    except IntegrityError:  # a subscribe created one of them meanwhile: one by one, the slow way
        db.session.rollback()
        for openid in openids:
            touch(openid, app, subscribed=None if find_identity(openid) else True)
    return len(openids)


def bound_villager(openid: str) -> Villager | None:
    """The current villager this openid is bound to, if any."""
    identity = find_identity(openid) if is_openid(openid) else None
    if identity is None or identity.villager_id is None:
        return None
    villager = db.session.get(Villager, identity.villager_id)
    return villager if villager is not None and villager.is_current else None


def unbind(openid: str, *, actor: str | None) -> None:
    """Forget which villager an openid belongs to: the villager themself (``actor=None``) or a cadre."""
    identity = find_identity(clean_openid(openid))
    if identity is None or identity.villager_id is None:
        raise ValidationError("这个微信还没有绑定村民。")
    villager = db.session.get(Villager, identity.villager_id)
    audit.record(actor or f"wechat:{identity.id}", "identity.unbind", target=f"villager:{identity.villager_id}",
                 village_id=villager.village_id if villager else None, identity=identity.id)  # fmt: skip
    identity.villager_id, identity.bound_at = None, None
    db.session.commit()


def member_view(villager: Villager) -> dict:
    """What a bound villager sees about themself and their household (no ID or phone numbers)."""
    household = villager.household
    return {
        "name": villager.name,
        "relation": villager.relation,
        "village": household.village.name,
        "group": household.group.name if household.group else "",
        "number": household.number,
        "head_name": household.head.name if household.head else "",
        "code": codes.active_code(household.id),
        "household_points": standings.totals_for("household", [household.id])[household.id],
        "own_points": standings.totals_for("villager", [villager.id])[villager.id],
        "unread": notifications.unread_count(villager.id),
    }
