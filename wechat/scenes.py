"""Household code ↔ WeChat scene values (see docs/wechat-design.md, "Scenes")."""

from __future__ import annotations

import re

OA_PREFIX = "h_"
SUBSCRIBE_PREFIX = "qrscene_"
# Mini-program scenes: at most 32 visible characters from this set (WECHAT.md, "Codes").
_MP_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


def oa_scene(code: str) -> str:
    """The official-account ``scene_str`` for a household code (1–64 characters)."""
    scene = OA_PREFIX + code
    if not 1 <= len(scene) <= 64:
        raise ValueError("scene_str must be 1–64 characters")
    return scene


def mp_scene(code: str) -> str:
    """The mini-program ``scene`` for a household code: the code itself, checked."""
    if not _MP_SCENE.match(code):
        raise ValueError("mini-program scene must be ≤ 32 characters from 0-9A-Za-z!#$&'()*+,/:;=?@-._~")
    return code


def code_from_event_key(event_key: str | None) -> str | None:
    """The household code in a subscribe (``qrscene_h_…``) or SCAN (``h_…``) event key, else None."""
    key = (event_key or "").strip()
    if key.startswith(SUBSCRIBE_PREFIX):
        key = key[len(SUBSCRIBE_PREFIX) :]
    if not key.startswith(OA_PREFIX):
        return None
    code = key[len(OA_PREFIX) :]
    return code if 0 < len(code) <= 32 else None
