"""The cadre's side of binding by approval (A2): pending requests in scope, approve as a chosen
member of the household, reject with a reason. The binding itself is ``identity_requests``'."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import BindingRequest, Household, Region, Villager
from app.services import audit, identity_requests
from app.services.scope import Scope

LIST_LIMIT = 200


@dataclass(frozen=True)
class Pending:
    request: BindingRequest
    village: str
    household: Household
    claimed: Villager
    members: list[Villager]
    replaces: bool  # the member is bound to another WeChat already (e.g. a lost phone)


def in_scope(scope: Scope, request_id) -> BindingRequest:
    """A request of a household I may see (any status); NotFound otherwise."""
    try:
        request = db.session.get(BindingRequest, int(request_id))
    except (TypeError, ValueError):
        request = None
    if request is None:
        raise NotFound("没有找到这条绑定申请。")
    scope.require_village(request.village_id)
    scope.household(request.villager.household_id)
    return request


def pending(scope: Scope, village_id: int | None = None) -> list[Pending]:
    """Open requests in scope, oldest first (they have waited longest)."""
    villages = [scope.village(village_id).id] if village_id else scope.village_ids
    query = (
        select(BindingRequest, Villager, Household, Region.name)
        .join(Villager, BindingRequest.villager_id == Villager.id)
        .join(Household, Villager.household_id == Household.id)
        .join(Region, BindingRequest.village_id == Region.id)
        .where(BindingRequest.status == "pending", BindingRequest.village_id.in_(villages or [-1]))
        .order_by(BindingRequest.id)
        .limit(LIST_LIMIT)
    )
    if scope.group_id is not None:
        query = query.where(Household.group_id == scope.group_id)
    return [
        Pending(r, name, h, v, h.members, bool(identity_requests._other_identities(r)))
        for r, v, h, name in db.session.execute(query)
    ]


def approve(scope: Scope, request_id, villager_id, *, decided_by: str) -> Villager:
    """Bind the requester to the member the cadre chose (the one the request named, or another
    current member of the same household when two share a name or the villager mistyped)."""
    request = in_scope(scope, request_id)
    household = request.villager.household
    chosen = next((m for m in household.members if str(m.id) == str(villager_id or "").strip()), None)
    if chosen is None:
        raise ValidationError("请选择申请人是这一户的哪一位。", field="villager_id")
    try:
        if chosen.id != request.villager_id and request.status == "pending":
            audit.record(decided_by, "identity.member_chosen", target=f"binding_request:{request.id}",
                         village_id=request.village_id, villager=chosen.id)  # fmt: skip
            request.villager = chosen
            db.session.flush()
        return identity_requests.approve(request.id, decided_by=decided_by)
    except Exception:
        db.session.rollback()
        raise


def reject(scope: Scope, request_id, reason: str | None, *, decided_by: str) -> BindingRequest:
    request = in_scope(scope, request_id)
    return identity_requests.reject(request.id, decided_by=decided_by, reason=reason or "")


def pending_count(scope: Scope) -> int:
    """How many villagers in this scope wait for a cadre to confirm who they are (the dashboard's
    reminder, so a request made in WeChat does not go unseen)."""
    query = select(func.count()).select_from(BindingRequest)
    query = query.where(BindingRequest.status == "pending", BindingRequest.village_id.in_(scope.village_ids or [-1]))
    if scope.group_id is not None:
        query = query.join(Villager, BindingRequest.villager_id == Villager.id)
        query = query.join(Household, Villager.household_id == Household.id).where(Household.group_id == scope.group_id)
    return db.session.scalar(query) or 0
