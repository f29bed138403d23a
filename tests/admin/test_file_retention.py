"""Files the back office leaves on disk do not pile up: old plaque PDFs (about 180 MB a village)
and register uploads nobody confirmed (they hold ID numbers) are cleared by ``files.sweep``."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import BackgroundJob
from app.models.base import utcnow
from app.services import clock, plaque_jobs, register_import_files
from tests.admin_helpers import login, make_account
from tests.helpers import make_household, make_village


@pytest.fixture
def village(db):
    v = make_village("小塘村")
    make_household(v, "0101")
    return v


def finished_job(village, *, days_ago: float) -> BackgroundJob:
    """A finished village job whose PDF is on disk."""
    job = BackgroundJob(kind=plaque_jobs.JOB_KIND, village_id=village.id, requested_by="测试", status="done",
                        done=1, total=1, finished_at=utcnow() - timedelta(days=days_ago))  # fmt: skip
    db.session.add(job)
    db.session.commit()
    path = plaque_jobs.job_file(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 plaques")
    job.result_path = str(path)
    db.session.commit()
    return job


def aged(path: Path, seconds: float) -> Path:
    """Stamp a file ``seconds`` before the clock's now: the file system stamps with the real
    time, which differs from the clock when the suite runs on another day (TEST_CLOCK)."""
    moment = clock.timestamp() - seconds
    os.utime(path, (moment, moment))
    return path


def test_old_and_superseded_pdfs_go_and_the_newest_recent_one_stays(village):
    other = make_village("大苍村")
    old, superseded, newest = (finished_job(village, days_ago=d) for d in (10, 2, 0.1))
    stale_newest = finished_job(other, days_ago=8)  # the other village's only PDF, but past a week

    assert plaque_jobs.expire_old_files() == 3

    db.session.expire_all()
    for job in (old, superseded, stale_newest):
        assert not plaque_jobs.job_file(job).exists()
        assert (job.status, job.result_path, job.message) == ("expired", None, plaque_jobs.EXPIRED)
    assert plaque_jobs.job_file(newest).exists() and newest.status == "done"
    assert plaque_jobs.expire_old_files() == 0  # nothing twice


def test_an_expired_job_tells_the_cadre_to_print_again(client, village):
    job = finished_job(village, days_ago=10)
    plaque_jobs.expire_old_files()
    login(client, make_account(village, "village_admin"))

    page = client.get(f"/admin/plaques/jobs/{job.id}").get_data(as_text=True)
    assert "文件已清理" in page and "重新生成" in page and "下载门牌 PDF" not in page
    download = client.get(f"/admin/plaques/jobs/{job.id}/plaques.pdf")
    assert download.status_code == 404 and "门牌文件已清理" in download.get_data(as_text=True)


def test_pieces_left_by_a_dead_worker_go_but_one_being_written_stays(app, village):
    folder = Path(app.instance_path) / "plaques"
    folder.mkdir(parents=True, exist_ok=True)
    dead, writing = folder / "41.1234.part", folder / "42.5678.part"
    for piece in (dead, writing):
        piece.write_bytes(b"%PDF")
    aged(writing, seconds=0)
    aged(dead, seconds=3600)  # untouched for an hour: its worker is gone (STALE_AFTER is 10 min)

    assert plaque_jobs.expire_old_files() == 1
    assert not dead.exists() and writing.exists()
    writing.unlink()


def test_unconfirmed_register_uploads_of_every_account_go_after_a_day(app, village):
    uploads = [register_import_files.save(account_id, village.id, "名册.xlsx", b"PK fake") for account_id in (7, 8)]
    for path in (uploads[0].data_path, uploads[0].meta_path):
        aged(path, seconds=register_import_files.KEEP_SECONDS + 60)
    for path in (uploads[1].data_path, uploads[1].meta_path):
        aged(path, seconds=0)

    register_import_files.sweep_all()

    assert not uploads[0].data_path.exists() and not uploads[0].meta_path.exists()
    assert uploads[1].data_path.exists()  # a fresh one waits for its confirmation


def test_the_sweep_runs_hourly_from_beat(app):
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["sweep-old-files"]
    assert entry["task"] == "files.sweep" and entry["task"] in celery.tasks
    assert entry["schedule"] == 3600.0
