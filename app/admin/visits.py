"""Visits and inspections (R6): list with filters, record with photos, detail, a household's
timeline and an Excel export. Records are permanent: there is no edit and no delete."""

from __future__ import annotations

import io

from flask import Response, flash, g, redirect, render_template, request, send_file, url_for

from app.admin import admin
from app.admin.guard import permission_required
from app.admin.reads import audited
from app.errors import AppError
from app.numbers import page_number, row_id
from app.services import archive, clock, photos
from app.services import visits as service


@admin.route("/visits")
@permission_required("visits.view")
def visits():
    wanted, problems = service.clean_filter(request.args, g.scope)
    for problem in problems:
        flash(problem, "warning")
    page_asked = page_number(request.args.get("page"))
    rows, page, pages, total = service.list_visits(g.scope, g.account.actor, wanted, page_asked)
    html = render_template(
        "admin/visits/list.html",
        visits=rows,
        counts=service.photo_counts(rows),
        page=page,
        pages=pages,
        total=total,
        wanted=wanted,
        kinds=service.KINDS,
    )
    # Visit notes tell of people's health and hardship: which households' notes were read is recorded.
    return audited(html, "read.visit_list", households={v.household for v in rows if v.household})


@admin.route("/visits/new", methods=["GET", "POST"])
@permission_required("visits.edit")
def visit_new():
    household = g.scope.household(request.args["household_id"]) if request.args.get("household_id") else None
    status = 200
    if request.method == "POST":
        form = request.form
        data = service.VisitInput(
            kind=form.get("kind", ""),
            visited_on=form.get("visited_on", ""),
            visitors=form.get("visitors", ""),
            content=form.get("content", ""),
            people_met=form.get("people_met"),
            household_number=form.get("household_number"),
            village_id=row_id(form.get("village_id")),
        )
        try:
            images = photos.clean_uploads(request.files.getlist("photos"))
            visit, created = service.record_visit(data, images, scope=g.scope, actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
            status = 400
        else:
            if created:
                flash(f"已登记这次{visit.kind}。", "success")
            else:
                flash("这条记录刚才已经登记过了，没有重复保存。", "info")
            return redirect(url_for("admin.visit", visit_id=visit.id))
    values = request.form if status == 400 else _defaults(household)
    page = render_template(
        "admin/visits/new.html", values=values, household=household, kinds=service.KINDS, retry=status == 400
    )
    return page, status


def _defaults(household) -> dict:
    """A visit to the household it was opened from, today, by the signed-in cadre."""
    return {
        "kind": "走访",
        "visited_on": clock.today().isoformat(),
        "visitors": g.account.display_name,
        "household_number": household.number if household else "",
        "village_id": str(household.village_id) if household else "",
    }


@admin.route("/visits/<int:visit_id>")
@permission_required("visits.view")
def visit(visit_id: int):
    record = service.get_visit(g.scope, g.account.actor, visit_id)
    html = render_template(
        "admin/visits/detail.html", visit=record, photos=service.photos_of(record), local_time=archive.local_time
    )
    shown = [record.household] if record.household else []  # an inspection of no household names nobody
    return audited(html, "read.visit", households=shown, target=f"visit:{record.id}")


@admin.route("/visits/photos/<int:photo_id>")
@permission_required("visits.view")
def visit_photo(photo_id: int):
    photo = service.get_visit_photo(g.scope, g.account.actor, photo_id)
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "no-store, private"
    return response


@admin.route("/households/<int:household_id>/visits")
@permission_required("visits.view")
def household_visits(household_id: int):
    household = g.scope.household(household_id)
    timeline = service.household_timeline(household)
    html = render_template(
        "admin/visits/household.html", household=household, visits=timeline, counts=service.photo_counts(timeline)
    )
    return audited(html, "read.household_visits", households=[household], target=f"household:{household.id}")


@admin.route("/visits/export.xlsx")
@permission_required("visits.view")
def visits_export():
    wanted, _problems = service.clean_filter(request.args, g.scope)
    data = service.export_visits(g.scope, g.account.actor, wanted)
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"走访巡查记录-{clock.today():%Y%m%d}.xlsx",
    )
