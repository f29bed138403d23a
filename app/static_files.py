"""Static files for weak 4G: served compressed and cached for a year, by WhiteNoise.

- WhiteNoise answers ``/static/…`` before Flask sees the request. It serves the ``.br``/``.gz``
  copies that ``make assets`` writes beside each file (scripts/vendor_assets.py) to browsers that
  accept them, with an ETag and Last-Modified; nothing is compressed per request.
- Every ``url_for('static', …)`` the app renders carries ``?v=<digest of the file>``, so a
  changed file is a new URL and the old one can be cached for good (``immutable``). The one
  exception is Swagger UI, which flask-smorest links without the version: it gets an hour.
- WhiteNoise's responses do not pass through flask-talisman; they get the same fixed security
  headers (app/headers.py ``static_headers``).
- ``inline_css(name)`` puts one of our own style sheets into a page's ``<style>``: the villager
  pages carry their whole (small) sheet inline, since on a 400 ms round trip a separate style
  sheet would hold the first paint back by at least one more round trip. The CSP allows exactly
  these texts by their hashes (``inline_css_hashes``), because the household page is cached as
  rendered HTML and so cannot carry a per-request nonce.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from flask import Flask
from markupsafe import Markup
from whitenoise import WhiteNoise

# Style sheets of ours that villager templates inline (base_villager.html).
INLINE_CSS = ("css/villager.css",)
UNVERSIONED_MAX_AGE = 3600  # Swagger UI's files, linked by flask-smorest without ?v=
UNVERSIONED_PREFIX = "/static/vendor/swagger-ui/"


def init_static(app: Flask, headers: dict[str, str]) -> None:
    """Serve app/static through WhiteNoise; version the static URLs; offer ``inline_css``."""
    root = Path(app.static_folder)

    def add_headers(response_headers, _path: str, _url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(root),
        prefix=app.static_url_path,
        # In debug, files change under a running server (and versions are computed once): no cache.
        max_age=0 if app.debug else UNVERSIONED_MAX_AGE,
        # Every URL but Swagger UI's is versioned by content (see ``add_version``).
        immutable_file_test=lambda _path, url: not app.debug and not url.startswith(UNVERSIONED_PREFIX),
        add_headers_function=add_headers,
        allow_all_origins=False,  # nothing of ours is meant for other sites
        autorefresh=app.debug,
    )

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            digest = file_digest(root, values.get("filename", ""))
            if digest:
                values["v"] = digest

    app.jinja_env.globals["inline_css"] = lambda name: inline_css(root, name)


@cache
def file_digest(root: Path, filename: str) -> str:
    """The first 12 hex digits of the file's SHA-256 ("" if there is no such file)."""
    path = (root / filename).resolve()
    if not path.is_file() or root.resolve() not in path.parents:
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@cache
def _css_text(root: Path, name: str) -> str:
    if name not in INLINE_CSS:
        raise ValueError(f"{name} is not in INLINE_CSS (its CSP hash would be missing)")
    return (root / name).read_text(encoding="utf-8")


def inline_css(root: Path, name: str) -> Markup:
    # Our own file from the repository, never user input; the CSP hash covers exactly this text.
    return Markup(_css_text(root, name))  # noqa: S704  # nosec B704


def inline_css_hashes(app: Flask) -> list[str]:
    """CSP sources (``'sha256-…'``) for the style sheets villager pages inline."""
    root = Path(app.static_folder)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(_css_text(root, n).encode()).digest()).decode() + "'"
        for n in INLINE_CSS
    ]
