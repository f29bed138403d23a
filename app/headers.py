"""Security headers on every response, through flask-talisman.

- ``Content-Security-Policy``: scripts only from this site (every page's JavaScript is a file
  under /static; the charts' numbers ride in a ``type="application/json"`` block, which is data,
  not script); style sheets from this site, plus the two ``<style>`` blocks that carry the
  request's nonce, and the villager style sheet inlined into every villager page, by its hash
  (app/static_files.py: the household page is cached as HTML, so it cannot carry a nonce);
  ``style="…"`` attributes are allowed (``style-src-attr``: Bootstrap layouts use them, and a
  style attribute cannot run code); images also as ``data:``/``blob:`` (Bootstrap's icons, photo
  previews); ``frame-ancestors 'none'`` so no other site can frame a page (a
  villager's /me and bind forms, the back office) to trick a tap; forms post only here, or to
  WeChat's authorize page (the OAuth round trip).
- ``X-Frame-Options: DENY`` for browsers that predate frame-ancestors; ``X-Content-Type-Options:
  nosniff``; ``Referrer-Policy: same-origin`` (a household's code in /h/… never leaves in a
  Referer; same-origin requests keep it, which Flask-WTF's HTTPS check needs).
- ``Strict-Transport-Security`` (a year) on HTTPS responses only, i.e. in production behind TLS;
  the embedded default on plain http never sends it. Redirecting http to https is the front
  proxy's job (``force_https`` off).

The WeChat callback answers WeChat's servers, never a browser, and is the one path with a latency
budget under 20 ms: it skips Talisman's per-request work (about a fifth of a SCAN's CPU) and gets
the same headers as fixed values (``static_headers``).

The mini-program API's Swagger page (flask-smorest's template, with its own inline start-up
script and no personal data) is the one page allowed inline script.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, request
from flask_talisman import Talisman

from app.static_files import inline_css_hashes

SWAGGER_UI_ENDPOINT = "api-docs.openapi_swagger_ui"
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "same-origin"
PERMISSIONS_POLICY = {"camera": "()", "microphone": "()", "geolocation": "()", "browsing-topics": "()"}
MACHINE_ENDPOINTS = frozenset({"wechat_callback.receive", "wechat_callback.verify"})


def policy(app: Flask, *, inline_script: bool = False) -> dict[str, str]:
    open_base = urlsplit(app.config.get("WECHAT_OPEN_BASE") or "")
    oauth_origin = f"{open_base.scheme}://{open_base.netloc}" if open_base.netloc else ""
    return {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-inline'" if inline_script else "'self'",
        "style-src": "'self'",
        # + the nonce (content_security_policy_nonce_in) + the inlined villager style sheet
        "style-src-elem": " ".join(["'self'", *inline_css_hashes(app)]),
        "style-src-attr": "'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": f"'self' {oauth_origin}".strip(),
        "frame-ancestors": "'none'",
    }


def init_headers(app: Flask) -> None:
    """After the blueprints are registered (the Swagger page's view must exist)."""
    hooks_before = (list(app.before_request_funcs.get(None, [])), list(app.after_request_funcs.get(None, [])))
    Talisman(
        app,
        content_security_policy=policy(app),
        content_security_policy_nonce_in=["style-src-elem"],
        frame_options=FRAME_OPTIONS,
        referrer_policy=REFERRER_POLICY,
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,  # other hosts of the domain are not ours
        # Talisman would otherwise force these on; the app's own settings decide (config.py).
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        permissions_policy=PERMISSIONS_POLICY,
    )
    _machines_skip_talisman(app, *hooks_before)
    swagger = app.view_functions.get(SWAGGER_UI_ENDPOINT)
    if swagger is not None:  # a bound method there: wrapped, so it can carry Talisman's per-view options

        @functools.wraps(swagger)
        def swagger_ui(*args, **kwargs):
            return swagger(*args, **kwargs)

        swagger_ui.talisman_view_options = {"content_security_policy": policy(app, inline_script=True)}
        app.view_functions[SWAGGER_UI_ENDPOINT] = swagger_ui


def _machines_skip_talisman(app: Flask, before: list, after: list) -> None:
    """Wrap the hooks Talisman just added so MACHINE_ENDPOINTS get fixed headers instead."""
    fixed = static_headers(app)

    def skipping(hook, *, after_hook: bool):
        @functools.wraps(hook)
        def run(*args):
            if request.endpoint in MACHINE_ENDPOINTS:
                if after_hook:
                    args[0].headers.update(fixed)
                    return args[0]
                return None
            return hook(*args)

        return run

    app.before_request_funcs[None] = [
        hook if hook in before else skipping(hook, after_hook=False) for hook in app.before_request_funcs[None]
    ]
    app.after_request_funcs[None] = [
        hook if hook in after else skipping(hook, after_hook=True) for hook in app.after_request_funcs[None]
    ]


def static_headers(app: Flask) -> dict[str, str]:
    """The same policy for the files WhiteNoise serves, which never pass through Talisman. Fixed
    per file, so no HSTS here: every page over HTTPS sends it, and it covers the whole host."""
    return {
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in policy(app).items()),
        "X-Frame-Options": FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "Permissions-Policy": ", ".join(f"{k}={v}" for k, v in PERMISSIONS_POLICY.items()),
    }
