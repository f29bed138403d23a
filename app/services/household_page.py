"""What a villager sees after scanning a plaque (H1, H2): one view model for HTML and JSON.

The view holds only public fields: names, relations, points, honours and the award history.
ID numbers, phones, health, political status and household category never enter it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Household, PointsEntry, Region, Villager
from app.services import clock, codes, page_cache, rules, standings, village_settings
from app.services.paging import page_of

T = TypeVar("T")


def cached_view(code: str, page: int, variant: str, render: Callable[[dict], T]) -> T:
    """The household view for ``code`` rendered by ``render``, cached until the village changes.

    Raises NotFound for an unknown code. A revoked code yields ``{"replaced": True, ...}``.
    """
    found = None

    def locate() -> int:
        nonlocal found
        found = codes.resolve(code)
        return found.household.village_id

    def build() -> T:
        return render(household_view(found or codes.resolve(code), page))

    if not code or len(code) > 32:
        raise NotFound("没有找到这户人家。")
    return page_cache.cached_page(f"hh:{variant}:{code}:{page}", locate, build)


def household_view(found, page: int = 1) -> dict:
    """Build the public view of the household behind a code row (see module docstring)."""
    village_path = joinedload(Household.village)
    household = db.session.scalar(
        select(Household)
        .where(Household.id == found.household_id)
        .options(
            # Only the public columns: the page build never decrypts an ID or phone number.
            selectinload(Household.people).load_only(
                Villager.id, Villager.name, Villager.relation, Villager.status, Villager.household_id
            ),
            selectinload(Household.honours),
            joinedload(Household.group),
            village_path.joinedload(Region.settings),
            village_path.joinedload(Region.parent).joinedload(Region.parent),
        )
    )
    village = village_header(household.village)
    if found.status != "active":
        # A replaced plaque still knows its village: its header, duty phone and rules, no household data.
        return {"replaced": True, "village_name": village["name"], "village": village, "code": found.code}
    members = household.members
    day = clock.today()
    household_totals = standings.totals_for("household", [household.id], day)[household.id]
    member_totals = standings.totals_for("villager", [m.id for m in members], day)
    return {
        "replaced": False,
        "code": found.code,
        "village": village,
        "household": {
            "number": household.number,
            "group": household.group.label,
            "head_name": next((p.name for p in household.people if p.id == household.head_id), None),
            "motto": household.motto,
            "honours": [h.title for h in household.current_honours],
        },
        "totals": household_totals,
        "period_labels": {"month": f"{day.month}月", "year": f"{day.year}年"},
        "ranks": standings.household_ranks(household, household_totals, day),
        "members": [
            {"name": m.name, "relation": m.relation, **member_totals[m.id]}
            for m in sorted(members, key=lambda m: (m.relation != "户主", m.id))
        ],
        "history": history_page(household.id, page),
    }


def village_header(village: Region) -> dict:
    """The village as every villager page heads it: place, slogan, and the duty phone to call."""
    town = village.parent
    return {
        "name": village.name,
        "town": town.name if town else None,
        "county": town.parent.name if town and town.parent else None,
        "slogan": village.settings.slogan if village.settings else current_app.config["DEFAULT_SLOGAN"],
        "duty_phone": village_settings.setting(village.id, "duty_phone"),
    }


def history_page(household_id: int, page: int) -> dict:
    """One page of the household's ledger, newest first, with reversals marked."""
    entries, page, pages, total = page_of(
        PointsEntry,
        (PointsEntry.household_id == household_id,),
        (PointsEntry.occurred_on.desc(), PointsEntry.id.desc()),
        page,
        current_app.config["HISTORY_PAGE_SIZE"],
    )
    ids = [e.id for e in entries]
    reversed_ids = set(
        db.session.scalars(select(PointsEntry.reverses_id).where(PointsEntry.reverses_id.in_(ids))) if ids else []
    )
    person_ids = {e.villager_id for e in entries if e.villager_id}
    names = (
        dict(db.session.execute(select(Villager.id, Villager.name).where(Villager.id.in_(person_ids))).all())
        if person_ids
        else {}
    )
    items = [
        {
            "id": e.id,
            "date": e.occurred_on.isoformat(),
            "place": e.place,
            "reason": e.reason,
            "category": e.category,
            "points": e.points,
            "member": names.get(e.villager_id),
            "kind": e.kind,
            "reversed": e.id in reversed_ids,
        }
        for e in entries
    ]
    return {"items": items, "page": page, "pages": pages, "total": total}


def rules_view(code: str) -> dict:
    """The village's points rules (积分细则) as a villager reads them from a plaque: what earns or
    costs points, how many, any cap. No personal data: the catalogue is the village's own."""
    if not code or len(code) > 32:
        raise NotFound("没有找到这户人家。")
    found = codes.resolve(code)
    village = found.household.village
    active = rules.rules_of([village.id], include_inactive=False)
    groups = [(category, [_rule_line(r) for r in items]) for category, items in rules.by_category(active)]
    code = found.code if found.status == "active" else None  # a replaced plaque links nowhere onward
    return {"village": village_header(village), "groups": groups, "code": code}


def _rule_line(rule) -> dict:
    cap = f"每户{rules.CAP_PERIODS[rule.cap_period]}最多{rule.cap_points}分" if rule.cap_points else None
    return {"item": rule.item, "points": rule.points, "cap": cap}
