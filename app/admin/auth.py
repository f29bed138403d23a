"""Signing in and out: password, then the TOTP code when the account has one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from app.admin import admin, devices
from app.admin.forms import CodeForm, ConfirmForm, LoginForm, first_error
from app.admin.guard import end_session, safe_next, sign_in
from app.errors import AppError
from app.extensions import db, limiter
from app.models import Account
from app.services import accounts, clock

PENDING_SECONDS = 5 * 60  # time allowed between the password and the TOTP code
_login_limit = limiter.limit("20 per minute", methods=["POST"], error_message="尝试太频繁，请一分钟后再试。")


@admin.route("/login", methods=["GET", "POST"])
@_login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            account = accounts.authenticate(
                form.username.data, form.password.data, ip=request.remote_addr, trusted=devices.trusted_accounts()
            )
        except AppError as error:
            flash(error.message, "danger")
            return render_template("admin/login.html", form=form), 200
        nxt = safe_next(request.args.get("next"))
        if accounts.needs_second_factor(account):
            end_session()
            session["admin_pending"] = account.id
            session["admin_pending_at"] = int(clock.timestamp())
            return redirect(url_for("admin.login_totp", next=nxt))
        accounts.signed_in(account, ip=request.remote_addr)
        sign_in(account)
        return devices.remember(redirect(nxt), account)
    if form.errors:
        flash(first_error(form), "danger")
    return render_template("admin/login.html", form=form)


@admin.route("/login/totp", methods=["GET", "POST"])
@_login_limit
def login_totp():
    account_id = session.get("admin_pending")
    if not account_id or clock.timestamp() - session.get("admin_pending_at", 0) > PENDING_SECONDS:
        # Only the half-finished sign-in is dropped: a GET never ends a signed-in session.
        session.pop("admin_pending", None)
        session.pop("admin_pending_at", None)
        flash("请先输入用户名和密码。", "warning")
        return redirect(url_for("admin.login"))
    account = db.session.get(Account, account_id)
    form = CodeForm()
    if account is not None and form.validate_on_submit():
        try:
            accounts.verify_totp(account, form.code.data, ip=request.remote_addr, trusted=devices.trusted_accounts())
        except AppError as error:
            flash(error.message, "danger")
            return render_template("admin/login_totp.html", form=form)
        accounts.signed_in(account, ip=request.remote_addr)
        sign_in(account)
        return devices.remember(redirect(safe_next(request.args.get("next"))), account)
    if form.errors:
        flash(first_error(form), "danger")
    return render_template("admin/login_totp.html", form=form)


@admin.route("/logout", methods=["POST"])
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        end_session()
        flash("已退出登录。", "success")
    return redirect(url_for("admin.login"))
