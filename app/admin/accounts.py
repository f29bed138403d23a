"""后台账号 (A1 screens): list the accounts below me, create one, reset a password or a second
factor, disable and enable. The rules of who may touch whom are in ``account_admin``."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.errors import AppError
from app.services import account_admin
from app.services.audit_search import local_minute
from app.services.permissions import ROLE_LEVEL, ROLE_NAMES, TOTP_REQUIRED, grantable_roles

NEW_FIELDS = ("username", "display_name", "role", "region_id", "group_id")


@admin.get("/accounts")
@permission_required("accounts.manage")
def accounts():
    role = request.args.get("role") or None
    return render_template(
        "admin/accounts/index.html",
        rows=account_admin.visible_accounts(g.account, g.scope, role=role if role in ROLE_NAMES else None),
        role=role,
        roles=ROLE_NAMES,
        can_create=bool(grantable_roles(g.account.role)),
        when=local_minute,
    )


@admin.route("/accounts/new", methods=["GET", "POST"])
@permission_required("accounts.manage")
def account_new():
    typed = {name: request.form.get(name, "") for name in NEW_FIELDS}
    status = 200
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("页面已过期，请刷新后再提交。", "danger")
            status = 400
        else:
            try:
                account = account_admin.create(g.account, g.scope, **typed, password=request.form.get("password", ""))
            except AppError as error:
                flash(error.message, "danger")
                status = 400
            else:
                role = ROLE_NAMES[account.role]
                flash(f"已创建账号 {account.username}（{role}）。请把用户名和初始密码当面交给本人。", "success")
                return redirect(url_for("admin.account_edit", account_id=account.id))
    return render_template(
        "admin/accounts/new.html",
        typed=typed,
        form=ConfirmForm(),
        roles=[(r, ROLE_NAMES[r], ROLE_LEVEL[r]) for r in grantable_roles(g.account.role)],
        regions=account_admin.region_choices(g.account, g.scope),
        groups=account_admin.group_choices(g.scope),
    ), status


@admin.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@permission_required("accounts.manage")
def account_edit(account_id: int):
    account = account_admin.manageable(g.account, g.scope, account_id)
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if not ConfirmForm().validate_on_submit():
            flash("页面已过期，请刷新后再提交。", "danger")
            status = 400
        else:
            try:
                done = _apply(account, action)
            except AppError as error:
                flash(error.message, "danger")
                status = 400
            else:
                flash(done, "success")
                return redirect(url_for("admin.account_edit", account_id=account.id))
    return render_template(
        "admin/accounts/edit.html",
        account=account,
        form=ConfirmForm(),
        role_name=ROLE_NAMES.get(account.role, account.role),
        totp_required=account.role in TOTP_REQUIRED,
        when=local_minute,
    ), status


def _apply(account, action: str | None) -> str:
    """Carry out one of the edit page's buttons; returns what to tell the admin."""
    if action == "password":
        account_admin.reset_password(g.account, account, request.form.get("new", ""), request.form.get("confirm", ""))
        return "密码已重置，账号已解锁；这个账号在各处的登录都已退出。请把新密码当面告诉本人。"
    if action == "disable":
        account_admin.set_active(g.account, account, False)
        return "账号已停用，正在使用的登录已退出。"
    if action == "enable":
        account_admin.set_active(g.account, account, True)
        return "账号已恢复启用。"
    if action == "totp":
        account_admin.reset_totp(g.account, account)
        if account.role in TOTP_REQUIRED:
            return "动态验证码已重置。这个账号下次登录时要重新绑定手机上的验证器。"
        return "动态验证码已关闭，这个账号下次登录只需要密码。"
    raise AppError("请选择要做的操作。")
