"""The app-wide error answers: the villager pages' ones, and the fallback for whatever no
blueprint answered itself (URLs that match no view, the WeChat endpoints, the mini-program API).

The back office has its own on its blueprint (app/admin/errors.py); the villager "我的" pages
keep their CSRF answer on the web blueprint (app/web/me.py). Every JSON error, the mini-program
API's included, is ``app.errors.error_body`` (``{"ok": false, "error": {code, message, field}}``).
Handlers are registered per status code, so they win over flask-smorest's catch-all whatever
the order of registration.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from app.errors import AppError, described, error_body

API_PREFIX = "/api/"


def _code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


def _field(error: HTTPException) -> str | None:
    """The first input the request validation named (webargs puts them in ``error.data``)."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    names = [name for location in messages.values() for name in location]
    return names[0] if names else None


def answer(status: int, message: str, code: str, field: str | None = None):
    if request.path.startswith(API_PREFIX):
        return jsonify(error_body(code, message, field)), status
    # Other surfaces' pages by URL prefix (an /admin/ URL that matched no view), from the factory.
    for prefix, page in current_app.extensions.get("error_pages", {}).items():
        if request.path.startswith(prefix):
            return page(message, status)
    if status == 404:
        return render_template("web/not_found.html"), 404
    return render_template("web/error.html", message=message), status


def app_error(error: AppError):
    return answer(error.status, error.message, error.code, error.field)


def http_error(error: HTTPException):
    if error.response is not None:  # the raiser wrote its own answer (e.g. a rate limit's on_breach page)
        return error.response
    status = error.code or 500
    return answer(status, described(error), _code(error), _field(error))


def register_web_errors(app, pages_by_prefix: dict[str, Callable[[str, int], tuple]] | None = None) -> None:
    """The app-wide handlers; ``pages_by_prefix`` names the page other surfaces answer with."""
    app.extensions["error_pages"] = dict(pages_by_prefix or {})
    app.register_error_handler(AppError, app_error)
    for status in default_exceptions:  # every 4xx/5xx Werkzeug knows, so none shows its English page
        app.register_error_handler(status, http_error)
