"""My account: change my password, turn the TOTP second factor on (or off where allowed)."""

from __future__ import annotations

import base64
import io

import qrcode
from flask import flash, g, redirect, render_template, url_for

from app.admin import admin
from app.admin.forms import CodeForm, ConfirmForm, PasswordForm, first_error
from app.admin.guard import sign_in
from app.errors import AppError
from app.services import accounts, admin_sessions
from app.services.permissions import ROLE_NAMES, TOTP_REQUIRED


@admin.route("/account", methods=["GET", "POST"])
def my_account():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(g.account, form.current.data, form.new.data)
        except AppError as error:
            flash(error.message, "danger")
        else:
            sign_in(g.account)  # this session stays; every other one ends
            flash("密码已修改，其他设备上的登录已退出。", "success")
            return redirect(url_for("admin.my_account"))
    elif form.errors:
        flash(first_error(form), "danger")
    return render_template(
        "admin/account.html",
        form=form,
        off_form=ConfirmForm(),
        role_name=ROLE_NAMES.get(g.account.role, g.account.role),
        totp_required=g.account.role in TOTP_REQUIRED,
    )


@admin.route("/account/totp", methods=["GET", "POST"])
def enrol_totp():
    """Show a new secret as a QR code; it becomes active once a code from it is entered. The
    secret waits in the server-side session row (encrypted), never in the readable cookie."""
    form = CodeForm()
    secret = g.admin_session.pending_totp
    if form.validate_on_submit() and secret:
        try:
            accounts.confirm_totp(g.account, secret, form.code.data)
        except AppError as error:
            flash(error.message, "danger")
        else:
            sign_in(g.account)  # a new session row: the old one, with the secret, is deleted
            flash("动态验证码已开启。以后登录时要输入手机上的 6 位数字。", "success")
            return redirect(url_for("admin.dashboard"))
    elif form.errors:
        flash(first_error(form), "danger")
    if not secret:
        secret, _ = accounts.start_totp(g.account)
        admin_sessions.hold_totp_secret(g.admin_session, secret)
    uri = accounts.totp_uri(g.account, secret)
    return render_template("admin/totp_enrol.html", form=form, secret=secret, qr=_qr_data_uri(uri))


@admin.route("/account/totp/off", methods=["POST"])
def disable_totp():
    if ConfirmForm().validate_on_submit():
        try:
            accounts.disable_totp(g.account, actor=g.account.actor)
        except AppError as error:
            flash(error.message, "danger")
        else:
            flash("动态验证码已关闭。", "success")
    return redirect(url_for("admin.my_account"))


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
