"""Web OAuth for the H5 pages (W2): silent ``snsapi_base`` gives ``session["openid"]``.

https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html

``state`` is signed (itsdangerous), ten minutes old at most, and carries a nonce that must still
be in this browser's session, so a forged, stale or replayed state is refused. A code is used
once: we remember the codes we have exchanged and refuse a repeat without asking the platform
(which would answer 40163 anyway).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from urllib.parse import urlsplit

import requests
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from app.errors import AppError
from app.extensions import cache
from app.services import identity
from app.sessions import remember_openid

bp = Blueprint("wechat_oauth", __name__, url_prefix="/wechat/oauth")
log = logging.getLogger(__name__)

STATE_MAX_AGE = 600  # seconds
STATE_MAX_BYTES = 128  # the platform's limit
CODE_MEMORY = 600  # a code lives 5 minutes on the platform; remember it for 10
NONCES = "oauth_nonces"  # session key: the states this browser may still come back with
DEFAULT_NEXT = "/me"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,128}")
EXPIRED = "登录链接已经失效（可能用过了或超时了）。请回到微信里重新打开页面。"


class OAuth(WeChatOAuth):
    """wechatpy's web OAuth with hosts from settings (it hard-codes the real ones) and a timeout."""

    def __init__(self, config, *, redirect_uri: str = "", state: str = ""):
        super().__init__(config["WECHAT_APPID"], config["WECHAT_SECRET"], redirect_uri, "snsapi_base", state)
        self.API_BASE_URL = config["WECHAT_API_BASE"].rstrip("/") + "/"
        self.OAUTH_BASE_URL = config["WECHAT_OPEN_BASE"].rstrip("/") + "/connect/"
        self.timeout = config["WECHAT_HTTP_TIMEOUT"]

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)

    def openid_for(self, code: str) -> str:
        """``sns/oauth2/access_token``: the openid behind a code (snsapi_base needs nothing more)."""
        try:
            result = self._get(
                "sns/oauth2/access_token",
                params={"appid": self.app_id, "secret": self.secret, "code": code, "grant_type": "authorization_code"},
            )
        finally:
            self._http.close()
        return result.get("openid", "")


def safe_next(value: str | None) -> str:
    """Only a path on this site; anything else (other hosts, ``//x``, ``\\x``) means ``/me``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value) or parts.path.startswith(bp.url_prefix):
        return DEFAULT_NEXT
    return value


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="wechat-oauth-state")


def _callback_url() -> str:
    # The sandbox plays WeChat for whoever browses this host; a real account has one
    # registered domain (网页授权域名), which is PUBLIC_BASE_URL.
    base = request.host_url if current_app.config["WECHAT_SANDBOX"] else current_app.config["PUBLIC_BASE_URL"]
    return base.rstrip("/") + url_for(".callback")


def _available() -> bool:
    return current_app.config.get("WECHAT_ACCOUNT_TYPE") == "service_verified"


def _page(status: int, title: str, *lines: str, retry: str | None = None):
    response = current_app.make_response(
        (render_template("web/me_message.html", title=title, lines=lines, retry=retry), status)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _unavailable():
    return _page(200, "请用小程序打开", "本村的公众号暂时不能在网页里识别你的微信身份。",
                 "请在微信里搜索并打开本村的小程序，在“我的”里查看和绑定。")  # fmt: skip


@bp.get("/start")
def start():
    """Send the browser to WeChat's authorize page; it comes back to ``callback``."""
    if not _available():
        return _unavailable()
    target, nonce = safe_next(request.args.get("next")), secrets.token_urlsafe(8)
    state = _signer().dumps([target, nonce])
    if len(state) > STATE_MAX_BYTES:  # a very long next: keep the flow, lose the detour
        state = _signer().dumps([DEFAULT_NEXT, nonce])
    session[NONCES] = [*session.get(NONCES, []), nonce][-3:]  # a few tabs may be logging in at once
    response = redirect(OAuth(current_app.config, redirect_uri=_callback_url(), state=state).authorize_url)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/callback")
def callback():
    """Check the state, spend the code once, remember the openid in the session."""
    if not _available():
        return _unavailable()
    try:
        target, nonce = _signer().loads(request.args.get("state", ""), max_age=STATE_MAX_AGE)
    except (BadData, TypeError, ValueError):
        return _page(400, "登录链接无效", "这个登录链接无效或已过期。", retry=DEFAULT_NEXT)
    nonces = session.get(NONCES, [])
    if nonce not in nonces:  # replayed, or started in another browser
        return _page(400, "登录链接无效", "这个登录链接已经用过，或不是在这个微信里打开的。", retry=safe_next(target))
    code = request.args.get("code", "")
    if not _CODE.fullmatch(code):
        return _page(400, "没有拿到微信身份", "微信没有给出登录凭据，请重新打开页面。", retry=safe_next(target))
    session[NONCES] = [n for n in nonces if n != nonce]  # this state is spent
    if not _first_use(code):
        return _page(400, "登录链接已失效", EXPIRED, retry=safe_next(target))
    try:
        openid = OAuth(current_app.config).openid_for(code)
        identity.touch(openid)
    except WeChatOAuthException as exc:  # 40163 used, 40029 invalid, …
        log.warning("oauth code exchange refused: errcode=%s", exc.errcode)
        return _page(400, "登录链接已失效", EXPIRED, retry=safe_next(target))
    except requests.RequestException as exc:
        log.warning("oauth code exchange failed: %s", type(exc).__name__)
        return _page(502, "微信暂时连不上", "请稍等一会儿再试。", retry=safe_next(target))
    except AppError:
        log.warning("oauth code exchange returned no usable openid")
        return _page(502, "没有拿到微信身份", "请稍等一会儿再试。", retry=safe_next(target))
    remember_openid(openid)
    response = redirect(safe_next(target))
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_use(code: str) -> bool:
    """True the first time this code comes back. With the cache down, True: WeChat itself
    refuses a code spent before (40163), answered below as an expired link."""
    try:
        return bool(cache.add(f"oauth:code:{hashlib.sha256(code.encode()).hexdigest()}", 1, timeout=CODE_MEMORY))
    except Exception:
        log.warning("oauth: code memory unavailable; WeChat's own one-use rule applies")
        return True
