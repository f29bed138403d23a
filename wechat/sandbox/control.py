"""The sandbox's control API for tests and demos, under ``/sandbox/_control/`` (JSON).

It exists only where the sandbox does (no real WeChat settings, never in production).

- ``POST reset`` — forget everything: tokens, users, inboxes, codes, menus, faults, the clock.
- ``GET state`` — counters (token fetches per appid, tokens issued, calls per API, codes,
  messages sent), ``users`` (with subscribe quota), ``inboxes`` (OA openid → messages),
  ``menus``, ``qrcodes``/``wxacodes`` (the last 50 created), ``faults`` still armed, ``clock_offset``.
- ``POST fail`` ``{"api": "template_send", "errcode": 45009, "times": 2, "errmsg": optional}`` —
  the next N calls of that API answer that error (checked before the access token, so 40001 can
  be injected too). API names: see ``faults.APIS``.
- ``POST delay`` ``{"api", "seconds", "after_record": true, "times": 1}`` — the next N calls sleep:
  after the API stored its effect (message in the inbox, code created, menu stored) but before
  answering, or before doing anything when ``after_record`` is false.
- ``POST users`` ``{"nickname", "follows": true, "openid": optional, "mp_openid": optional}`` —
  create (or update) a sandbox user; answers the user with both openids and the unionid.
- ``POST accept`` ``{"openid", "template_id", "times": 1}`` — the user accepts a subscribe-message
  template (either openid of the user); answers the remaining quota.
- ``POST clock`` ``{"advance": seconds}`` — move the sandbox clock forward (token, code and
  dedupe expiry) without waiting.
- ``POST jscode`` ``{"openid"}`` → ``{"js_code"}``; ``POST oauth_code`` ``{"openid", "scope"}`` →
  ``{"code"}``: what ``wx.login()`` / the authorize page would hand the app.
- ``POST event`` ``{"openid", "action": "scan"|"text"|"click"|"subscribe"|"unsubscribe", "code"
  or "scene", "content", "key", "encrypt": false, "repeat": 1}`` — the user's WeChat pushes that to
  the app's callback (``repeat`` identical tries, as WeChat retries); answers the exchange.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from wechat.sandbox import bp, faults, login, menu, phone, state, users
from wechat.sandbox.api import apps


def _body() -> dict:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}


def _refuse(message: str, status: int = 400):
    return jsonify({"ok": False, "error": message}), status


def _user_or_404(openid: str | None):
    user = users.find(openid)
    return user, (None if user else _refuse("没有这个沙盒用户", 404))


@bp.post("/_control/reset")
def control_reset():
    """Forget all sandbox state."""
    return jsonify({"ok": True, "generation": state.reset()})


@bp.get("/_control/state")
def control_state():
    """Everything the platform remembers, as JSON."""
    cfg = current_app.config
    subscribe_ids = sorted(cfg.get("SANDBOX_SUBSCRIBE_TEMPLATES", {"mp-points-awarded"}))
    appids = [a["appid"] for a in apps().values()]
    everyone = users.everyone()
    counters = {
        "token": state.counters(appids, "fetches", "token"),
        "stable_token": state.counters(appids, "fetches", "stable_token"),
        "tokens_issued": {f: state.counters(appids, "issued", f) for f in ("token", "stable")},
        "calls": {k: v for k, v in state.counters(faults.APIS, "calls").items() if v},
        "qr_permanent": state.count("qr_permanent"),
        "qr_temporary": state.count("qr_temporary"),
        "wxacode": state.count("wxacodes", "n"),
        "template_sent": state.count("sent", "template"),
        "subscribe_sent": state.count("sent", "subscribe"),
    }
    return jsonify(
        {
            "counters": counters,
            "users": [{**u, "subscribe_quota": users.quota(u, subscribe_ids)} for u in everyone],
            "inboxes": {u["openid"]: users.inbox(u) for u in everyone},
            "menus": {cfg["WECHAT_APPID"]: menu.stored()},
            "qrcodes": state.items("qrcodes", last=50),
            "wxacodes": state.items("wxacodes", last=50),
            "faults": faults.armed(),
            "clock_offset": float(state.get("clock") or 0),
        }
    )


@bp.post("/_control/fail")
def control_fail():
    """Make the next N calls of an API answer an error."""
    body = _body()
    if body.get("api") not in faults.APIS or not isinstance(body.get("errcode"), int):
        return _refuse(f"需要 api（{', '.join(faults.APIS)}）和整数 errcode")
    faults.arm_failure(body["api"], body["errcode"], int(body.get("times", 1)), body.get("errmsg"))
    return jsonify({"ok": True})


@bp.post("/_control/delay")
def control_delay():
    """Make the next N calls of an API sleep before answering."""
    body = _body()
    if body.get("api") not in faults.APIS or not isinstance(body.get("seconds"), int | float):
        return _refuse(f"需要 api（{', '.join(faults.APIS)}）和秒数 seconds")
    faults.arm_delay(body["api"], body["seconds"], body.get("after_record", True), int(body.get("times", 1)))
    return jsonify({"ok": True})


@bp.post("/_control/users")
def control_users():
    """Create or update a sandbox user."""
    body = _body()
    try:
        user = users.create(
            body.get("nickname", ""),
            follows=body.get("follows", True),
            openid=body.get("openid"),
            mp_openid=body.get("mp_openid"),
        )
    except ValueError as exc:
        return _refuse(str(exc), 409)
    return jsonify(user), 201


@bp.post("/_control/accept")
def control_accept():
    """A user accepts a subscribe-message template (N more sends allowed)."""
    body = _body()
    user, missing = _user_or_404(body.get("openid"))
    if missing:
        return missing
    left = users.accept(user, str(body.get("template_id", "")), int(body.get("times", 1)))
    return jsonify({"ok": True, "template_id": body.get("template_id"), "left": left})


@bp.post("/_control/clock")
def control_clock():
    """Move the sandbox clock forward."""
    advance = _body().get("advance")
    if not isinstance(advance, int | float) or advance < 0:
        return _refuse("需要非负的秒数 advance")
    return jsonify({"ok": True, "offset": state.advance(advance)})


@bp.post("/_control/jscode")
def control_jscode():
    """A mini-program login code for a user."""
    user, missing = _user_or_404(_body().get("openid"))
    return missing or jsonify({"js_code": login.mint_js_code(user)})


@bp.post("/_control/oauth_code")
def control_oauth_code():
    """A web OAuth code for a user, as the authorize page would hand it out."""
    body = _body()
    user, missing = _user_or_404(body.get("openid"))
    scope = body.get("scope", "snsapi_base")
    if missing or scope not in login.SCOPES:
        return missing or _refuse("scope 必须是 snsapi_base 或 snsapi_userinfo")
    return jsonify({"code": login.mint_oauth_code(user, scope)})


@bp.post("/_control/event")
def control_event():
    """The user's WeChat pushes a scan, text, click or (un)follow to the app's callback."""
    body = _body()
    user, missing = _user_or_404(body.get("openid"))
    if missing:
        return missing
    params = {k: body[k] for k in ("code", "scene", "content", "key") if k in body}
    try:
        result = phone.act(
            user, body.get("action", ""), encrypt=bool(body.get("encrypt")), repeat=int(body.get("repeat", 1)), **params
        )
    except ValueError as exc:
        return _refuse(str(exc))
    return jsonify(result)
