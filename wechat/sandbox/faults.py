"""Injected failures and delays, armed through ``_control/fail`` and ``_control/delay``."""

from __future__ import annotations

import time

from wechat.sandbox import state

# The names tests use to aim a fault at one stand-in endpoint.
APIS = (
    "token",
    "stable_token",
    "qrcode_create",
    "showqrcode",
    "wxacode",
    "jscode2session",
    "oauth_access_token",
    "template_send",
    "subscribe_send",
    "menu_create",
    "menu_get",
)


def arm_failure(api: str, errcode: int, times: int, errmsg: str | None = None) -> None:
    """Make the next ``times`` calls of ``api`` answer ``errcode``."""
    state.put({"errcode": int(errcode), "errmsg": errmsg}, "fail", api)
    state.put(int(times), "fail", api, "left")


def take_failure(api: str) -> tuple[int, str | None] | None:
    """The injected error for this call of ``api``, consuming one of its remaining times."""
    armed = state.get("fail", api)
    if not armed or state.incr("fail", api, "left", delta=-1) < 0:
        return None
    return armed["errcode"], armed["errmsg"]


def arm_delay(api: str, seconds: float, after_record: bool, times: int) -> None:
    """Make the next ``times`` calls of ``api`` sleep ``seconds`` (before answering)."""
    state.put({"seconds": float(seconds), "after_record": bool(after_record)}, "delay", api)
    state.put(int(times), "delay", api, "left")


def pause(api: str, *, after_record: bool) -> None:
    """Sleep here if a delay is armed for this phase of ``api``."""
    armed = state.get("delay", api)
    if not armed or armed["after_record"] != after_record:
        return
    if state.incr("delay", api, "left", delta=-1) >= 0:
        time.sleep(armed["seconds"])


def armed() -> dict:
    """Faults still pending, for ``_control/state``."""
    found = {}
    for api in APIS:
        fail, delay = state.get("fail", api), state.get("delay", api)
        if fail and state.count("fail", api, "left") > 0:
            found.setdefault(api, {})["fail"] = {**fail, "left": state.count("fail", api, "left")}
        if delay and state.count("delay", api, "left") > 0:
            found.setdefault(api, {})["delay"] = {**delay, "left": state.count("delay", api, "left")}
    return found
