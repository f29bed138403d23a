"""The village's points rules (积分细则, P1): list by category, add, edit, stop and restart.
Every rule is reached through its village, which must be inside the account's scope."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm, first_error
from app.admin.guard import permission_required
from app.admin.points_forms import RuleForm
from app.errors import AppError, NotFound
from app.extensions import db
from app.models import PointsRule
from app.numbers import row_id
from app.services import rules
from app.services.rules import CAP_PERIODS


@admin.route("/rules", endpoint="rules")
@permission_required("rules.edit")
def rules_list():
    village_id = row_id(request.args.get("village_id"))
    villages = [g.scope.village(village_id)] if village_id else g.scope.villages
    by_village = {v.id: [] for v in villages}
    for rule in rules.rules_of(list(by_village)):
        by_village[rule.village_id].append(rule)
    sections = [(v, rules.by_category(by_village[v.id])) for v in villages]
    return render_template(
        "admin/points/rules.html",
        sections=sections,
        toggle_form=ConfirmForm(),
        periods=CAP_PERIODS,
        village_id=village_id,
    )


@admin.route("/rules/new", methods=["GET", "POST"])
@permission_required("rules.edit")
def rule_new():
    chosen = row_id(request.values.get("village_id"))
    village = g.scope.village(chosen or next(iter(g.scope.village_ids), 0))
    form = RuleForm()
    if request.method == "GET":
        form.category.data = request.args.get("category", "")
    elif form.validate_on_submit():
        try:
            rule = rules.create_rule(village.id, _rule_input(form), actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash(f"已添加细则“{rule.item}”（{rule.points:+d}分）。", "success")
            return redirect(url_for("admin.rules", village_id=village.id))
    else:
        flash(first_error(form), "danger")
    return _form_page(form, village, None)


@admin.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@permission_required("rules.edit")
def rule_edit(rule_id: int):
    rule = _rule_in_scope(rule_id)
    form = RuleForm(obj=rule) if request.method == "GET" else RuleForm()
    if request.method == "GET":
        form.cap_points.data = "" if rule.cap_points is None else str(rule.cap_points)
    elif form.validate_on_submit():
        try:
            rules.update_rule(rule, _rule_input(form), actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash(f"已保存细则“{rule.item}”。以前按这条记的分不变。", "success")
            return redirect(url_for("admin.rules", village_id=rule.village_id))
    else:
        flash(first_error(form), "danger")
    return _form_page(form, g.scope.village(rule.village_id), rule)


@admin.route("/rules/<int:rule_id>/deactivate", methods=["POST"])
@permission_required("rules.edit")
def rule_deactivate(rule_id: int):
    return _toggle(rule_id, active=False)


@admin.route("/rules/<int:rule_id>/activate", methods=["POST"])
@permission_required("rules.edit")
def rule_activate(rule_id: int):
    return _toggle(rule_id, active=True)


def _toggle(rule_id: int, *, active: bool):
    rule = _rule_in_scope(rule_id)
    if ConfirmForm().validate_on_submit():
        try:
            rules.set_active(rule, active, actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            word = "重新启用" if active else "停用（已记的分保留，发放时不再出现）"
            flash(f"细则“{rule.item}”已{word}。", "success")
    else:
        flash("页面已过期，请刷新后再试。", "danger")
    return redirect(url_for("admin.rules", village_id=rule.village_id))


def _rule_in_scope(rule_id: int) -> PointsRule:
    rule = db.session.get(PointsRule, rule_id)
    if rule is None or not g.scope.contains_village(rule.village_id):
        raise NotFound("没有找到这条细则。")
    return rule


def _rule_input(form: RuleForm) -> rules.RuleInput:
    return rules.RuleInput(
        category=form.category.data,
        item=form.item.data,
        points=form.points.data,
        evidence_required=form.evidence_required.data,
        cap_points=form.cap_points.data,
        cap_period=form.cap_period.data,
    )


def _form_page(form: RuleForm, village, rule: PointsRule | None):
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "admin/points/rule_form.html",
            form=form,
            village=village,
            rule=rule,
            periods=CAP_PERIODS,
            categories=rules.category_choices([village.id]),
        ),
        status,
    )
