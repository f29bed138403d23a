"""Parametric QR codes (``cgi-bin/qrcode/create``, ``showqrcode``) and mini-program codes.

https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html
A QR code encodes ``PUBLIC_BASE_URL/sandbox/q/<ticket>``, a page standing in for what WeChat
does when someone scans it; a mini-program code encodes ``/sandbox/mp?page=…&scene=…``.
"""

from __future__ import annotations

import io
import re
import secrets
from urllib.parse import urlencode

import qrcode
from flask import abort, current_app, render_template, request, send_file

from wechat.sandbox import bp, state
from wechat.sandbox.api import PlatformError, json_body, platform_api, recorded

PERMANENT = {"QR_LIMIT_SCENE": "id", "QR_LIMIT_STR_SCENE": "str"}
TEMPORARY = {"QR_SCENE": "id", "QR_STR_SCENE": "str"}
MAX_EXPIRE = 30 * 24 * 3600
_MP_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$")


def _png(text: str, scale: int = 8):
    image = qrcode.make(text, box_size=scale, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png")


def _scene_of(action: str, info) -> str:
    """The scene value of a create request, checked as the platform does (else 40053)."""
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise PlatformError(40053)
    if (PERMANENT | TEMPORARY)[action] == "str":
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise PlatformError(40053)
        return value
    value = scene.get("scene_id")
    top = 100000 if action in PERMANENT else 2**32 - 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise PlatformError(40053)
    return str(value)


def _new_ticket(action: str, scene: str, expire_at: float | None) -> dict:
    ticket = "gQ" + secrets.token_urlsafe(36)
    url = f"{current_app.config['PUBLIC_BASE_URL']}/sandbox/q/{ticket}"
    record = {"ticket": ticket, "action": action, "scene": scene, "expire_at": expire_at, "url": url}
    state.put(record, "ticket", ticket)
    return record


def permanent(action: str, scene: str) -> dict:
    """The permanent code for a scene: the same ticket again if it exists, within the cap."""
    kind = PERMANENT[action]
    existing = state.get("perm", kind, scene)
    if existing:
        return state.get("ticket", existing)
    if state.incr("qr_permanent") > int(current_app.config.get("SANDBOX_QR_LIMIT", 100000)):
        state.incr("qr_permanent", delta=-1)
        raise PlatformError(45029)
    record = _new_ticket(action, scene, None)
    if not state.add(record["ticket"], "perm", kind, scene):  # another process won the race
        state.incr("qr_permanent", delta=-1)
        return state.get("ticket", state.get("perm", kind, scene))
    state.append({"ticket": record["ticket"], "action": action, "scene": scene}, "qrcodes")
    return record


def live_ticket(ticket: str) -> dict | None:
    """A ticket's record unless unknown or expired."""
    record = state.get("ticket", ticket) if ticket else None
    if record and record["expire_at"] is not None and record["expire_at"] <= state.now():
        return None
    return record


@bp.post("/cgi-bin/qrcode/create")
@platform_api("qrcode_create", app="oa")
def qrcode_create():
    """POST cgi-bin/qrcode/create: a ticket and the URL the QR code encodes."""
    body = json_body()
    action = body.get("action_name")
    if action not in PERMANENT and action not in TEMPORARY:
        raise PlatformError(40053)
    scene = _scene_of(action, body.get("action_info"))
    if action in PERMANENT:
        record = permanent(action, scene)
        recorded("qrcode_create")
        return {"ticket": record["ticket"], "url": record["url"]}
    seconds = body.get("expire_seconds", 60)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise PlatformError(40053)
    seconds = min(seconds, MAX_EXPIRE)
    record = _new_ticket(action, scene, state.now() + seconds)
    state.incr("qr_temporary")
    recorded("qrcode_create")
    return {"ticket": record["ticket"], "expire_seconds": seconds, "url": record["url"]}


@bp.get("/cgi-bin/showqrcode")
@platform_api("showqrcode")
def showqrcode():
    """GET showqrcode?ticket=: the QR code picture (404 for unknown or expired tickets)."""
    record = live_ticket(request.args.get("ticket", ""))
    if record is None:
        abort(404)
    return _png(record["url"])


@bp.get("/q/<ticket>")
def scanned_qr(ticket: str):
    """What the QR code leads to: a page naming the scene (WeChat itself would handle it)."""
    record = live_ticket(ticket)
    return render_template("sandbox/scene.html", record=record, kind="qr"), (200 if record else 404)


def _mp_pages() -> list[str]:
    return list(current_app.config.get("SANDBOX_MP_PAGES", ["pages/household/index", "pages/index/index"]))


@bp.post("/wxa/getwxacodeunlimit")
@platform_api("wxacode", app="mp")
def getwxacodeunlimit():
    """POST wxa/getwxacodeunlimit: PNG bytes on success, JSON errors otherwise."""
    body = json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not scene:
        raise PlatformError(40129)
    if len(scene) > 32 or not _MP_SCENE.match(scene):
        raise PlatformError(40169)
    page = body.get("page") or ""
    if not isinstance(page, str) or page.startswith("/"):
        raise PlatformError(41030)
    if page and body.get("check_path", True) is not False and page not in _mp_pages():
        raise PlatformError(41030)
    env = body.get("env_version", "release")
    if env not in ("release", "trial", "develop"):
        raise PlatformError(40097)
    width = body.get("width", 430)
    width = min(max(width if isinstance(width, int) else 430, 280), 1280)
    state.append({"scene": scene, "page": page, "env_version": env, "width": width}, "wxacodes")
    recorded("wxacode")
    target = f"{current_app.config['PUBLIC_BASE_URL']}/sandbox/mp?" + urlencode({"page": page, "scene": scene})
    return _png(target, scale=max(2, width // 60))


@bp.get("/mp")
def scanned_mp_code():
    """What a mini-program code leads to: the page and scene the mini-program would open."""
    record = {"page": request.args.get("page") or "（小程序首页）", "scene": request.args.get("scene", "")}
    return render_template("sandbox/scene.html", record=record, kind="mp")
