"""The simulator page ``/sandbox/``: be a WeChat user, scan plaques, chat, see pushes.

Plain server-rendered HTML with plain forms (works without JavaScript). The chosen user is a
cookie, which the OAuth authorize page reads too, so links in reply cards open as that user.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Household, HouseholdCode
from wechat.sandbox import bp, login, menu, phone, users

log = logging.getLogger(__name__)
PLAQUES_SHOWN = 30


def _current() -> dict | None:
    return users.find_oa(request.cookies.get(login.USER_COOKIE))


def _plaques() -> list[dict]:
    """The first active household codes of the register, for the "扫一扫" picker."""
    query = (
        select(HouseholdCode.code, Household)
        .join(Household, Household.id == HouseholdCode.household_id)
        .where(HouseholdCode.status == "active", Household.status == "active")
        .order_by(Household.number)
        .limit(PLAQUES_SHOWN)
    )
    try:
        rows = db.session.execute(query).all()
    except SQLAlchemyError:
        log.warning("sandbox: could not list household codes", exc_info=True)
        db.session.rollback()
        return []
    return [{"code": code, "number": h.number, "head": h.head.name if h.head else "（无户主）"} for code, h in rows]


def _choose(response, user: dict):
    response.set_cookie(login.USER_COOKIE, user["openid"], path="/sandbox", httponly=True, samesite="Lax")
    return response


def _back(anchor: str = ""):
    return redirect(url_for("sandbox.index") + (f"#{anchor}" if anchor else ""))


@bp.get("/")
def index():
    """The simulator page."""
    user = _current()
    subscribe_ids = sorted(current_app.config.get("SANDBOX_SUBSCRIBE_TEMPLATES", {"mp-points-awarded"}))
    return render_template(
        "sandbox/index.html",
        user=user,
        everyone=users.everyone(),
        plaques=_plaques() if user else [],
        buttons=menu.stored() or [],
        last=phone.last(user) if user else None,
        inbox=list(reversed(users.inbox(user, last=50))) if user else [],
        quota=users.quota(user, subscribe_ids) if user else {},
        subscribe_ids=subscribe_ids,
        callback=phone.callback_base() + "/wechat/callback",
    )


@bp.post("/sim/users")
def create_user():
    """Create a sandbox user and make them the current one."""
    try:
        user = users.create(request.form.get("nickname", ""), follows=bool(request.form.get("follows")))
    except ValueError as exc:
        flash(str(exc))
        return _back()
    flash(f"已创建用户 {user['nickname']}，并切换为当前用户。")
    next_url = request.form.get("next", "")
    target = redirect(next_url) if next_url.startswith("/sandbox/connect/oauth2/authorize") else _back()
    return _choose(target, user)


@bp.post("/sim/pick")
def pick_user():
    """Make a sandbox user the current one."""
    user = users.find_oa(request.form.get("openid"))
    if user is None:
        flash("没有这个沙盒用户。")
        return _back()
    return _choose(_back(), user)


@bp.post("/sim/act")
def act():
    """Scan, send a text, tap a menu button, follow or unfollow, as the current user."""
    user = _current()
    if user is None:
        flash("请先选择一个沙盒用户。")
        return _back()
    form = request.form
    params = {k: form.get(k, "") for k in ("code", "scene", "content", "key")}
    if form.get("code_text"):
        params["code"] = form["code_text"]
    try:
        phone.act(user, form.get("action", ""), encrypt=bool(form.get("encrypt")), **params)
    except ValueError as exc:
        flash(str(exc))
    return _back("reply")


@bp.post("/sim/accept")
def accept():
    """The current user taps "允许" on a subscribe-message prompt."""
    user = _current()
    template_id = request.form.get("template_id", "")
    if user and template_id:
        left = users.accept(user, template_id)
        flash(f"已允许订阅消息 {template_id}，还可接收 {left} 条。")
    return _back("inbox")


@bp.post("/sim/jscode")
def jscode():
    """A mini-program login code for the current user (what ``wx.login()`` returns)."""
    user = _current()
    if user:
        flash(f"小程序登录 code：{login.mint_js_code(user)}（5 分钟内有效，只能用一次）")
    return _back()
