"""Official-account template messages and mini-program subscribe messages.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
Each delivered message lands in the receiving sandbox user's inbox. A template message repeated
with the same ``client_msg_id`` to the same user within ten minutes is dropped: the answer is a
success carrying the first message's ``msgid``.
"""

from __future__ import annotations

import re

from flask import current_app

from wechat.sandbox import bp, state, users
from wechat.sandbox.api import PlatformError, json_body, ok, platform_api, recorded

DEDUPE_WINDOW = 600
TEMPLATE_VALUE_MAX = 20
# Subscribe-message field types (the key without its number) and their length limits.
SUBSCRIBE_LIMITS = {
    "thing": 20,
    "character_string": 32,
    "phrase": 5,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "name": 20,
    "amount": 11,
    "phone_number": 17,
    "car_number": 8,
    "time": 32,
    "date": 32,
}
_FIELD = re.compile(r"^([a-z_]+?)(\d+)$")


def _values(data) -> dict[str, str]:
    """``{"key": {"value": v}}`` → ``{"key": v}``; anything else is 47003."""
    if not isinstance(data, dict) or not data:
        raise PlatformError(47003, "argument invalid! data is empty")
    values = {}
    for name, field in data.items():
        value = field.get("value") if isinstance(field, dict) else None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise PlatformError(47003, f"argument invalid! data.{name}.value invalid")
        values[name] = str(value)
    return values


def _template_ids(key: str, default: set[str]) -> set[str]:
    return set(current_app.config.get(key, default))


def _next_msgid() -> int:
    return 2_000_000_000 + state.incr("msgid")


@bp.post("/cgi-bin/message/template/send")
@platform_api("template_send", app="oa")
def template_send():
    """POST cgi-bin/message/template/send: deliver to a follower, once per client_msg_id."""
    body = json_body()
    user = users.find_oa(body.get("touser"))
    if user is None:
        raise PlatformError(40003)
    if body.get("template_id") not in _template_ids("SANDBOX_TEMPLATES", {"points-awarded", "binding-welcome"}):
        raise PlatformError(40037)
    values = _values(body.get("data"))
    for name, value in values.items():
        if len(value) > TEMPLATE_VALUE_MAX:
            raise PlatformError(47003, f"argument invalid! data.{name}.value exceeds limit")
    if not user["follows"]:
        raise PlatformError(43004)
    client_msg_id = body.get("client_msg_id") or None
    msgid = _next_msgid()
    if client_msg_id and not _claim(user, str(client_msg_id), msgid):
        return ok(msgid=state.get("cmid", user["openid"], client_msg_id)["msgid"])
    message = {
        "kind": "template",
        "touser": user["openid"],
        "template_id": body["template_id"],
        "data": values,
        "url": body.get("url"),
        "miniprogram": body.get("miniprogram"),
        "client_msg_id": client_msg_id,
        "msgid": msgid,
    }
    users.deliver(user, message)
    state.incr("sent", "template")
    recorded("template_send")
    return ok(msgid=msgid)


def _claim(user: dict, client_msg_id: str, msgid: int) -> bool:
    """True when this is the first send of ``client_msg_id`` to the user in the window."""
    claim = {"msgid": msgid, "at": state.now()}
    if state.add(claim, "cmid", user["openid"], client_msg_id):
        return True
    first = state.get("cmid", user["openid"], client_msg_id)
    if first and state.now() - first["at"] < DEDUPE_WINDOW:
        return False
    state.delete("cmid", user["openid"], client_msg_id)  # the window has passed: a new message
    return state.add(claim, "cmid", user["openid"], client_msg_id)


def _check_subscribe_field(name: str, value: str) -> None:
    match = _FIELD.match(name)
    limit = SUBSCRIBE_LIMITS.get(match.group(1)) if match else None
    if limit is None:
        raise PlatformError(47003, f"argument invalid! data.{name} is not a template field")
    if match.group(1) == "name" and re.search(r"[\u4e00-\u9fff]", value):
        limit = 10
    if not value or len(value) > limit:
        raise PlatformError(47003, f"argument invalid! data.{name}.value invalid")


@bp.post("/cgi-bin/message/subscribe/send")
@platform_api("subscribe_send", app="mp")
def subscribe_send():
    """POST cgi-bin/message/subscribe/send: one send per acceptance of the template."""
    body = json_body()
    user = users.find_mp(body.get("touser"))
    if user is None:
        raise PlatformError(40003)
    template_id = body.get("template_id")
    if template_id not in _template_ids("SANDBOX_SUBSCRIBE_TEMPLATES", {"mp-points-awarded"}):
        raise PlatformError(40037)
    values = _values(body.get("data"))
    for name, value in values.items():
        _check_subscribe_field(name, value)
    if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
        raise PlatformError(47003, "argument invalid! miniprogram_state invalid")
    if not users.consume(user, template_id):
        raise PlatformError(43101)
    msgid = _next_msgid()
    message = {
        "kind": "subscribe",
        "touser": user["mp_openid"],
        "template_id": template_id,
        "data": values,
        "page": body.get("page"),
        "msgid": msgid,
    }
    users.deliver(user, message)
    state.incr("sent", "subscribe")
    recorded("subscribe_send")
    return ok(msgid=msgid)
