"""The household register (R1, R2): the list with search and filters, one household's page (the
hub that links to every other area), registering a new household and correcting one."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm, first_error
from app.admin.guard import permission_required
from app.admin.reads import audited
from app.admin.register_forms import (
    HouseholdEditForm,
    HouseholdNewForm,
    as_choices,
    group_choices,
    int_arg,
    list_query,
    masks,
    may_reveal,
    village_choices,
)
from app.errors import AppError, ValidationError
from app.extensions import db
from app.models import VillagerGroup
from app.numbers import MAX_ID, whole
from app.services import clock, register, register_edit, register_search, register_timeline, standings, vocab
from app.services.register_search import HOUSEHOLD_STATUSES, HouseholdFilters


@admin.route("/households", methods=["GET", "POST"])
@permission_required("register.view")
def households():
    values, link_args, go = list_query("admin.households")
    if go is not None:
        return go
    status = values.get("status", "active")
    filters = HouseholdFilters(
        q=values.get("q", "")[:64],
        village_id=int_arg("village", values),
        group_id=int_arg("group", values),
        category=values.get("category", ""),
        status="" if status == "all" else status,
        page=int_arg("page", values) or 1,
        by_number=may_reveal(),
    )
    page = register_search.search_households(g.scope, filters)
    html = render_template(
        "admin/register/households.html",
        page=page,
        filters=filters,
        link_args=link_args,
        status=status,
        statuses=[*HOUSEHOLD_STATUSES.items(), ("all", "全部")],
        status_names=HOUSEHOLD_STATUSES,
        categories=[(c, c) for c in vocab.HOUSEHOLD_CATEGORIES],
        groups=group_choices(filters.village_id)[1:],
        villages=village_choices() if not g.scope.is_single_village else [],
    )
    return audited(html, "read.households", households=[row.household for row in page.rows])


@admin.route("/households/<int:household_id>")
@permission_required("register.view")
def household(household_id: int):
    household = g.scope.household(household_id)
    people = sorted(household.people, key=lambda p: (p.id != household.head_id, p.id))
    current = [p for p in people if p.is_current]
    totals = standings.totals_for("household", [household.id])[household.id]
    member_points = standings.totals_for("villager", [p.id for p in current])
    html = render_template(
        "admin/register/household.html",
        household=household,
        current=current,
        former=[p for p in people if not p.is_current],
        totals=totals,
        member_points=member_points,
        history=register_timeline.household_timeline(household, g.scope.village_ids),
        event_kinds={k: v for k, v in vocab.EVENT_KINDS.items() if k != "register"},
        statuses=HOUSEHOLD_STATUSES,
        person_statuses=vocab.PERSON_STATUSES,
        today=clock.today(),
        button=ConfirmForm(),
        **masks(),
    )
    return audited(html, "read.household", households=[household], villagers=people, target=f"household:{household.id}")


@admin.route("/households/new", methods=["GET", "POST"])
@permission_required("register.edit")
def household_new():
    form = HouseholdNewForm()
    form.village_id.choices = as_choices(village_choices(blank=None))
    form.group_id.choices = as_choices(group_choices())
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(first_error(form), "danger")
            return _household_form(form, 400)
        try:
            village, group_number = _village_and_group(form)
            data = register.HouseholdInput(
                number=form.number.data or "",
                group_number=group_number,
                head=form.head.form.to_input(),
                members=tuple(m.form.to_input() for m in form.members if m.form.filled()),
                **{name: form[name].data or None for name in _HOUSEHOLD_FIELDS},
            )
            household = register_edit.register_new_household(village, data, actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
            return _household_form(form, 400)
        flash(f"已建档：{household.number}户，户主{household.head.name}，共{len(household.members)}人。", "success")
        return redirect(url_for("admin.household", household_id=household.id))
    if g.scope.is_single_village:
        form.village_id.data = str(g.scope.village_ids[0])
    return _household_form(form)


_HOUSEHOLD_FIELDS = ("address", "category", "living_environment", "housing", "motto")


def _village_and_group(form: HouseholdNewForm):
    """The village and group number the new household goes in, both inside the account's scope."""
    new_group = (form.new_group.data or "").strip()
    if new_group:
        if whole(new_group, low=1, high=MAX_ID) is None:
            raise ValidationError("新建小组请填写编号数字，例如 19。", field="new_group")
        single = g.scope.village_ids[0] if g.scope.is_single_village else None
        village_id = int_arg("village_id", request.form) or single
        if village_id is None:
            raise ValidationError("新建小组请先选择村。", field="village_id")
        return g.scope.village(village_id), int(new_group.strip())
    group_id = int_arg("group_id", request.form)
    if group_id is None:
        raise ValidationError("请选择村民小组。", field="group_id")
    group = db.session.get(VillagerGroup, group_id)
    if group is None or group_id not in {grp.id for grp in g.scope.groups()}:
        abort(404)
    return g.scope.village(group.village_id), group.number


def _household_form(form: HouseholdNewForm, status: int = 200):
    return render_template(
        "admin/register/household_new.html", form=form, several=not g.scope.is_single_village
    ), status


@admin.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@permission_required("register.edit")
def household_edit(household_id: int):
    household = g.scope.household(household_id)
    form = HouseholdEditForm(obj=household if request.method == "GET" else None)
    form.group_id.choices = as_choices(group_choices(household.village_id))
    if request.method == "GET":
        form.group_id.data = str(household.group_id)
    elif form.validate_on_submit():
        data = register_edit.HouseholdEdit(
            number=form.number.data or "",
            group_id=int_arg("group_id", request.form),
            **{name: form[name].data or None for name in _HOUSEHOLD_FIELDS},
        )
        try:
            changes = register_edit.edit_household(household, data, actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash("已保存修改。" if changes else "没有改动。", "success" if changes else "info")
            return redirect(url_for("admin.household", household_id=household.id))
    else:
        flash(first_error(form), "danger")
    status = 400 if request.method == "POST" else 200
    html = render_template("admin/register/household_edit.html", form=form, household=household)
    return audited(html, "read.household_edit", households=[household], target=f"household:{household.id}"), status
