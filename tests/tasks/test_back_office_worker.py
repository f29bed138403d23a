"""Back-office jobs through a real Celery worker process (production stack): a village's plaque
PDF asked for in the back office and made by the worker, and register statistics recounted by
the worker after a register change."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db as database
from app.models import BackgroundJob, RegisterStat
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_household, make_village
from tests.push_helpers import wait_until
from tests.tasks.conftest import needs_worker

pytestmark = needs_worker


def _job(job_id: int):
    database.session.expire_all()
    job = database.session.get(BackgroundJob, job_id)
    return job if job.status in ("done", "failed") else None


def test_plaque_pdf_is_made_by_the_worker_and_downloaded_from_the_back_office(sandbox, start_worker, client):
    start_worker()
    village = make_village("小塘村")
    for number in ("0101", "0102", "0203"):
        make_household(village, number, group=int(number[:2]))
    login(client, make_account(village, "village_admin"))

    response = post(client, "/admin/plaques/jobs", {"village": village.id}, form_url="/admin/plaques")
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    job = wait_until(lambda: _job(job_id), timeout=120, what="the worker to render the plaques")

    assert (job.status, job.done, job.total) == ("done", 3, 3), job.message
    pdf = client.get(f"/admin/plaques/jobs/{job_id}/plaques.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_register_statistics_are_recounted_by_the_worker(sandbox, start_worker):
    start_worker()
    village = make_village("小塘村")

    def people_counted():
        database.session.expire_all()
        return database.session.scalar(
            select(RegisterStat.count).where(
                RegisterStat.village_id == village.id, RegisterStat.dimension == "total", RegisterStat.bucket == "people"
            )
        )

    make_household(village, "0101", members=3)  # the commit hands stats.refresh to the worker
    assert wait_until(lambda: people_counted() == 3, what="the worker to recount the village")
    make_household(village, "0102", members=2)
    assert wait_until(lambda: people_counted() == 5, what="the recount after a second household")
