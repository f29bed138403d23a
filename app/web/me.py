"""“我的”: a villager's own pages (W2, A2, H2 member view); identity comes from WeChat OAuth.

No GET changes anything; every POST carries a CSRF token; binding attempts are rate limited
here and counted (with lockout) in the identity service.
"""

from __future__ import annotations

import functools

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.routing import BuildError
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.errors import AppError
from app.extensions import limiter
from app.services import household_lookup, identity, notifications, village_settings
from app.services.clock import VILLAGE_TZ
from app.sessions import villager_openid
from app.web import web
from app.web.household import page_arg

BIND_LIMIT = "10 per minute"
# Asking a cadre is the way out when no proof works (a locked proof, a phone not on the register),
# so it is limited only against floods: a person at a form never comes near it.
ASK_LIMIT = "30 per hour"


class IdForm(FlaskForm):
    name = StringField("姓名", [InputRequired("请填写姓名。"), Length(max=32, message="姓名太长了。")])
    id_last6 = StringField("身份证后6位", [InputRequired("请填写身份证后6位。"), Length(max=12, message="只填后6位。")])
    submit = SubmitField("核对并绑定")


NUMBER_HINT = "门牌上“户号”后面的号码，如 0101"


class PhoneForm(FlaskForm):
    household_code = StringField("户号", [InputRequired("请填写门牌上的户号。"), Length(max=64, message="户号不对。")])
    phone = StringField("手机号", [InputRequired("请填写手机号。"), Length(max=24, message="手机号不对。")])
    submit = SubmitField("核对并绑定")


class RequestForm(FlaskForm):
    household_code = StringField("户号", [InputRequired("请填写门牌上的户号。"), Length(max=64, message="户号不对。")])
    name = StringField("姓名", [InputRequired("请填写姓名。"), Length(max=32, message="姓名太长了。")])
    note = TextAreaField("说明（选填）", [Optional(), Length(max=200, message="说明最多200个字。")])
    submit = SubmitField("提交给村干部")


class PostForm(FlaskForm):
    """A button that only needs the CSRF token (unbind, mark read)."""


def current_openid() -> str | None:
    openid = villager_openid()
    return openid if identity.is_openid(openid) else None


def _no_store(body, status: int = 200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def identity_required(view):
    """No openid in the session → silent WeChat OAuth, then back here."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_openid():
            return view(*args, **kwargs)
        target = request.full_path.rstrip("?") if request.method == "GET" else url_for("web.me")
        try:
            return redirect(url_for("wechat_oauth.start", next=target))
        except BuildError:  # WeChat is off: no OAuth on this server
            lines = ("这里还没有接入微信，暂时不能识别你的身份。", "积分可以扫门牌二维码查看。")
            return _no_store(render_template("web/me_message.html", title="请在微信里打开", lines=lines), 503)

    return wrapper


def _limit_key() -> str:
    return f"me-bind:{current_openid() or get_remote_address()}"


def _ask_key() -> str:
    return f"me-ask:{current_openid() or get_remote_address()}"


def _asking() -> bool:
    """The POST is the 请村干部确认 form (its own, looser limit), not a proof."""
    return "rq-submit" in request.form


def _scanned_code() -> str:
    return request.args.get("code", "")[:32]


def _too_many(_limit):
    lines = ("操作太频繁了，请过一两分钟再试。", "也可以改用“请村干部确认”，由村干部帮你绑定。")
    retry = url_for("web.me_bind", code=_scanned_code() or None) + "#by-cadre"
    return _no_store(render_template("web/me_message.html", title="请稍后再试", lines=lines, retry=retry), 429)


def _too_many_asks(_limit):
    household = household_lookup.scanned_household(_scanned_code())
    contact = village_settings.contact(household.village_id if household else None)
    urgent = "着急的话，请直接打电话给村里值班的干部。" if contact["duty_phone"] else "着急的话，请直接找村干部。"
    lines = ("提交太频繁了，请过一会儿再试。", urgent)
    html = render_template("web/me_message.html", title="请稍后再试", lines=lines, retry="/me", contact=contact)
    return _no_store(html, 429)


@web.errorhandler(CSRFError)
def csrf_failed(_error):
    lines = ("页面停留太久或已过期，请返回重新打开再提交。",)
    return _no_store(render_template("web/me_message.html", title="页面已过期", lines=lines, retry="/me"), 400)


@web.get("/me")
@identity_required
def me():
    openid = current_openid()
    villager = identity.bound_villager(openid)
    if villager is not None:
        html = render_template("web/me.html", view=identity.member_view(villager), form=PostForm())
        return _no_store(html)
    latest = identity.latest_request(openid)
    reason = identity.rejection_reason(latest) if latest is not None and latest.status == "rejected" else None
    return _no_store(render_template("web/me.html", view=None, latest=latest, reason=reason))


@web.route("/me/bind", methods=["GET", "POST"])
@limiter.limit(BIND_LIMIT, key_func=_limit_key, methods=["POST"], exempt_when=_asking, on_breach=_too_many)
@limiter.limit(ASK_LIMIT, key_func=_ask_key, methods=["POST"], exempt_when=lambda: not _asking(),
               on_breach=_too_many_asks)  # fmt: skip
@identity_required
def me_bind():
    openid = current_openid()
    if identity.bound_villager(openid) is not None:
        return redirect(url_for("web.me"), 303)
    # ?code= is the plaque the villager scanned (这是我家): the household, and so the village, is known.
    code = _scanned_code()
    home = household_lookup.scanned_household(code)
    number = home.number if home is not None else ""
    forms = {
        "id": IdForm(prefix="id"),
        "phone": PhoneForm(prefix="ph", data={"household_code": number}),
        "ask": RequestForm(prefix="rq", data={"household_code": number}),
    }
    errors: dict[str, str] = {}
    submitted = next((kind for kind, form in forms.items() if form.submit.data), None)
    if request.method == "POST" and submitted and forms[submitted].validate_on_submit():
        data, ip = forms[submitted].data, get_remote_address()
        try:
            if submitted == "id":
                identity.bind_with_id(openid, name=data["name"], id_last6=data["id_last6"], actor_ip=ip)
            elif submitted == "phone":
                identity.bind_with_phone(openid, household_code=data["household_code"], phone=data["phone"],
                                         scanned_code=code, actor_ip=ip)  # fmt: skip
            else:
                identity.request_approval(openid, household_code=data["household_code"], name=data["name"],
                                          note=data["note"], scanned_code=code)  # fmt: skip
        except AppError as error:
            errors[submitted] = error.message
        else:
            flash("已提交，村干部确认后就绑定好了。" if submitted == "ask" else "绑定成功！")
            return redirect(url_for("web.me"), 303)
    home_view = household_lookup.describe(home) if home is not None else None
    html = render_template("web/me_bind.html", forms=forms, errors=errors, submitted=submitted, code=code or None,
                           home=home_view, number_hint=NUMBER_HINT)  # fmt: skip
    return _no_store(html)


@web.get("/me/unbind")
@identity_required
def me_unbind_confirm():
    """Unbinding is one tap from “我的”: this page asks first (no JavaScript needed)."""
    villager = identity.bound_villager(current_openid())
    if villager is None:
        return redirect(url_for("web.me"))
    return _no_store(render_template("web/me_unbind.html", view=identity.member_view(villager), form=PostForm()))


@web.post("/me/unbind")
@identity_required
def me_unbind():
    # Only the confirmation page's button carries confirm=yes; anything else goes back to ask.
    if request.form.get("confirm") != "yes":
        return redirect(url_for("web.me_unbind_confirm"), 303)
    if PostForm().validate_on_submit():
        try:
            identity.unbind(current_openid(), actor=None)
        except AppError as error:
            flash(error.message)
        else:
            flash("已解除绑定。")
    return redirect(url_for("web.me"), 303)


@web.get("/me/inbox")
@identity_required
def me_inbox():
    villager = identity.bound_villager(current_openid())
    if villager is None:
        return redirect(url_for("web.me"))
    box = notifications.inbox(villager.id, page_arg())
    for item in box["items"]:
        item["at"] = _when(item["created_at"])
    return _no_store(render_template("web/me_inbox.html", box=box, form=PostForm()))


def _when(at) -> str:
    local = identity.aware(at).astimezone(VILLAGE_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@web.post("/me/inbox/read")
@identity_required
def me_inbox_read():
    villager = identity.bound_villager(current_openid())
    if villager is not None and PostForm().validate_on_submit():
        notifications.mark_all_read(villager.id)
    return redirect(url_for("web.me_inbox"), 303)
