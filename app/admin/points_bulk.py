"""Bulk award for a group event (P2): choose the rule and the households, preview, confirm.
The confirmation stores every household's entry in one transaction, or none."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import first_error
from app.admin.guard import permission_required
from app.admin.points_forms import BulkForm
from app.errors import AppError
from app.numbers import row_id
from app.services import clock, rules
from app.services import points_bulk as bulk


@admin.route("/points/bulk", methods=["GET", "POST"])
@permission_required("points.award")
def points_bulk():
    form = BulkForm()
    chosen = row_id(form.village_id.data or request.args.get("village_id"))
    village = g.scope.village(chosen or next(iter(g.scope.village_ids), 0))
    step = request.form.get("step", "")
    plan = None
    status = 200
    if request.method == "GET":
        form.occurred_on.data = clock.today().isoformat()
        form.batch_key.data = uuid.uuid4().hex
    elif not form.validate_on_submit():
        flash(first_error(form), "danger")
        status = 400
    elif step in ("preview", "confirm"):
        try:
            if step == "preview":
                plan = bulk.plan(g.scope, _bulk_input(form, village.id))
            else:
                entries = bulk.award(g.scope, _bulk_input(form, village.id))
        except AppError as error:
            flash(error.message, "danger")
            status = 400
        else:
            if step == "confirm":
                return _done(entries)
    chosen_groups = {row_id(v) for v in request.form.getlist("group_ids")}
    village_rules = rules.rules_of([village.id], include_inactive=False)
    return (
        render_template(
            "admin/points/bulk.html",
            form=form,
            village=village,
            plan=plan,
            groups=g.scope.groups(village.id),
            chosen_groups=chosen_groups,
            rule_groups=rules.by_category([r for r in village_rules if not r.evidence_required]),
            categories=rules.category_choices([village.id]),
            today=clock.today().isoformat(),
        ),
        status,
    )


def _bulk_input(form: BulkForm, village_id: int) -> bulk.BulkInput:
    return bulk.BulkInput(
        village_id=village_id,
        recorded_by=g.account.actor,
        occurred_on=form.occurred_on.data,
        rule_id=row_id(form.rule_id.data),
        points=form.points.data,
        category=form.category.data,
        reason=form.reason.data,
        place=form.place.data,
        group_ids=tuple(i for i in map(row_id, request.form.getlist("group_ids")) if i),
        numbers=form.numbers.data or "",
        household_ids=tuple(i for i in map(row_id, request.form.getlist("household_ids")) if i),
        batch_key=form.batch_key.data,
    )


def _done(entries):
    first = entries[0]
    verb = "加" if first.points > 0 else "扣"
    flash(f"批量发放完成：{len(entries)}户各{verb}{abs(first.points)}分（{first.reason}）。", "success")
    return redirect(
        url_for(
            "admin.points_ledger",
            village_id=first.village_id,
            date_from=first.occurred_on.isoformat(),
            date_to=first.occurred_on.isoformat(),
            recorded_by=first.recorded_by,
        )
    )
