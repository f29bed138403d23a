"""The custom menu: ``cgi-bin/menu/create`` (validated as WeChat does) and ``menu/get``.

https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
1–3 top-level buttons of at most 16 bytes each; 1–5 sub-buttons of at most 60 bytes; keys at
most 128 bytes; URLs at most 1024 bytes. Top-level and sub-button faults have their own codes.
"""

from __future__ import annotations

from flask import current_app, jsonify

from wechat.sandbox import bp, state
from wechat.sandbox.api import PlatformError, json_body, ok, platform_api, recorded

TYPES = {
    "click",
    "view",
    "miniprogram",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "article_id",
    "article_view_limited",
}
KEYED = TYPES - {"view", "miniprogram", "media_id", "article_id", "article_view_limited"}
# errcodes for (top level, sub-button) faults
SIZE, TYPE, NAME, KEY, URL = (40016, 40023), (40017, 40024), (40018, 40025), (40019, 40026), (40020, 40027)


def _bytes(value) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def _check_action(button: dict, level: int) -> None:
    """The ``type`` and its required fields (key, url, mini-program) of one clickable button."""
    kind = button.get("type")
    if kind not in TYPES:
        raise PlatformError(TYPE[level])
    if kind in KEYED and not 1 <= _bytes(button.get("key")) <= 128:
        raise PlatformError(KEY[level])
    if kind in ("view", "miniprogram") and not 1 <= _bytes(button.get("url")) <= 1024:
        raise PlatformError(URL[level])
    if kind == "miniprogram" and (button.get("appid") != current_app.config["MP_APPID"] or not button.get("pagepath")):
        raise PlatformError(40013 if button.get("pagepath") else 47003)
    if kind in ("media_id", "article_id", "article_view_limited") and not (
        button.get("media_id") or button.get("article_id")
    ):
        raise PlatformError(47003)  # fmt: skip


def validate(menu) -> list[dict]:
    """The menu's buttons if WeChat would accept them, else the PlatformError it would give."""
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise PlatformError(SIZE[0])
    for top in buttons:
        if not isinstance(top, dict) or not 1 <= _bytes(top.get("name")) <= 16:
            raise PlatformError(NAME[0])
        subs = top.get("sub_button")
        if not subs:
            _check_action(top, 0)
            continue
        if not isinstance(subs, list) or len(subs) > 5:
            raise PlatformError(SIZE[1])
        for sub in subs:
            if not isinstance(sub, dict) or not 1 <= _bytes(sub.get("name")) <= 60:
                raise PlatformError(NAME[1])
            _check_action(sub, 1)
    return buttons


def stored() -> list[dict] | None:
    """The official account's current menu buttons, or None."""
    return state.get("menu", current_app.config["WECHAT_APPID"])


@bp.post("/cgi-bin/menu/create")
@platform_api("menu_create", app="oa")
def menu_create():
    """POST cgi-bin/menu/create: validate and store the menu."""
    buttons = validate(json_body())
    state.put(buttons, "menu", current_app.config["WECHAT_APPID"])
    recorded("menu_create")
    return ok()


@bp.get("/cgi-bin/menu/get")
@platform_api("menu_get", app="oa")
def menu_get():
    """GET cgi-bin/menu/get: the stored menu, or 46003 when there is none."""
    buttons = stored()
    if buttons is None:
        raise PlatformError(46003)
    return jsonify({"menu": {"button": buttons}})
