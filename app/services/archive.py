"""The document archive (R5): photos of ID cards (身份证) and household registers (户口簿).

Kept permanently: a superseded photo is retired, never deleted. Every upload, retirement and
every single view is written to the audit log; a view is served watermarked with who looked and
when, so a copy that leaks says whose screen it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import Household, Photo, PhotoPurpose, Villager
from app.numbers import MAX_BIG_ID, row_id
from app.services import audit, clock, photos
from app.services.clock import VILLAGE_TZ
from app.services.identity_proof import aware
from app.services.validators import clean_text

KINDS: dict[str, str] = {PhotoPurpose.ID_CARD: "身份证", PhotoPurpose.HOUSEHOLD_REGISTER: "户口簿"}
# Offered as suggestions; a cadre may type anything short.
CAPTIONS: dict[str, tuple[str, ...]] = {
    PhotoPurpose.ID_CARD: ("正面", "反面"),
    PhotoPurpose.HOUSEHOLD_REGISTER: ("首页", "户主页", "本人页", "变更页"),
}


@dataclass(frozen=True)
class ArchiveUpload:
    kind: str
    villager_id: int | None = None
    caption: str | None = None


def local_time(at: datetime | None) -> datetime | None:
    """A stored UTC time in the village's own clock (SQLite hands it back without a zone)."""
    return aware(at).astimezone(VILLAGE_TZ) if at is not None else None


def documents_of(household: Household) -> list[Photo]:
    """The household's archive photos, current ones first; a member's ID card follows the member."""
    member_ids = [p.id for p in household.members]
    query = select(Photo).where(
        Photo.purpose.in_(PhotoPurpose.ARCHIVE),
        or_(Photo.household_id == household.id, Photo.villager_id.in_(member_ids)),
    )
    rows = db.session.scalars(query.order_by(Photo.id.desc())).all()
    # Current before retired, household register before ID cards, then newest first.
    return sorted(rows, key=lambda p: (p.retired_at is not None, p.purpose != PhotoPurpose.HOUSEHOLD_REGISTER))


def person_names(documents: list[Photo]) -> dict[int, str]:
    """Names of the people the ID-card photos belong to (some may since have left the household)."""
    ids = {p.villager_id for p in documents if p.villager_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Villager.id, Villager.name).where(Villager.id.in_(ids))).tuples().all())


def get_document(photo_id) -> Photo:
    """An archive photo by id; any other kind of photo is not served from here."""
    photo = db.session.get(Photo, row_id(photo_id, MAX_BIG_ID) or 0)
    if photo is None or photo.purpose not in PhotoPurpose.ARCHIVE:
        raise NotFound("没有找到这张档案照片。")
    return photo


def upload_documents(household: Household, data: ArchiveUpload, images: list, *, actor: str) -> list[Photo]:
    """File cleaned photos (``photos.clean_uploads``) in the household's archive; returns the new ones.

    A photo identical to one already filed for the household is skipped, so a double-clicked or
    resubmitted form files it once.
    """
    if data.kind not in KINDS:
        raise ValidationError("请选择照片类别：身份证或户口簿。", field="kind")
    person = _person(household, data)
    caption = clean_text(data.caption, "说明", "caption", max_len=32)
    if not images:
        raise ValidationError("请选择要上传的照片。", field="photos")
    on_file = {p.data for p in documents_of(household) if p.retired_at is None and p.purpose == data.kind}
    fresh = [image for image in _distinct(images) if image.data not in on_file]
    if not fresh:
        raise Conflict("这些照片已经在档案里了，没有重复保存。")
    stored = [
        photos.store(
            image,
            village_id=household.village_id,
            purpose=data.kind,
            uploaded_by=actor,
            household_id=household.id,
            villager_id=person.id if person else None,
            caption=caption,
        )
        for image in fresh
    ]
    db.session.flush()
    audit.record(
        actor,
        "archive.upload",
        target=f"household:{household.id}",
        village_id=household.village_id,
        kind=data.kind,
        villager_id=person.id if person else None,
        photo_ids=[p.id for p in stored],
        skipped_duplicates=len(images) - len(fresh),
    )
    db.session.commit()
    return stored


def _person(household: Household, data: ArchiveUpload) -> Villager | None:
    if data.villager_id is None:
        if data.kind == PhotoPurpose.ID_CARD:
            raise ValidationError("身份证照片要选是哪一位家庭成员的。", field="villager_id")
        return None
    person = db.session.get(Villager, data.villager_id)
    if person is None or person.household_id != household.id or not person.is_current:
        raise ValidationError("所选的人不是这一户的在册成员。", field="villager_id")
    return person


def _distinct(images: list) -> list:
    """The same photo chosen twice in one form is filed once (re-encoding is deterministic)."""
    seen, kept = set(), []
    for image in images:
        if image.data not in seen:
            seen.add(image.data)
            kept.append(image)
    return kept


def retire(photo: Photo, *, actor: str) -> None:
    """Mark a superseded document photo as retired; it stays in the archive and stays viewable."""
    if photo.retired_at is not None:
        raise Conflict("这张照片已经停用了。")
    photo.retired_at = clock.now()
    audit.record(
        actor,
        "archive.retire",
        target=f"photo:{photo.id}",
        village_id=photo.village_id,
        kind=photo.purpose,
        household_id=photo.household_id,
    )
    db.session.commit()


def view_document(photo: Photo, *, viewer: str, actor: str) -> bytes:
    """The photo watermarked with ``viewer`` and the time; the view is audited every time."""
    now = clock.now()
    image = photos.watermarked(photo, viewer, local_time(now))
    audit.record(
        actor,
        "archive.view",
        target=f"photo:{photo.id}",
        village_id=photo.village_id,
        kind=photo.purpose,
        household_id=photo.household_id,
        villager_id=photo.villager_id,
    )
    db.session.commit()
    return image
