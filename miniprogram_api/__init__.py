"""JSON API for the mini-program (W3), under /api/mp/v1/, described by OpenAPI.

Every endpoint answers ``{"ok": true, "data": …}`` or ``{"ok": false, "error": {…}}``.
Schemas both validate input and describe it in /api/mp/v1/openapi.json.
"""

from __future__ import annotations

from miniprogram_api.envelope import EnvelopeApi

PREFIX = "/api/mp/v1"




def init_api(app) -> None:
    """Give the app its API (one per app, so test apps don't share an OpenAPI spec)."""
    from miniprogram_api.households import blp as households

    api = EnvelopeApi(app)
    api.register_blueprint(households, url_prefix=f"{PREFIX}/households")
