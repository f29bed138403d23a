"""The official account's custom menu (W6), kept in ``wechat/menu.json`` and pushed with ``flask wechat menu push``.

URLs may contain ``{PUBLIC_BASE_URL}``. CLICK keys must be ones the callback answers
(``wechat.handlers.CLICKS``), so a villager never taps a button that does nothing.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from flask import current_app

from wechat.client import get_client

MENU_FILE = Path(__file__).with_name("menu.json")
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
# 一级菜单最多 4 个汉字，二级菜单最多 8 个汉字（a Chinese character counts as two Latin ones).
MAX_NAME_WIDTH = {True: 8, False: 16}
MAX_KEY_BYTES, MAX_URL_BYTES = 128, 1024


class MenuError(ValueError):
    """The menu file breaks a platform rule; nothing was sent."""


def load_menu(path: Path | str | None = None) -> dict:
    """The menu from ``path`` (default ``wechat/menu.json``) with ``{PUBLIC_BASE_URL}`` filled in, validated."""
    path = Path(path or MENU_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MenuError(f"读不到菜单文件 {path}：{exc.strerror}") from None
    text = text.replace("{PUBLIC_BASE_URL}", current_app.config["PUBLIC_BASE_URL"])
    try:
        menu = json.loads(text)
    except ValueError as exc:
        raise MenuError(f"菜单文件 {path.name} 不是合法的 JSON：{exc}") from None
    validate(menu)
    return menu


def validate(menu: dict) -> None:
    """Check counts, names, types, keys and URLs the way the platform does (40016–40027)."""
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError(f"一级菜单要有 1 到 {MAX_BUTTONS} 个。")
    for button in buttons:
        subs = button.get("sub_button")
        _check_name(button, top=True)
        if subs is None:
            _check_action(button, button["name"])
            continue
        if "type" in button:
            raise MenuError(f"“{button['name']}”有子菜单，就不能再设 type。")
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
            raise MenuError(f"“{button['name']}”的子菜单要有 1 到 {MAX_SUB_BUTTONS} 个。")
        for sub in subs:
            _check_name(sub, top=False)
            _check_action(sub, f"{button['name']} › {sub['name']}")


def push_menu(path: Path | str | None = None) -> dict:
    """创建自定义菜单 https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html"""
    menu = load_menu(path)
    get_client("oa").menu.create(menu)
    return menu


def describe(menu: dict) -> str:
    """One line a cadre can read: 我家积分（我家主页、积分和排名） / 村务公开 / …"""
    parts = []
    for button in menu["button"]:
        subs = button.get("sub_button")
        parts.append(button["name"] + (f"（{'、'.join(s['name'] for s in subs)}）" if subs else ""))
    return " / ".join(parts)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _check_name(button, *, top: bool) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("name"), str) or not button["name"].strip():
        raise MenuError("每个菜单都要有名称（name）。")
    limit = MAX_NAME_WIDTH[top]
    if _width(button["name"]) > limit:
        level = "一级" if top else "二级"
        raise MenuError(f"{level}菜单“{button['name']}”太长：最多 {limit // 2} 个汉字（或 {limit} 个字母）。")


def _check_action(button: dict, label: str) -> None:
    kind = button.get("type")
    if kind == "click":
        from wechat.handlers import CLICKS

        key = button.get("key") or ""
        if not key or len(key.encode()) > MAX_KEY_BYTES:
            raise MenuError(f"“{label}”的 key 要有，且不超过 {MAX_KEY_BYTES} 字节。")
        if key not in CLICKS:
            raise MenuError(f"“{label}”的 key {key} 公众号不会应答（可用：{'、'.join(sorted(CLICKS))}）。")
    elif kind == "view":
        url = button.get("url") or ""
        if not url.startswith(("http://", "https://")) or len(url.encode()) > MAX_URL_BYTES:
            raise MenuError(f"“{label}”的网址要以 http:// 或 https:// 开头，且不超过 {MAX_URL_BYTES} 字节。")
    elif kind == "miniprogram":
        if not (button.get("appid") and button.get("pagepath") and button.get("url")):
            raise MenuError(f"“{label}”是小程序菜单，要有 appid、pagepath 和备用网址 url。")
    else:
        raise MenuError(f"“{label}”的类型 {kind!r} 不支持（可用 click、view、miniprogram）。")
