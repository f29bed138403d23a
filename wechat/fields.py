"""Template field values cut to the platform's limits, so a long reason never fails a whole push.

Subscribe-message (and, since 2023, template-message) keywords are typed by their name:
``thing1``, ``character_string2``, ``date4`` … Each type has its own length and character rules
(https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html);
official-account template fields are moreover capped at 20 characters.
"""

from __future__ import annotations

import re

TEMPLATE_FIELD_MAX = 20  # official-account template messages, since May 2023

# type → (most characters, characters allowed or None for any)
LIMITS: dict[str, tuple[int, re.Pattern | None]] = {
    "thing": (20, None),
    "character_string": (32, re.compile(r"[\x21-\x7e]")),  # digits, letters, ASCII symbols
    "number": (32, re.compile(r"[0-9.]")),
    "letter": (32, re.compile(r"[A-Za-z]")),
    "symbol": (5, None),
    "phrase": (5, re.compile(r"[\u4e00-\u9fff]")),  # Chinese characters only
    "name": (10, None),
    "phone_number": (17, re.compile(r"[0-9+\-() ]")),
    "car_number": (8, None),
    "amount": (12, None),
    "date": (20, None),
    "time": (20, None),
}
_TYPE = re.compile(r"^([a-z_]+?)\d*$")


def field_type(key: str) -> str:
    """``thing12`` → ``thing``; ``character_string2`` → ``character_string``."""
    match = _TYPE.match(key)
    return match.group(1) if match else key


def fit(key: str, value, cap: int | None = None) -> str:
    """``value`` as text that the field ``key`` accepts: disallowed characters dropped, cut to length.

    Free text (``thing``) is cut with an ellipsis so a reader sees it was shortened; codes and
    numbers are cut plainly, an ellipsis is not allowed in them.
    """
    text = "" if value is None else str(value).strip()
    most, allowed = LIMITS.get(field_type(key), (TEMPLATE_FIELD_MAX, None))
    if allowed is not None:
        text = "".join(ch for ch in text if allowed.fullmatch(ch))
    if cap is not None:
        most = min(most, cap)
    if len(text) <= most:
        return text
    if allowed is None:
        return text[: most - 1] + "…"
    return text[:most]


def template_data(data: dict, cap: int | None = None) -> dict:
    """``{"thing1": "…"}`` → ``{"thing1": {"value": "…"}}`` with every value fitted."""
    return {key: {"value": fit(key, value, cap)} for key, value in (data or {}).items()}
