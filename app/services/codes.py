"""Household plaque codes (H1): opaque, unguessable, revocable."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from app.errors import NotFound
from app.extensions import db
from app.models import Household, HouseholdCode, WechatCode
from app.services import audit, clock, dispatch, page_cache

WECHAT_CODES_TASK = "codes.create_for_household"
CODE_BYTES = 16  # 128 random bits → 22 URL-safe characters, fits a mini-program scene (≤ 32)


def new_code() -> str:
    """A random URL-safe code; its characters are all allowed in a mini-program scene."""
    return secrets.token_urlsafe(CODE_BYTES)


def issue_code(household: Household) -> HouseholdCode:
    """Give a household its first code (caller commits; its WeChat codes follow from the periodic job)."""
    code = HouseholdCode(code=new_code(), household=household, status="active")
    db.session.add(code)
    return code


def active_code(household_id: int) -> str | None:
    return db.session.scalar(
        select(HouseholdCode.code).where(HouseholdCode.household_id == household_id, HouseholdCode.status == "active")
    )


def active_codes(household_ids: list[int]) -> dict[int, str]:
    """The active plaque code of each household that has one, in one query."""
    rows = db.session.execute(
        select(HouseholdCode.household_id, HouseholdCode.code).where(
            HouseholdCode.household_id.in_(household_ids), HouseholdCode.status == "active"
        )
    )
    return dict(rows.all())


def reissue_code(household_id: int, *, recorded_by: str) -> HouseholdCode:
    """Revoke the household's code and issue a new one; the old plaque then shows "replaced"."""
    household = db.session.get(Household, household_id)
    if household is None:
        raise NotFound("没有这一户。")
    old = db.session.scalars(
        select(HouseholdCode).where(HouseholdCode.household_id == household_id, HouseholdCode.status == "active")
    ).all()
    for code in old:
        code.status = "revoked"
        code.revoked_at = clock.now()
    db.session.flush()  # the partial unique index allows one active code: revoke first
    # The old plaque's WeChat codes go with it: scanning one now gets the "replaced" answer.
    db.session.execute(
        update(WechatCode)
        .where(WechatCode.household_id == household_id, WechatCode.status != "revoked")
        .values(status="revoked", updated_at=clock.now())
    )
    fresh = issue_code(household)
    audit.record(
        recorded_by,
        "code.reissue",
        target=f"household:{household_id}",
        village_id=household.village_id,
        revoked=len(old),
    )
    db.session.commit()
    page_cache.bump_village(household.village_id)
    dispatch.send(WECHAT_CODES_TASK, household_id)  # the new plaque's WeChat codes, in the background
    return fresh


def resolve(code: str) -> HouseholdCode:
    """The code row (active or revoked); ``NotFound`` for anything else."""
    if not code or len(code) > 32:
        raise NotFound("没有找到这户人家。")
    found = db.session.get(HouseholdCode, code)
    if found is None:
        raise NotFound("没有找到这户人家。")
    return found
