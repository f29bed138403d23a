"""Plaques from the back office (H1, H3): one household's PNG, a whole village's PDF as a background
job with progress a cadre can watch, and a code reissue that a double click cannot do twice."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from datetime import UTC, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import BackgroundJob, Household, HouseholdCode, Region, Villager
from app.services import audit, clock, codes, dispatch
from app.services.plaque_batch import plaque_contents
from app.services.plaques import render_plaque, write_pdf
from app.services.scope import Scope

log = logging.getLogger(__name__)

JOB_KIND = "plaques.village"
TASK = "plaques.render_village"
PROGRESS_EVERY = 5  # households between progress commits: often enough to watch, rare enough to be cheap
# A job that has not moved for this long lost its worker (killed, redeployed): a new one may start.
STALE_AFTER = timedelta(minutes=10)
ACTIVE = ("queued", "running")
INTERRUPTED = "任务中断了（后台程序重启），请重新生成。"
FAILED = "生成门牌时出错了，请稍后重试；仍不行请联系技术人员。"
# A village's PDF is about 180 MB: a finished one is kept this long, and only while it is the
# village's newest, so a small server's disk never fills up with old prints.
KEEP_FILES = timedelta(days=7)
EXPIRED = "门牌文件已清理（生成超过 7 天，或本村已有更新的一份），需要时请重新生成。"


def job_file(job: BackgroundJob) -> Path:
    """Where a job's PDF lives: under the instance folder, never under static/."""
    return Path(current_app.instance_path) / "plaques" / f"{job.id}.pdf"


def printable_count(village_id: int) -> int:
    """Active households with an active code: the ones that get a plaque."""
    query = (
        select(func.count())
        .select_from(Household)
        .join(HouseholdCode, (HouseholdCode.household_id == Household.id) & (HouseholdCode.status == "active"))
        .where(Household.village_id == village_id, Household.status == "active")
    )
    return db.session.scalar(query) or 0


def _aware(value):
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def start_village_job(village: Region, *, requested_by: str) -> tuple[BackgroundJob, bool]:
    """Queue a whole-village PDF; returns (job, started). A job already under way is returned
    instead of starting a second one, so a double click or a retry renders the village once."""
    # Serialise concurrent starts for one village (PostgreSQL row lock; SQLite writes are serial).
    db.session.execute(select(Region.id).where(Region.id == village.id).with_for_update())
    current = db.session.scalar(
        select(BackgroundJob)
        .where(BackgroundJob.kind == JOB_KIND, BackgroundJob.village_id == village.id, BackgroundJob.status.in_(ACTIVE))
        .order_by(BackgroundJob.id.desc())
        .limit(1)
    )
    if current is not None:
        if _aware(current.updated_at) > clock.now() - STALE_AFTER:
            db.session.rollback()
            return current, False
        current.status, current.message, current.finished_at = "failed", INTERRUPTED, clock.now()
    total = printable_count(village.id)
    if total == 0:
        db.session.rollback()
        raise ValidationError("这个村还没有可以打印门牌的住户。")
    job = BackgroundJob(kind=JOB_KIND, village_id=village.id, requested_by=requested_by, status="queued", total=total)
    db.session.add(job)
    db.session.flush()
    audit.record(requested_by, "plaques.print_village", target=f"job:{job.id}", village_id=village.id, households=total)
    db.session.commit()
    dispatch.send(TASK, job.id)  # after the commit: the worker must find the row
    return job, True


def _progress(job_id: int, **values) -> None:
    db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(**values, updated_at=clock.now()))
    db.session.commit()


def run_village_job(job_id: int) -> None:
    """The worker's side: render every plaque into one PDF, committing progress as it goes."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind != JOB_KIND or job.status not in ACTIVE:
        return  # unknown, or already finished by an earlier delivery of the same task
    village = db.session.get(Region, job.village_id)
    try:
        # Gathered up front (a few strings per household) so progress commits never cut a live query.
        contents = [content for _, content in plaque_contents(village)]
        if not contents:
            raise ValidationError("这个村没有可以打印门牌的住户。")
        _progress(job_id, status="running", total=len(contents), done=0, message=None)
        target = job_file(job)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")

        def images():
            for done, content in enumerate(contents, start=1):
                yield render_plaque(content)
                if done % PROGRESS_EVERY == 0:
                    _progress(job_id, done=done)

        write_pdf(images(), partial)
        partial.replace(target)  # a finished file appears whole, never half written
        _progress(job_id, status="done", done=len(contents), result_path=str(target), finished_at=clock.now())
    except Exception as error:
        db.session.rollback()
        log.exception("plaque job %s failed", job_id)
        reason = error.message if isinstance(error, ValidationError) else FAILED
        _progress(job_id, status="failed", message=reason[:255], finished_at=clock.now())


def expire_old_files(now=None) -> int:
    """Delete the PDFs of finished jobs older than KEEP_FILES or superseded by a newer finished job
    of the same village, and pieces left by a worker that died mid-render; returns files removed.
    The job rows stay (the audit trail points at them) with status ``expired``."""
    now = now or clock.now()
    removed = 0
    newest: set[int] = set()
    done = db.session.scalars(
        select(BackgroundJob)
        .where(BackgroundJob.kind == JOB_KIND, BackgroundJob.status == "done")
        .order_by(BackgroundJob.village_id, BackgroundJob.id.desc())
    ).all()
    for job in done:
        latest = job.village_id not in newest
        newest.add(job.village_id)
        if latest and _aware(job.finished_at or job.updated_at) > now - KEEP_FILES:
            continue
        path = job_file(job)
        removed += path.is_file()
        path.unlink(missing_ok=True)
        job.status, job.result_path, job.message = "expired", None, EXPIRED
    db.session.commit()
    folder = Path(current_app.instance_path) / "plaques"
    for piece in folder.glob("*.part") if folder.is_dir() else ():
        if piece.stat().st_mtime < (now - STALE_AFTER).timestamp():
            piece.unlink(missing_ok=True)
            removed += 1
    return removed


def finished_file(job: BackgroundJob) -> Path:
    """The PDF of a finished job; NotFound while it is not ready or after the file was cleaned up."""
    if job.status == "expired":
        raise NotFound(EXPIRED)
    if job.status != "done" or not job.result_path:
        raise NotFound("门牌文件还没有生成好。")
    path = job_file(job)
    if not path.is_file():
        raise NotFound("门牌文件已不在服务器上，请重新生成。")
    return path


def household_plaque_png(household: Household) -> bytes:
    """One household's plaque as a 300 dpi PNG (the same content the village PDF prints)."""
    found = list(plaque_contents(household.village, [household.number]))
    if not found or household.status != "active":
        raise NotFound("这一户没有有效的户码，不能打印门牌。")
    buffer = io.BytesIO()
    render_plaque(found[0][1]).save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def _fingerprint(code: str | None) -> str:
    return hashlib.sha256((code or "").encode()).hexdigest()[:12]


def code_fingerprint(household_id: int) -> str:
    """A short stand-in for the active code, carried by the reissue form: it names the plaque
    the cadre was looking at without putting the code itself in the page."""
    return _fingerprint(codes.active_code(household_id))


def find_households(scope: Scope, q: str, limit: int = 20) -> list[tuple[Household, str]]:
    """Active households in scope whose number starts with ``q`` or whose head is called ``q``,
    each with its code's fingerprint (one query for the households, one for their codes)."""
    query = (
        scope.households_query()
        .outerjoin(Villager, Household.head_id == Villager.id)
        .where(Household.status == "active", or_(Household.number.startswith(q, autoescape=True), Villager.name == q))
        .order_by(Household.village_id, Household.number)
        .limit(limit)
    )
    found = list(db.session.scalars(query))
    active = dict(
        db.session.execute(
            select(HouseholdCode.household_id, HouseholdCode.code).where(
                HouseholdCode.household_id.in_([h.id for h in found] or [-1]), HouseholdCode.status == "active"
            )
        ).all()
    )
    return [(h, _fingerprint(active.get(h.id))) for h in found]


def recent_jobs(scope: Scope, limit: int = 20) -> list[BackgroundJob]:
    """The latest plaque jobs of the villages in scope, newest first."""
    query = select(BackgroundJob).where(
        BackgroundJob.kind == JOB_KIND, BackgroundJob.village_id.in_(scope.village_ids or [-1])
    )
    return list(db.session.scalars(query.order_by(BackgroundJob.id.desc()).limit(limit)))


def job_in_scope(scope: Scope, job_id: int) -> BackgroundJob:
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind != JOB_KIND:
        raise NotFound("没有找到这个门牌任务。")
    scope.require_village(job.village_id)
    return job


def reissue(household: Household, *, expected: str, recorded_by: str) -> HouseholdCode:
    """Reissue the household's code, but only if it is still the one the form was shown with:
    a double click or a resubmitted form does not revoke the freshly issued code as well."""
    if not expected or expected != code_fingerprint(household.id):
        raise Conflict("这一户的户码刚刚已经换过了，没有再换。请下载新门牌打印。")
    if household.status != "active":
        raise ValidationError("这一户已注销，不能换发户码。")
    return codes.reissue_code(household.id, recorded_by=recorded_by)
