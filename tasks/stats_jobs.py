"""Register statistics tasks (R8): thin wrappers around ``app.services.statistics``."""

from __future__ import annotations

from celery import shared_task

from app.services import statistics


@shared_task(name="stats.refresh")
def refresh(village_id: int, queued_at: float | None = None) -> bool:
    """Recount one village after a register change (skipped if a later recount already ran)."""
    return statistics.refresh_village(village_id, queued_at=queued_at)


@shared_task(name="stats.refresh_all")
def refresh_all() -> int:
    """Recount every village: ages move with the calendar even when nothing is recorded."""
    return statistics.refresh_all()
