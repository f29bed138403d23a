"""Flask's signed-cookie session, opened only when the request carries the cookie."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookieSessionOnDemand(SecureCookieSessionInterface):
    """Most requests (plaque scans, the WeChat callback) carry no session cookie; for them skip
    building the signer, which costs every request a noticeable slice of a millisecond."""

    def open_session(self, app, request):
        # No Cookie header at all (WeChat's servers, most scans): skip even parsing cookies.
        if "HTTP_COOKIE" not in request.environ or app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
