"""门牌打印 (H1, H3): a whole-village PDF in the background with progress, one household's plaque,
code reissue (the old plaque then says "replaced"), all held to the cadre's villages."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, BackgroundJob, HouseholdCode
from app.services import plaque_jobs
from tests.admin_helpers import csrf_token, login, make_account, post
from tests.helpers import code_of, make_household, make_village


@pytest.fixture
def inline(app, monkeypatch):
    """The job runs in this process right after the commit that queued it, on either stack."""
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)
    monkeypatch.setitem(app.config, "TASKS_INLINE_SYNC", True)


@pytest.fixture
def village(db):
    """A small village (plaques take about 0.3 s each): three households."""
    v = make_village("小塘村")
    for number in ("0101", "0102", "0203"):
        make_household(v, number, group=int(number[:2]))
    return v


@pytest.fixture
def cadre(auth, village):
    auth.login(village, "village_admin")
    return auth.client


def _job(job_id: int) -> BackgroundJob:
    db.session.expire_all()
    return db.session.get(BackgroundJob, job_id)


def _start(client, village):
    return post(client, "/admin/plaques/jobs", {"village": village.id}, form_url="/admin/plaques")


def test_village_job_completes_with_progress_and_a_real_pdf(cadre, village, inline):
    page = cadre.get("/admin/plaques").get_data(as_text=True)
    assert "共 3 户有户码" in page

    response = _start(cadre, village)

    assert response.status_code == 302
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    job = _job(job_id)
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    page = cadre.get(f"/admin/plaques/jobs/{job_id}").get_data(as_text=True)
    assert "3 / 3" in page and "下载门牌 PDF" in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    pdf = cadre.get(f"/admin/plaques/jobs/{job_id}/plaques.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.data)) == 2  # three plaques, two to an A4 page
    assert (
        db.session.scalar(select(AuditLog).where(AuditLog.action == "plaques.print_village")).village_id == village.id
    )
    listing = cadre.get("/admin/plaques").get_data(as_text=True)
    assert f"/admin/plaques/jobs/{job_id}/plaques.pdf" in listing


def test_progress_is_committed_as_the_job_goes(village, monkeypatch, app):
    seen = []
    real = plaque_jobs._progress
    monkeypatch.setattr(plaque_jobs, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(plaque_jobs, "_progress", lambda job_id, **v: (seen.append(v.get("done")), real(job_id, **v)))
    job = BackgroundJob(kind=plaque_jobs.JOB_KIND, village_id=village.id, requested_by="测试", total=3)
    db.session.add(job)
    db.session.commit()

    plaque_jobs.run_village_job(job.id)

    assert seen == [0, 1, 2, 3, 3]  # started, each household, finished
    assert _job(job.id).status == "done"


def test_a_double_click_starts_one_job(cadre, village):
    running = BackgroundJob(kind=plaque_jobs.JOB_KIND, village_id=village.id, requested_by="测试", status="running",
                            done=1, total=3)  # fmt: skip
    db.session.add(running)
    db.session.commit()

    response = _start(cadre, village)

    assert response.headers["Location"].endswith(f"/admin/plaques/jobs/{running.id}")
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 1


def test_progress_page_refreshes_while_running(cadre, village):
    job = BackgroundJob(kind=plaque_jobs.JOB_KIND, village_id=village.id, requested_by="测试", status="running",
                        done=1, total=3)  # fmt: skip
    db.session.add(job)
    db.session.commit()

    page = cadre.get(f"/admin/plaques/jobs/{job.id}").get_data(as_text=True)

    assert '<meta http-equiv="refresh" content="3">' in page
    assert "1 / 3" in page and "生成中" in page
    assert cadre.get(f"/admin/plaques/jobs/{job.id}/plaques.pdf").status_code == 404  # not ready yet


def test_a_failed_job_says_so_in_chinese(cadre, village, inline, monkeypatch):
    def broken(_content):
        raise OSError("disk full")

    monkeypatch.setattr(plaque_jobs, "render_plaque", broken)
    response = _start(cadre, village)

    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _job(job_id).status == "failed"  # (also drops the test session's stale copy of the row)
    page = cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert "门牌没有生成成功" in page and plaque_jobs.FAILED in page
    assert 'http-equiv="refresh"' not in page
    assert "disk full" not in page


def test_a_village_without_households_cannot_start_a_job(client, db):
    empty = make_village("空村")
    login(client, make_account(empty, "village_admin"))

    response = post(client, "/admin/plaques/jobs", {"village": empty.id}, follow_redirects=True)

    assert "还没有可以打印门牌的住户" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_another_villages_job_and_plaque_are_not_found(client, village, inline):
    job = BackgroundJob(kind=plaque_jobs.JOB_KIND, village_id=village.id, requested_by="测试", status="done",
                        done=3, total=3, result_path="x")  # fmt: skip
    db.session.add(job)
    db.session.commit()
    plaque_jobs.job_file(job).parent.mkdir(parents=True, exist_ok=True)
    plaque_jobs.job_file(job).write_bytes(b"%PDF-1.4 secret")
    household = make_household(village, "0301")
    other = make_village("大苍村")
    make_household(other, "0101")
    login(client, make_account(other, "village_admin"))

    assert client.get(f"/admin/plaques/jobs/{job.id}").status_code == 404
    assert client.get(f"/admin/plaques/jobs/{job.id}/plaques.pdf").status_code == 404
    assert client.get(f"/admin/households/{household.id}/plaque.png").status_code == 404
    assert post(client, "/admin/plaques/jobs", {"village": village.id}).status_code == 404
    assert "小塘村" not in client.get("/admin/plaques").get_data(as_text=True)


def test_one_households_plaque_is_a_print_size_png(cadre, village):
    household = make_household(village, "0402")

    response = cadre.get(f"/admin/households/{household.id}/plaque.png?download=1")

    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "0402.png" in response.headers["Content-Disposition"]
    assert Image.open(io.BytesIO(response.data)).size == (1181, 1654)


def test_reissue_makes_the_old_plaque_say_replaced(cadre, client, village):
    household = make_household(village, "0501")
    old = code_of(household)
    assert "已经换成了新的" not in client.get(f"/h/{old}").get_data(as_text=True)
    found = cadre.get("/admin/plaques?q=0501").get_data(as_text=True)
    assert "换发户码" in found
    fingerprint = plaque_jobs.code_fingerprint(household.id)
    assert f'value="{fingerprint}"' in found  # the search page's form names the plaque shown

    response = post(cadre, f"/admin/households/{household.id}/reissue", {"current": fingerprint})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/households/{household.id}")
    new = code_of(household)
    assert new != old
    assert "已经换成了新的" in client.get(f"/h/{old}").get_data(as_text=True)
    assert "已经换成了新的" not in client.get(f"/h/{new}").get_data(as_text=True)
    flashed = cadre.get("/admin/plaques").get_data(as_text=True)
    assert "0501户已换发新户码" in flashed

    # The same form sent again (double click, back and resubmit): the new code stays.
    again = post(cadre, f"/admin/households/{household.id}/reissue", {"current": fingerprint}, follow_redirects=True)
    assert "刚刚已经换过了" in again.get_data(as_text=True)
    assert code_of(household) == new
    revoked = select(func.count()).select_from(HouseholdCode).where(HouseholdCode.status == "revoked")
    assert db.session.scalar(revoked) == 1


def test_reissue_needs_the_permission_and_the_scope(client, village):
    household = make_household(village, "0601")
    old = code_of(household)
    login(client, make_account(village, "work_team"))  # prints plaques, may not reissue codes
    token = csrf_token(client, "/admin/plaques")

    response = client.post(f"/admin/households/{household.id}/reissue", data={"csrf_token": token, "current": "x"})

    assert response.status_code == 403
    assert code_of(household) == old


def test_the_task_is_registered_by_name(app):
    assert plaque_jobs.TASK in app.extensions["celery"].tasks
