"""Per-village settings (A4): what the plaque and the household page print, the village's contacts,
and the knobs later features read (kept in ``VillageSettings.extra``, validated here).

Other features read a setting with ``setting(village_id, "feedback_overdue_days")``: the default
applies until the village changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm.attributes import flag_modified

from app.errors import ValidationError
from app.extensions import db
from app.models import Region, VillageSettings
from app.numbers import whole
from app.privacy import mask_phone
from app.services import audit, page_cache
from app.services.plaques import missing_glyphs
from app.services.validators import clean_phone, clean_text
from app.services.vocab import MAX_POINTS

# The plaque's red header prints the slogan on at most two lines at full size (60 px ≈ 5 mm
# characters at 300 dpi); 24 characters keep it there and fit the household page's banner.
SLOGAN_MAX = 24
MOTTO_MAX = 60  # the plaque's 家风家训 box holds about 60 characters
CONTACTS_MAX = 500
CONTACT_LINES_MAX = 12
STORE_HOURS_MAX = 60

# Settings kept in ``extra``, with the value a village has until it changes it.
EXTRA_DEFAULTS: dict[str, object] = {
    "feedback_overdue_days": 7,  # 群众之声: an item unanswered this many days is marked overdue
    "duty_phone": None,  # the cadre on duty, told of new feedback and overdue items
    "statement_day": 1,  # day of the month the points statement is prepared (1–28: every month has it)
    "store_hours": None,  # 供销社 opening hours, shown to villagers
    "points_confirm_above": 100,  # an award or deduction larger than this asks the cadre to confirm
}
LABELS = {
    "slogan": "标语",
    "default_motto": "默认家风家训",
    "contacts": "联系方式",
    "feedback_overdue_days": "意见超期天数",
    "duty_phone": "值班干部电话",
    "statement_day": "积分对账单日期",
    "store_hours": "供销社营业时间",
    "points_confirm_above": "积分确认线",
}


@dataclass(frozen=True)
class SettingsInput:
    slogan: str | None
    default_motto: str | None
    contacts: str | None
    feedback_overdue_days: str | int | None
    duty_phone: str | None
    statement_day: str | int | None
    store_hours: str | None
    points_confirm_above: str | int | None = None  # empty: the default


def _row(village: Region) -> VillageSettings:
    if village.settings is None:
        village.settings = VillageSettings(village_id=village.id, slogan=current_app.config["DEFAULT_SLOGAN"], extra={})
        db.session.add(village.settings)
    return village.settings


def current(village: Region) -> dict:
    """Every setting of the village, defaults filled in (what the form shows)."""
    row = village.settings
    extra = dict(EXTRA_DEFAULTS, **((row.extra or {}) if row else {}))
    return {
        "slogan": row.slogan if row else current_app.config["DEFAULT_SLOGAN"],
        "default_motto": row.default_motto if row else None,
        "contacts": row.contacts if row else None,
        **{key: extra.get(key) for key in EXTRA_DEFAULTS},
    }


def setting(village_id: int, key: str):
    """One extra setting of a village (its default when not set)."""
    row = db.session.get(VillageSettings, village_id)
    return ((row.extra or {}) if row else {}).get(key, EXTRA_DEFAULTS[key])


def _printable(value: str | None, label: str, field: str) -> None:
    """Refuse characters the plaque font cannot print (they would come out as empty boxes)."""
    if not value:
        return
    try:
        missing = missing_glyphs(value)
    except RuntimeError:  # no CJK font on this machine: the plaque command reports that itself
        return
    if missing:
        raise ValidationError(f"{label}里有印不出来的字：{missing}，请换一种写法。", field=field)


def _whole(value, label: str, field: str, low: int, high: int) -> int:
    number = whole(value, low=low, high=high)
    if number is None:
        raise ValidationError(f"{label}要填 {low} 到 {high} 之间的整数。", field=field)
    return number


def clean(data: SettingsInput) -> dict:
    """Validated settings; raises ``ValidationError`` with the first problem."""
    slogan = clean_text(data.slogan, "标语", "slogan", max_len=SLOGAN_MAX, required=True)
    _printable(slogan, "标语", "slogan")
    motto = clean_text(data.default_motto, "默认家风家训", "default_motto", max_len=MOTTO_MAX)
    _printable(motto, "默认家风家训", "default_motto")
    contacts = clean_text((data.contacts or "").replace("\r\n", "\n"), "联系方式", "contacts", max_len=CONTACTS_MAX)
    if contacts:
        lines = [line.strip() for line in contacts.split("\n") if line.strip()]
        if len(lines) > CONTACT_LINES_MAX:
            raise ValidationError(f"联系方式最多写 {CONTACT_LINES_MAX} 行。", field="contacts")
        contacts = "\n".join(lines)
    duty = (data.duty_phone or "").strip()
    if duty:
        try:
            duty = clean_phone(duty)
        except ValidationError as error:
            raise ValidationError("值班干部电话：" + error.message, field="duty_phone") from None
    return {
        "slogan": slogan,
        "default_motto": motto,
        "contacts": contacts,
        "feedback_overdue_days": _whole(data.feedback_overdue_days, "意见超期天数", "feedback_overdue_days", 1, 60),
        "duty_phone": duty or None,
        "statement_day": _whole(data.statement_day, "积分对账单日期", "statement_day", 1, 28),
        "store_hours": clean_text(data.store_hours, "供销社营业时间", "store_hours", max_len=STORE_HOURS_MAX),
        "points_confirm_above": _whole(
            data.points_confirm_above or EXTRA_DEFAULTS["points_confirm_above"],
            "积分确认线",
            "points_confirm_above",
            1,
            MAX_POINTS,
        ),  # fmt: skip
    }


def _for_audit(key: str, value):
    return mask_phone(value) if key == "duty_phone" and value else value


def update_settings(village: Region, data: SettingsInput, *, actor: str) -> list[str]:
    """Save the village's settings; returns the labels of what changed (empty: nothing did)."""
    wanted = clean(data)
    before = current(village)
    changed = [key for key, value in wanted.items() if before.get(key) != value]
    if not changed:
        return []
    row = _row(village)
    row.slogan, row.default_motto, row.contacts = wanted["slogan"], wanted["default_motto"], wanted["contacts"]
    row.extra = {**(row.extra or {}), **{key: wanted[key] for key in EXTRA_DEFAULTS}}
    flag_modified(row, "extra")
    audit.record(
        actor,
        "settings.update",
        target=f"village:{village.id}",
        village_id=village.id,
        before={k: _for_audit(k, before[k]) for k in changed},
        after={k: _for_audit(k, wanted[k]) for k in changed},
    )
    db.session.commit()
    # The slogan shows on every household page: a new one must show at once, not when the cache expires.
    page_cache.bump_village(village.id)
    return [LABELS[key] for key in changed]


def contact(village_id: int | None) -> dict:
    """The village's name and duty phone (值班电话) for villagers' pages: a tap-to-call way to a
    person whenever a page cannot help. Empty when the village is unknown."""
    village = db.session.get(Region, village_id) if village_id else None
    if village is None:
        return {"village": None, "duty_phone": None}
    return {"village": village.name, "duty_phone": setting(village.id, "duty_phone")}
