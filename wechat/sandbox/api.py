"""What every stand-in endpoint shares: the platform's error shape, credentials, the call gate."""

from __future__ import annotations

import functools

from flask import current_app, jsonify, request

from wechat.sandbox import faults, state

# errmsg texts as the platform writes them (without the trailing " rid: …").
ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40037: "invalid template_id",
    40053: "invalid action info, please check document",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45029: "qrcode count out of limit",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
}


class PlatformError(Exception):
    """A platform error answer: ``{"errcode", "errmsg"}`` with HTTP 200."""

    def __init__(self, errcode: int, errmsg: str | None = None):
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg or ERRORS.get(errcode, "error")


def error(errcode: int, errmsg: str | None = None):
    """The JSON error answer, HTTP 200 as the platform sends it."""
    err = PlatformError(errcode, errmsg)
    return jsonify({"errcode": err.errcode, "errmsg": err.errmsg})


def ok(**fields):
    """A success answer with ``errcode`` 0."""
    return jsonify({"errcode": 0, "errmsg": "ok", **fields})


def json_body() -> dict:
    """The POSTed JSON object (the platform ignores Content-Type), else 47001."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise PlatformError(47001)
    return body


def apps() -> dict[str, dict[str, str]]:
    """The two sandbox apps: official account (``oa``) and mini-program (``mp``)."""
    cfg = current_app.config
    return {
        "oa": {"appid": cfg["WECHAT_APPID"], "secret": cfg["WECHAT_SECRET"]},
        "mp": {"appid": cfg["MP_APPID"], "secret": cfg["MP_SECRET"]},
    }


def app_of(appid: str | None, secret: str | None, *, only: str | None = None) -> str:
    """Which app these credentials belong to; 41002/40013/41004/40125 as the platform answers."""
    if not appid:
        raise PlatformError(41002)
    found = next((name for name, a in apps().items() if a["appid"] == appid), None)
    if found is None or (only and found != only):
        raise PlatformError(40013)
    if not secret:
        raise PlatformError(41004)
    if secret != apps()[found]["secret"]:
        raise PlatformError(40125)
    return found


def check_token(token: str | None, app: str) -> dict:
    """The access token's record if it may call an API of ``app`` ("oa"/"mp"), else a PlatformError."""
    if not token:
        raise PlatformError(41001)
    record, now = state.get("tok", token), state.now()
    if record is None:
        raise PlatformError(40001)
    if record["expires_at"] <= now:
        raise PlatformError(42001)
    if record.get("valid_until", record["expires_at"]) <= now:  # replaced by a newer token
        raise PlatformError(40001)
    if record["appid"] != apps()[app]["appid"]:
        raise PlatformError(48001)
    return record


def platform_api(name: str, *, app: str | None = None):
    """Count the call, answer an injected fault, then check ``access_token`` for ``app``."""

    def wrap(view):
        @functools.wraps(view)
        def gate(*args, **kwargs):
            state.incr("calls", name)
            injected = faults.take_failure(name)
            if injected:
                return error(*injected)
            faults.pause(name, after_record=False)
            if app:
                check_token(request.args.get("access_token"), app)
            return view(*args, **kwargs)

        return gate

    return wrap


def recorded(name: str) -> None:
    """Mark that ``name`` has stored its effect: a delay armed ``after_record`` sleeps now."""
    faults.pause(name, after_record=True)
