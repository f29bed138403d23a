"""Which household a villager means on the binding form (A2): what they can read off their plaque.

A plaque prints the household number (户号 0101); its QR code carries the household's code. A
villager who scanned the plaque arrives with that code, so the village is known and the number
they type is looked up within it. One who typed the address by hand has only the number, which
is unique only within a village: every active household with that number is a candidate and the
proof (a phone number, a member's name) decides. An old link may still carry the code itself as
the typed value; it is accepted too. Use it through ``app.services.identity``.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Household
from app.services import codes
from app.services.validators import _ascii

_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
TYPE_NUMBER = "请填写门牌上的户号（如 0101），或扫门牌二维码进入。"
MANY_VILLAGES = "不止一个村有这个户号，请扫一扫自家门牌上的二维码，再从“这是我家”进来办理。"


def scanned_household(code: str | None) -> Household | None:
    """The active household behind a scanned plaque's code (active or replaced plaque), else None."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        return None
    try:
        found = codes.resolve(code)
    except NotFound:
        return None
    return found.household if found.household.status == "active" else None


def _variants(number: str) -> set[str]:
    """To a villager reading a plaque aloud, 101, 0101 and 00101 are the same number."""
    bare = number.lstrip("0") or "0"
    return {number, bare, *(bare.zfill(width) for width in range(2, 7))}


def candidates(typed: str | None, scanned_code: str | None = None) -> list[Household]:
    """Active households the typed 户号 (or an old 户码) can mean, within the scanned village if any."""
    typed = _ascii(typed or "").removesuffix("号")
    if len(typed) > 12:  # a plaque's code (22 characters) typed, or carried by an old link
        by_code = scanned_household(typed)
        return [by_code] if by_code is not None else []
    if not typed or not _NUMBER.fullmatch(typed):
        raise ValidationError(TYPE_NUMBER, field="household_code")
    scanned = scanned_household(scanned_code)
    query = select(Household).where(Household.status == "active", Household.number.in_(_variants(typed)))
    if scanned is not None:
        query = query.where(Household.village_id == scanned.village_id)
    return list(db.session.scalars(query.order_by(Household.id)))


def target_key(typed: str | None, scanned_code: str | None) -> str:
    """What the failure counters count guesses against: the household number within its village."""
    scanned = scanned_household(scanned_code)
    bare = _ascii(typed or "").removesuffix("号").lstrip("0") or "0"
    return f"{scanned.village_id if scanned else '*'}:{bare}"


def describe(household: Household) -> dict:
    """What the binding page shows of the scanned household: what its public page shows too."""
    head = next((p.name for p in household.members if p.id == household.head_id), None)
    return {"village": household.village.name, "number": household.number, "head_name": head,
            "village_id": household.village_id}  # fmt: skip
