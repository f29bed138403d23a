"""Back-office plaque jobs (H3): a whole village's PDF rendered in the background."""

from __future__ import annotations

from celery import shared_task

from app.services import plaque_jobs


@shared_task(name=plaque_jobs.TASK)
def render_village(job_id: int) -> None:
    """Render one queued whole-village plaque job; progress and outcome are on its row."""
    plaque_jobs.run_village_job(job_id)
