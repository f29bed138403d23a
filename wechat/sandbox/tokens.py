"""``cgi-bin/token`` and ``cgi-bin/stable_token``, and the access-token check of every API.

https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
The two are isolated from each other. A new ``token`` leaves the previous one valid for five
more minutes; ``stable_token`` hands every caller the same token while it is valid, renews it
in the last five minutes of its life, and ``force_refresh`` kills the previous one at once.
"""

from __future__ import annotations

import secrets

from flask import jsonify, request

from wechat.sandbox import bp, state
from wechat.sandbox.api import PlatformError, app_of, json_body, platform_api

LIFETIME = 7200
OVERLAP = 300  # how long a replaced token keeps working, and when stable_token renews early


def _mint(appid: str, flavour: str) -> dict:
    token = f"sbx{flavour[0]}_" + secrets.token_urlsafe(48)
    record = {"token": token, "appid": appid, "kind": flavour, "issued_at": state.now()}
    record["expires_at"] = record["issued_at"] + LIFETIME
    state.put(record, "tok", token)
    state.incr("issued", flavour, appid)
    return record


def _cut(record: dict | None, until: float) -> None:
    """Shorten a token's life to ``until`` (never lengthen it)."""
    if record and record.get("valid_until", record["expires_at"]) > until:
        record["valid_until"] = until
        state.put(record, "tok", record["token"])


def _left(record: dict) -> int:
    return int(min(record["expires_at"], record.get("valid_until", record["expires_at"])) - state.now())



@bp.get("/cgi-bin/token")
@platform_api("token")
def token():
    """GET cgi-bin/token: a new token each call; the previous one lives five more minutes."""
    if request.args.get("grant_type") != "client_credential":
        raise PlatformError(40002)
    appid = request.args.get("appid")
    app_of(appid, request.args.get("secret"))
    state.incr("fetches", "token", appid)
    previous = state.get("current", "token", appid)
    record = _mint(appid, "token")
    state.put(record["token"], "current", "token", appid)
    if previous:
        _cut(state.get("tok", previous), state.now() + OVERLAP)
    return jsonify({"access_token": record["token"], "expires_in": LIFETIME})


@bp.post("/cgi-bin/stable_token")
@platform_api("stable_token")
def stable_token():
    """POST cgi-bin/stable_token: one token for every caller while valid; force_refresh renews."""
    body = json_body()
    if body.get("grant_type") != "client_credential":
        raise PlatformError(40002)
    appid = body.get("appid")
    app_of(appid, body.get("secret"))
    state.incr("fetches", "stable_token", appid)
    current = state.get("current", "stable", appid)
    record = state.get("tok", current) if current else None
    if body.get("force_refresh") is True:
        _cut(record, state.now())
        record = _mint(appid, "stable")
        state.put(record["token"], "current", "stable", appid)
    elif record is None or _left(record) <= OVERLAP:
        record = _renew(appid, current)
    return jsonify({"access_token": record["token"], "expires_in": max(_left(record), 0)})


def _renew(appid: str, previous: str | None) -> dict:
    """The successor of ``previous``: exactly one, however many processes ask at once."""
    fresh = _mint(appid, "stable")
    if state.add(fresh["token"], "successor", appid, previous or "-"):
        state.put(fresh["token"], "current", "stable", appid)
        return fresh
    state.delete("tok", fresh["token"])
    winner = state.get("successor", appid, previous or "-")
    state.incr("issued", "stable", appid, delta=-1)
    return state.get("tok", winner)
