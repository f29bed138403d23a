"""Plaques for real households: gather what each plaque shows, render PNGs and the PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Household, HouseholdCode, Region, WechatCode
from app.services.plaques import PlaqueContent, render_plaque, write_pdf


def household_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/h/{code}"


def plaque_url(code: str, oa_url: str | None) -> str:
    """What the plaque's QR encodes: the official account's code where configured and made, else the H5 page."""
    if current_app.config.get("PLAQUE_QR") == "oa" and oa_url:
        return oa_url
    return household_url(code)


def plaque_contents(village: Region, numbers: list[str] | None = None) -> Iterator[tuple[str, PlaqueContent]]:
    """(household number, content) for each active household of a village, in group order."""
    slogan = village.settings.slogan if village.settings else current_app.config["DEFAULT_SLOGAN"]
    default_motto = village.settings.default_motto if village.settings else None
    oa_code = (WechatCode.code == HouseholdCode.code) & (WechatCode.kind == "oa_qr") & (WechatCode.status == "ready")
    query = (
        select(Household, HouseholdCode.code, WechatCode.url)
        .join(HouseholdCode, (HouseholdCode.household_id == Household.id) & (HouseholdCode.status == "active"))
        .outerjoin(WechatCode, oa_code)
        .where(Household.village_id == village.id, Household.status == "active")
        .options(selectinload(Household.honours), selectinload(Household.head), selectinload(Household.group))
        .order_by(Household.number)
    )
    if numbers:
        query = query.where(Household.number.in_(numbers))
    for household, code, oa_url in db.session.execute(query):
        honours = household.current_honours
        yield (
            household.number,
            PlaqueContent(
                village_name=village.name,
                slogan=slogan,
                motto=household.motto or default_motto,
                honour=honours[0].title if honours else None,
                household_number=household.number,
                head_name=household.head.name if household.head else "",
                group_label=household.group.label,
                url=plaque_url(code, oa_url),
            ),
        )


def render_village(village: Region, out_dir: Path, numbers: list[str] | None = None) -> int:
    """Write ``<number>.png`` per household and ``plaques.pdf``; returns how many plaques."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for number, content in plaque_contents(village, numbers):
        path = out_dir / f"{number}.png"
        render_plaque(content).save(path, dpi=(300, 300))
        written.append(path)
    if written:
        write_pdf(_reopen(written), out_dir / "plaques.pdf")
    return len(written)


def _reopen(paths: list[Path]):
    from PIL import Image

    for path in paths:
        with Image.open(path) as image:
            yield image.convert("RGB")
