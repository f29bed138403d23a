"""Who the user is: mini-program ``jscode2session`` and web OAuth (authorize + access_token).

https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
Codes are single-use and live five minutes. The authorize page acts as the sandbox user chosen
in the simulator (cookie ``sandbox_user``) and asks for one when none is chosen.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, jsonify, redirect, render_template, request, url_for

from wechat.sandbox import bp, state, users
from wechat.sandbox.api import PlatformError, app_of, platform_api

CODE_LIFETIME = 300
USER_COOKIE = "sandbox_user"
SCOPES = ("snsapi_base", "snsapi_userinfo")


def mint_js_code(user: dict) -> str:
    """The code ``wx.login()`` would give this user in the mini-program."""
    code = "sbxjs" + secrets.token_urlsafe(18)
    state.put({"openid": user["openid"], "expires_at": state.now() + CODE_LIFETIME}, "jscode", code)
    return code


def mint_oauth_code(user: dict, scope: str = "snsapi_base") -> str:
    """The code the authorize page hands to ``redirect_uri`` for this user."""
    code = "sbxoa" + secrets.token_urlsafe(18)
    state.put({"openid": user["openid"], "scope": scope, "expires_at": state.now() + CODE_LIFETIME}, "oauthcode", code)
    return code


def _redeem(kind: str, code: str | None) -> dict:
    """A code's record, used up by this call: 41008 missing, 40029 unknown/expired, 40163 reused."""
    if not code:
        raise PlatformError(41008)
    record = state.get(kind, code)
    if record is None:
        raise PlatformError(40029)
    if not state.add(1, kind, code, "used"):
        raise PlatformError(40163)
    if record["expires_at"] <= state.now():
        raise PlatformError(40029)
    return record


@bp.get("/sns/jscode2session")
@platform_api("jscode2session")
def jscode2session():
    """GET sns/jscode2session: the mini-program openid, session_key and unionid."""
    app_of(request.args.get("appid"), request.args.get("secret"), only="mp")
    if request.args.get("grant_type") != "authorization_code":
        raise PlatformError(40002)
    record = _redeem("jscode", request.args.get("js_code"))
    user = users.find_oa(record["openid"])
    if user is None:
        raise PlatformError(40029)
    return jsonify({"openid": user["mp_openid"], "session_key": secrets.token_urlsafe(18), "unionid": user["unionid"]})


def _allowed_hosts() -> set[str]:
    cfg = current_app.config
    urls = [cfg.get("PUBLIC_BASE_URL"), cfg.get("LIVE_BASE_URL"), request.host_url]
    return {urlsplit(u).hostname for u in urls if u} | set(cfg.get("SANDBOX_OAUTH_DOMAINS", ()))


def _oauth_problem(args) -> tuple[str, str] | None:
    """Why WeChat would refuse this authorize request (code, message), or None."""
    if not args.get("appid"):
        return "10012", "appid 不能为空"
    if args.get("appid") != current_app.config["WECHAT_APPID"]:
        return "10016", "appid 参数错误：不是本沙盒公众号"
    target = urlsplit(args.get("redirect_uri", ""))
    if not args.get("redirect_uri"):
        return "10011", "redirect_uri 不能为空"
    if target.scheme not in ("http", "https") or target.hostname not in _allowed_hosts():
        return "10003", "redirect_uri 域名与后台配置不一致"
    if args.get("response_type") != "code":
        return "10001", "response_type 参数错误"
    if not args.get("scope"):
        return "10010", "scope 不能为空"
    if args.get("scope") not in SCOPES:
        return "10005", "此公众号并没有这些 scope 的权限"
    if len(args.get("state", "").encode()) > 128:
        return "10014", "state 参数过长（最多 128 字节）"
    return None


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@bp.get("/connect/oauth2/authorize")
def authorize():
    """GET connect/oauth2/authorize: 302 to ``redirect_uri?code&state`` as the chosen user."""
    problem = _oauth_problem(request.args)
    if problem:
        return render_template("sandbox/oauth_error.html", code=problem[0], message=problem[1]), 400
    user = users.find_oa(request.cookies.get(USER_COOKIE))
    if user is None:
        return render_template("sandbox/oauth_pick.html", everyone=users.everyone(), next_url=request.full_path)
    code = mint_oauth_code(user, request.args["scope"])
    return redirect(_with_query(request.args["redirect_uri"], code=code, state=request.args.get("state", "")))


@bp.post("/oauth/pick")
def pick_for_oauth():
    """The authorize page's "以此身份继续": choose the user, then authorize again."""
    user = users.find_oa(request.form.get("openid"))
    next_url = request.form.get("next", "")
    if not next_url.startswith("/sandbox/connect/oauth2/authorize"):
        next_url = url_for("sandbox.index")
    response = redirect(next_url)
    if user:
        response.set_cookie(USER_COOKIE, user["openid"], path="/sandbox", httponly=True, samesite="Lax")
    return response


@bp.get("/sns/oauth2/access_token")
@platform_api("oauth_access_token")
def oauth_access_token():
    """GET sns/oauth2/access_token: trade a code (once, within five minutes) for the openid."""
    app_of(request.args.get("appid"), request.args.get("secret"), only="oa")
    if request.args.get("grant_type") != "authorization_code":
        raise PlatformError(40002)
    record = _redeem("oauthcode", request.args.get("code"))
    answer = {
        "access_token": "sbxweb_" + secrets.token_urlsafe(32),
        "expires_in": 7200,
        "refresh_token": "sbxref_" + secrets.token_urlsafe(32),
        "openid": record["openid"],
        "scope": record["scope"],
    }
    if record["scope"] == "snsapi_userinfo":
        answer["unionid"] = users.find_oa(record["openid"])["unionid"]
    return jsonify(answer)
