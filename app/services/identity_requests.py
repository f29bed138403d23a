"""Binding by cadre approval (A2): a villager who cannot prove who they are asks a cadre.

Use it through ``app.services.identity``.
"""

from __future__ import annotations

from sqlalchemy import select

from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import AuditLog, BindingRequest, Household, Region, Villager, WechatIdentity
from app.privacy import mask_name
from app.services import audit, clock, household_lookup
from app.services.identity_proof import (
    bind,
    clean_openid,
    ensure_unbound,
    identity_for,
)
from app.services.validators import clean_name, clean_text


def request_approval(openid: str, *, household_code: str, name: str, note: str | None = None,
                     scanned_code: str | None = None) -> BindingRequest:  # fmt: skip
    """Ask a cadre to confirm that this openid is ``name`` of the household the villager names:
    the 户号 on their plaque (within the scanned plaque's village, if they came by a scan)."""
    openid, name = clean_openid(openid), clean_name(name)
    note = clean_text(note, "说明", "note", max_len=200)
    try:
        households = household_lookup.candidates(household_code, scanned_code)
        if not households:
            raise ValidationError("没有找到这个户号，请核对门牌上的户号，或扫门牌二维码进入。", field="household_code")
        # Member names are on the public household page, so naming the miss reveals nothing.
        matches = [m for household in households for m in household.members if m.name == name]
        if not matches:
            raise ValidationError("这一户没有叫这个名字的在册成员，请核对姓名。", field="name")
        if len({m.household_id for m in matches}) > 1:
            raise ValidationError(household_lookup.MANY_VILLAGES, field="household_code")
        household = matches[0].household
        identity = identity_for(openid)
        ensure_unbound(identity)  # the villager may be bound elsewhere (a lost phone): a cadre decides
        if latest_request(openid, status="pending") is not None:
            raise Conflict("你已经提交过申请，请等村干部确认。")
        request = BindingRequest(identity_id=identity.id, village_id=household.village_id, villager_id=matches[0].id,
                                 note=note, status="pending")  # fmt: skip
        db.session.add(request)
        db.session.flush()
        audit.record(f"wechat:{identity.id}", "identity.request", target=f"binding_request:{request.id}",
                     village_id=household.village_id, name=mask_name(name))  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return request


def _pending(request_id: int) -> BindingRequest:
    request = db.session.get(BindingRequest, request_id)
    if request is None:
        raise NotFound(f"没有编号为{request_id}的绑定申请。")
    if request.status != "pending":
        done = {"approved": "已同意", "rejected": "已拒绝"}.get(request.status, request.status)
        raise Conflict(f"第{request_id}号申请{done}，不能再处理。")
    return request


def approve(request_id: int, *, decided_by: str) -> Villager:
    """A cadre confirms the request: bind, audit and welcome in one transaction."""
    decided_by = clean_text(decided_by, "审核人", "decided_by", max_len=64, required=True)
    request = _pending(request_id)
    villager = request.villager
    if not villager.is_current:
        raise Conflict("这位村民已不在册，不能绑定；请拒绝这条申请。")
    request.status, request.decided_by, request.decided_at = "approved", decided_by, clock.now()
    for old in _other_identities(request):  # e.g. the villager's lost phone: the cadre replaces it
        audit.record(decided_by, "identity.unbind", target=f"villager:{villager.id}", village_id=villager.village_id,
                     identity=old.id, replaced_by=request.identity_id)  # fmt: skip
        old.villager_id, old.bound_at = None, None
    db.session.flush()
    return bind(request.identity, villager, actor=decided_by, action="identity.approve", request=request.id)


def _other_identities(request: BindingRequest) -> list[WechatIdentity]:
    """Identities of the same app already bound to the requested villager."""
    query = select(WechatIdentity).where(
        WechatIdentity.app == request.identity.app,
        WechatIdentity.villager_id == request.villager_id,
        WechatIdentity.id != request.identity_id,
    )
    return list(db.session.scalars(query))


def reject(request_id: int, *, decided_by: str, reason: str) -> BindingRequest:
    """A cadre turns the request down; the reason is kept in the audit log."""
    decided_by = clean_text(decided_by, "审核人", "decided_by", max_len=64, required=True)
    reason = clean_text(reason, "拒绝原因", "reason", max_len=200, required=True)
    request = _pending(request_id)
    request.status, request.decided_by, request.decided_at = "rejected", decided_by, clock.now()
    audit.record(decided_by, "identity.reject", target=f"binding_request:{request.id}",
                 village_id=request.village_id, identity=request.identity_id, reason=reason)  # fmt: skip
    db.session.commit()
    return request


def latest_request(openid: str, *, status: str | None = None) -> BindingRequest | None:
    query = select(BindingRequest).join(BindingRequest.identity).where(WechatIdentity.openid == openid)
    if status:
        query = query.where(BindingRequest.status == status)
    return db.session.scalar(query.order_by(BindingRequest.id.desc()).limit(1))


def rejection_reason(request: BindingRequest) -> str | None:
    """Why a cadre said no (kept in the audit row of the rejection)."""
    target = f"binding_request:{request.id}"
    detail = db.session.scalar(
        select(AuditLog.detail).where(AuditLog.action == "identity.reject", AuditLog.target == target)
    )
    return (detail or {}).get("reason")


def pending_requests(village: str | None = None) -> list[dict]:
    """Open requests, oldest first, for the cadre's list."""
    query = (
        select(BindingRequest, Villager, Household, Region)
        .join(Villager, BindingRequest.villager_id == Villager.id)
        .join(Household, Villager.household_id == Household.id)
        .join(Region, BindingRequest.village_id == Region.id)
        .where(BindingRequest.status == "pending")
        .order_by(BindingRequest.id)
    )
    if village:
        query = query.where(Region.name == village)
    return [
        {"id": r.id, "village": g.name, "household": h.number, "name": v.name, "relation": v.relation,
         "note": r.note or "", "created_at": r.created_at, "replaces": bool(_other_identities(r))}
        for r, v, h, g in db.session.execute(query)
    ]  # fmt: skip
