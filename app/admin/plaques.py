"""门牌打印 (H1, H3): one household's plaque, a whole village's PDF in the background, code reissue."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, send_file, url_for
from werkzeug.routing import BuildError

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.errors import AppError, Conflict
from app.models import BackgroundJob, Household
from app.numbers import row_id
from app.services import plaque_jobs
from app.services.audit_search import local_minute

SEARCH_LIMIT = 20
JOBS_SHOWN = 20
STATUS_NAMES = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败", "expired": "文件已清理"}


def _village_arg():
    """The village chosen on the page (``?village=``), or the only one; None when several to pick from."""
    if request.values.get("village"):
        return g.scope.village(row_id(request.values.get("village")) or 0)
    return g.scope.villages[0] if len(g.scope.villages) == 1 else None


def _job(job_id: int) -> BackgroundJob:
    return plaque_jobs.job_in_scope(g.scope, job_id)


@admin.get("/plaques")
@permission_required("plaques.print")
def plaques():
    village = _village_arg()
    q = (request.args.get("q") or "").strip()[:32]
    jobs = plaque_jobs.recent_jobs(g.scope, JOBS_SHOWN)
    names = {v.id: v.name for v in g.scope.villages}
    return render_template(
        "admin/plaques/index.html",
        village=village,
        printable=plaque_jobs.printable_count(village.id) if village else None,
        q=q,
        found=plaque_jobs.find_households(g.scope, q, SEARCH_LIMIT) if q else [],
        jobs=jobs,
        names=names,
        statuses=STATUS_NAMES,
        form=ConfirmForm(),
        when=local_minute,
    )


@admin.post("/plaques/jobs")
@permission_required("plaques.print")
def plaque_job_new():
    village = g.scope.village(row_id(request.form.get("village")) or 0)
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请刷新后再点“生成”。", "danger")
        return redirect(url_for("admin.plaques", village=village.id))
    try:
        job, started = plaque_jobs.start_village_job(village, requested_by=g.account.actor)
    except AppError as error:
        flash(error.message, "danger")
        return redirect(url_for("admin.plaques", village=village.id))
    if started:
        flash(f"已开始生成{village.name}全村门牌，共 {job.total} 户，可以在本页看进度。", "success")
    else:
        flash(f"{village.name}的门牌正在生成中，不用重复点击。", "info")
    return redirect(url_for("admin.plaque_job", job_id=job.id))


@admin.get("/plaques/jobs/<int:job_id>")
@permission_required("plaques.print")
def plaque_job(job_id: int):
    job = _job(job_id)
    village = g.scope.village(job.village_id)
    percent = int(100 * job.done / job.total) if job.total else 0
    return render_template(
        "admin/plaques/job.html", job=job, village=village, percent=percent, statuses=STATUS_NAMES,
        running=job.status in plaque_jobs.ACTIVE, when=local_minute,
    )  # fmt: skip


@admin.get("/plaques/jobs/<int:job_id>/plaques.pdf")
@permission_required("plaques.print")
def plaque_job_download(job_id: int):
    job = _job(job_id)
    village = g.scope.village(job.village_id)
    path = plaque_jobs.finished_file(job)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"{village.name}门牌.pdf")


@admin.get("/households/<int:household_id>/plaque.png")
@permission_required("plaques.print")
def household_plaque(household_id: int):
    household = g.scope.household(household_id)
    png = plaque_jobs.household_plaque_png(household)
    response = Response(png, mimetype="image/png")
    if request.args.get("download"):
        response.headers.set("Content-Disposition", "attachment", filename=f"{household.number}.png")
    return response


@admin.post("/households/<int:household_id>/reissue")
@permission_required("codes.reissue")
def household_reissue(household_id: int):
    household = g.scope.household(household_id)
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请刷新后再换发户码。", "danger")
        return redirect(_back_to(household))
    try:
        plaque_jobs.reissue(household, expected=request.form.get("current", ""), recorded_by=g.account.actor)
    except Conflict as error:
        flash(error.message, "warning")
    except AppError as error:
        flash(error.message, "danger")
    else:
        flash(
            f"{household.number}户已换发新户码。旧门牌已作废，扫旧门牌会提示“已更换”；请下载新门牌打印后换上。",
            "success",
        )
    return redirect(_back_to(household))


def _back_to(household: Household) -> str:
    """The household's page when the register area has one, else this household on the plaque page."""
    try:
        return url_for("admin.household", household_id=household.id)
    except BuildError:
        return url_for("admin.plaques", village=household.village_id, q=household.number)
