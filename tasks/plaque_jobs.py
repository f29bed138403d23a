"""Back-office background work: a whole village's plaque PDF (H3), and clearing out the files the
back office leaves on disk (old PDFs, register uploads nobody confirmed)."""

from __future__ import annotations

from celery import shared_task

from app.services import plaque_jobs, register_import_files


@shared_task(name=plaque_jobs.TASK)
def render_village(job_id: int) -> None:
    """Render one queued whole-village plaque job; progress and outcome are on its row."""
    plaque_jobs.run_village_job(job_id)


@shared_task(name="files.sweep")
def sweep_files() -> int:
    """Hourly (beat): plaque PDFs past their keeping, register uploads older than a day."""
    register_import_files.sweep_all()
    return plaque_jobs.expire_old_files()
