"""Flask's signed-cookie session, opened only when the request carries the cookie; and the
villager's WeChat identity kept in it.

A villager's session is short (``PERMANENT_SESSION_LIFETIME`` idle, ``VILLAGER_SESSION_MAX``
since sign-in, see config.py and the README): inside WeChat a lapsed session is re-established by
a silent snsapi_base OAuth round trip the villager does not see, so a long one buys nothing but a
longer life for a copied cookie, or for a phone passed to someone else in the family.
"""

from __future__ import annotations

from flask import current_app, session
from flask.sessions import SecureCookieSessionInterface

from app.services import clock


class CookieSessionOnDemand(SecureCookieSessionInterface):
    """Most requests (plaque scans, the WeChat callback) carry no session cookie; for them skip
    building the signer, which costs every request a noticeable slice of a millisecond."""

    def open_session(self, app, request):
        # No Cookie header at all (WeChat's servers, most scans): skip even parsing cookies.
        if "HTTP_COOKIE" not in request.environ or app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def remember_openid(openid: str) -> None:
    """WeChat has just told us who this is: start the villager's session."""
    session["openid"] = openid
    session["openid_at"] = int(clock.timestamp())
    session.permanent = True


def villager_openid() -> str | None:
    """The openid WeChat vouched for, unless that was longer ago than ``VILLAGER_SESSION_MAX``
    (then it is dropped, and the caller sends the villager through OAuth again)."""
    openid = session.get("openid")
    if openid is None:
        return None
    age = clock.timestamp() - session.get("openid_at", 0)
    if not 0 <= age <= current_app.config["VILLAGER_SESSION_MAX"].total_seconds():
        session.pop("openid", None)
        session.pop("openid_at", None)
        return None
    return openid
