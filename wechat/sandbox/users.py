"""Sandbox WeChat users, what they follow, their subscribe-message quota and their inbox.

One sandbox user is one person with two openids, as on the real platform: ``openid`` for the
official account and ``mp_openid`` for the mini-program, joined by one ``unionid`` because both
apps hang off the same (sandbox) Open Platform account.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from wechat.sandbox import state


def _openid(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(21)[:24]


def create(nickname: str, *, follows: bool = True, openid: str | None = None, mp_openid: str | None = None) -> dict:
    """A new sandbox user (openids generated unless given); an existing openid is updated."""
    openid = (openid or "").strip() or _openid("oSbx")
    existing = find(openid)
    if existing:
        existing.update(nickname=nickname or existing["nickname"], follows=bool(follows))
        return save(existing)
    user = {
        "openid": openid,
        "mp_openid": (mp_openid or "").strip() or _openid("oMbx"),
        "unionid": _openid("uSbx"),
        "nickname": (nickname or "").strip()[:32] or f"微信用户{openid[-4:]}",
        "follows": bool(follows),
        "created_at": state.now(),
    }
    if not state.add(user["openid"], "mpuser", user["mp_openid"]):
        raise ValueError("mp_openid already used")
    save(user)
    state.append(user["openid"], "userlist")
    return user


def save(user: dict) -> dict:
    """Store a user record."""
    state.put(user, "user", user["openid"])
    return user


def find(openid: str | None) -> dict | None:
    """The user owning this official-account or mini-program openid, else None."""
    if not openid:
        return None
    user = state.get("user", openid)
    if user is None:
        owner = state.get("mpuser", openid)
        user = state.get("user", owner) if owner else None
    return user


def find_oa(openid: str | None) -> dict | None:
    """The user with this official-account openid only."""
    return state.get("user", openid) if openid else None


def find_mp(mp_openid: str | None) -> dict | None:
    """The user with this mini-program openid only."""
    owner = state.get("mpuser", mp_openid) if mp_openid else None
    return state.get("user", owner) if owner else None


def everyone() -> list[dict]:
    """All sandbox users, oldest first."""
    return [u for u in (state.get("user", o) for o in state.items("userlist")) if u]


def set_follows(user: dict, follows: bool) -> dict:
    """Follow or unfollow the official account."""
    user["follows"] = follows
    return save(user)


def accept(user: dict, template_id: str, times: int = 1) -> int:
    """The user taps "允许" on a subscribe-message prompt: one more send allowed per time."""
    return state.incr("quota", user["openid"], template_id, delta=int(times))


def consume(user: dict, template_id: str) -> bool:
    """Use one subscribe-message acceptance; False when none is left (atomic across processes)."""
    if state.incr("quota", user["openid"], template_id, delta=-1) >= 0:
        return True
    state.incr("quota", user["openid"], template_id)
    return False


def quota(user: dict, template_ids) -> dict[str, int]:
    """Remaining acceptances per subscribe template."""
    return {t: n for t, n in state.counters(template_ids, "quota", user["openid"]).items() if n}


def deliver(user: dict, message: dict) -> dict:
    """Put a message into the user's inbox (as the WeChat app would show it)."""
    message = {**message, "time": state.now()}
    message["at"] = datetime.fromtimestamp(message["time"], UTC).isoformat(timespec="seconds")
    state.append(message, "inbox", user["openid"])
    return message


def inbox(user: dict, last: int | None = None) -> list[dict]:
    """The messages a user received, oldest first."""
    return state.items("inbox", user["openid"], last=last)
