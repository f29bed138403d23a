"""Awarding points (P2) in three steps from the dashboard: search a household (or a member, who
is then chosen in the form), pick it, fill the form and submit. Everything goes through the ledger
service; the form's hidden idempotency key makes a double click or a resubmission award once, and
the service asks to confirm the same award again on the same day (Back and a fresh form, or a
second cadre) and an unusually large one."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import first_error
from app.admin.guard import permission_required
from app.admin.points_forms import AwardForm
from app.admin.register_forms import may_reveal
from app.errors import AppError, Conflict
from app.models import Household
from app.numbers import page_number, row_id
from app.services import clock, photos, register_search, rules
from app.services import points as ledger
from app.services.permissions import allowed


@admin.route("/points/award")
@permission_required("points.award")
def points_award_pick():
    """Find the household to award: one match goes straight to its form, several make a list."""
    q = request.args.get("q", "").strip()
    result = None
    if q:
        page = page_number(request.args.get("page"))
        filters = register_search.HouseholdFilters(q=q, page=page, by_number=may_reveal())
        result = register_search.search_households(g.scope, filters)
        named = register_search.members_named([row.household.id for row in result.rows], q)
        only = _only_match(result, q)
        if only is not None:
            return redirect(url_for("admin.points_award", household_id=only.id, villager_id=named.get(only.id)))
    else:
        named = {}
    return render_template("admin/points/pick.html", q=q, result=result, named=named)


def _only_match(result, q: str) -> Household | None:
    """The single household meant: the only result, or the only one whose number is exactly ``q``."""
    if result.page != 1:
        return None
    if result.total == 1:
        return result.rows[0].household
    exact = [row.household for row in result.rows if row.household.number == q]
    return exact[0] if len(exact) == 1 else None


@admin.route("/points/award/<int:household_id>", methods=["GET", "POST"])
@permission_required("points.award")
def points_award(household_id: int):
    household = g.scope.household(household_id)
    form = AwardForm()
    status, asking = 200, None
    if request.method == "GET":
        form.occurred_on.data = clock.today().isoformat()
        form.idempotency_key.data = uuid.uuid4().hex
        form.rule_id.data = request.args.get("rule_id", "")
        form.villager_id.data = request.args.get("villager_id", "")  # the member the search found
    elif form.validate_on_submit():
        try:
            evidence = photos.clean_uploads(request.files.getlist("photos"))
            result = ledger.award_points(_award_input(form, household), evidence=evidence)
        except ledger.NeedsConfirmation as question:
            # Nothing stored: the same page comes back asking to tick the confirmation box.
            asking, status = question.message, 409
        except Conflict:
            # The same form page sent again with different content (back, edit, resubmit).
            form.idempotency_key.data = uuid.uuid4().hex
            flash(
                "这张表刚才已经提交过一次并已记入，这次的改动没有记入。如确实要再记一笔，请核对后再提交一次。",
                "warning",
            )
            status = 400
        except AppError as error:
            flash(error.message, "danger")
            status = 400
        else:
            entry = result.entry
            if result.created:
                flash(_done_message(household, entry), "success")
            else:
                flash(f"这一笔之前已经记入（{household.number}户 {entry.points:+d}分），没有重复记分。", "info")
            return redirect(_after_award(household))
    else:
        flash(first_error(form), "danger")
        status = 400
    village_rules = rules.rules_of([household.village_id], include_inactive=False)
    return (
        render_template(
            "admin/points/award.html",
            form=form,
            household=household,
            rule_groups=rules.by_category(village_rules),
            categories=rules.category_choices([household.village_id]),
            today=clock.today().isoformat(),
            asking=asking,
        ),
        status,
    )


def _award_input(form: AwardForm, household: Household) -> ledger.AwardInput:
    return ledger.AwardInput(
        household_id=household.id,
        villager_id=row_id(form.villager_id.data),
        rule_id=row_id(form.rule_id.data),
        points=form.points.data,
        category=form.category.data,
        reason=form.reason.data or "",
        place=form.place.data,
        occurred_on=form.occurred_on.data,
        recorded_by=g.account.actor,
        idempotency_key=form.idempotency_key.data,
        confirmed=form.confirmed.data,
    )


def _done_message(household: Household, entry) -> str:
    head = household.head.name if household.head else ""
    who = f"{entry.villager.name}（{household.number}户）" if entry.villager_id else f"{household.number}户{head}"
    verb = "加" if entry.points > 0 else "扣"
    return f"已给{who}{verb}{abs(entry.points)}分：{entry.reason}。"


def _after_award(household: Household) -> str:
    """The household's ledger, where the new entry shows at the top (or the search, if unreadable)."""
    if allowed(g.account.role, "points.view"):
        return url_for("admin.points_ledger", household_id=household.id)
    return url_for("admin.points_award_pick")
