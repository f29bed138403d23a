"""What a sandbox user's WeChat app does toward the official account: scan, type, tap, follow.

Each action builds the push WeChat would send, updates what WeChat itself records (a scan by a
newcomer or a plain follow makes them a follower), posts it to the app's own callback over real
HTTP and keeps the exchange so the simulator can show it.
"""

from __future__ import annotations

import time

from flask import current_app

from wechat import scenes
from wechat.sandbox import codes, events, state, users
from wechat.sandbox.api import PlatformError

ACTIONS = ("scan", "text", "click", "subscribe", "unsubscribe")


def callback_base() -> str:
    """Where the app's callback listens: the live server in tests, else PUBLIC_BASE_URL."""
    return current_app.config.get("LIVE_BASE_URL") or current_app.config["PUBLIC_BASE_URL"]


def _keys() -> dict:
    cfg = current_app.config
    return {"token": cfg["WECHAT_TOKEN"], "aes_key": cfg["WECHAT_AES_KEY"], "appid": cfg["WECHAT_APPID"]}


def ticket_for(scene: str) -> str:
    """The ticket of the permanent code a plaque carries for ``scene`` (created if missing)."""
    try:
        return codes.permanent("QR_LIMIT_STR_SCENE", scene)["ticket"]
    except PlatformError:  # over the cap: the plaque still carries some ticket
        return "gQsandbox-over-limit"


def scene_of(code: str = "", scene: str = "") -> str:
    """The ``scene_str`` to scan: given directly, or derived from a household code."""
    scene, code = (scene or "").strip(), (code or "").strip()
    if scene:
        return scene
    if not code:
        raise ValueError("请选择或填写一个户码")
    return scenes.oa_scene(code)


def _create_time(user: dict) -> int:
    """Real seconds, but strictly increasing per user: distinct taps never look like a retry."""
    now = int(time.time())
    previous = int(state.get("createtime", user["openid"]) or 0)
    stamp = max(now, previous + 1)
    state.put(stamp, "createtime", user["openid"])
    return stamp


def act(user: dict, action: str, *, encrypt: bool = False, repeat: int = 1, **params) -> dict:
    """Do ``action`` as ``user`` and return the exchange (request, answers, reply as shown)."""
    stamp = _create_time(user)
    if action == "scan":
        scene = scene_of(params.get("code", ""), params.get("scene", ""))
        xml = events.scan_xml(user["openid"], scene, ticket_for(scene), follows=user["follows"], create_time=stamp)
        summary = f"扫码 {scene}（{'已关注：SCAN' if user['follows'] else '未关注：subscribe'}）"
        users.set_follows(user, True)
    elif action == "text":
        content = (params.get("content") or "").strip()
        if not content:
            raise ValueError("消息内容不能为空")
        xml, summary = events.text_xml(user["openid"], content, create_time=stamp), f"发消息「{content}」"
    elif action == "click":
        key = (params.get("key") or "").strip()
        if not key:
            raise ValueError("菜单 key 不能为空")
        xml, summary = events.click_xml(user["openid"], key, create_time=stamp), f"点菜单 {key}"
    elif action in ("subscribe", "unsubscribe"):
        xml = events.message_xml(user["openid"], "event", create_time=stamp, Event=action, EventKey="")
        summary = "关注公众号" if action == "subscribe" else "取消关注"
        users.set_follows(user, action == "subscribe")
    else:
        raise ValueError(f"不支持的操作：{action}")
    # With an AES key the app's callback takes encrypted pushes only (safe mode), as the real
    # account set to 安全模式 does: the sandbox then always encrypts, whatever was asked.
    encrypt = encrypt or bool(_keys()["aes_key"])
    keys = _keys() if encrypt else {"token": _keys()["token"]}
    query, body = events.build_event_request(xml, openid=user["openid"], **keys)
    result = events.exchange(callback_base(), query, body, repeat=repeat, **keys)
    result.update(summary=summary, encrypted=encrypt, plain_xml=xml)
    state.put(result, "last", user["openid"])
    return result


def last(user: dict) -> dict | None:
    """The user's most recent exchange with the callback."""
    return state.get("last", user["openid"])
