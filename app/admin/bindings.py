"""绑定审批 (A2, the cadre's side): villagers who asked a cadre to confirm who they are."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.errors import AppError
from app.numbers import row_id
from app.services import binding_review
from app.services.audit_search import local_minute


@admin.get("/bindings")
@permission_required("register.edit")
def bindings():
    village_id = row_id(request.args.get("village"))
    if request.args.get("village") and village_id is None:
        village_id = 0  # junk: not found, like a village that is not theirs
    return render_template(
        "admin/bindings/index.html",
        rows=binding_review.pending(g.scope, village_id),
        form=ConfirmForm(),
        many=len(g.scope.villages) > 1,
        when=local_minute,
    )


@admin.post("/bindings/<int:request_id>/approve")
@permission_required("register.edit")
def binding_approve(request_id: int):
    binding_review.in_scope(g.scope, request_id)
    if ConfirmForm().validate_on_submit():
        try:
            villager = binding_review.approve(
                g.scope, request_id, request.form.get("villager_id"), decided_by=g.account.actor
            )
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash(f"已同意：这个微信已绑定为 {villager.name}，对方会收到“绑定成功”的消息。", "success")
    else:
        flash("页面已过期，请刷新后再处理。", "danger")
    return redirect(url_for("admin.bindings"))


@admin.post("/bindings/<int:request_id>/reject")
@permission_required("register.edit")
def binding_reject(request_id: int):
    binding_review.in_scope(g.scope, request_id)
    if ConfirmForm().validate_on_submit():
        try:
            binding_review.reject(g.scope, request_id, request.form.get("reason"), decided_by=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash("已拒绝这条申请，原因会告诉申请人。", "success")
    else:
        flash("页面已过期，请刷新后再处理。", "danger")
    return redirect(url_for("admin.bindings"))
