"""Browsers an account signed in from before: a signed cookie naming those accounts.

A lock after five wrong passwords (app/services/accounts.py) holds only in other browsers, so a
stranger guessing at a cadre's name cannot keep that cadre out of the computer or phone they
always use (OWASP's "device cookie" answer to lock-out abuse). The cookie proves only that this
browser once completed a sign-in for the account: it is no password and opens nothing by itself.
"""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.models import Account

COOKIE = "cwt_device"
KEEP_DAYS = 90
MAX_ACCOUNTS = 8  # a shared office computer: a few cadres, never an unbounded list


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="admin-trusted-device")


def trusted_accounts() -> frozenset[int]:
    """The accounts that signed in from this browser within KEEP_DAYS."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return frozenset()
    try:
        ids = _signer().loads(raw, max_age=KEEP_DAYS * 86400)
    except BadSignature:
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int)) if isinstance(ids, list) else frozenset()


def remember(response, account: Account):
    """After a completed sign-in: this browser is now one the account uses."""
    ids = [i for i in trusted_accounts() if i != account.id][: MAX_ACCOUNTS - 1] + [account.id]
    response.set_cookie(
        COOKIE, _signer().dumps(ids), max_age=KEEP_DAYS * 86400, path="/admin/", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax",
    )  # fmt: skip
    return response
