"""GET /h/<code>: the page a villager sees after scanning a household plaque."""

from __future__ import annotations

import hashlib

from flask import Response, g, render_template, request

from app.extensions import compress
from app.numbers import page_number
from app.services.household_page import cached_view, rules_view
from app.web import web


def page_arg() -> int:
    """The ``?page=`` argument, clamped; junk means the first page."""
    return page_number(request.args.get("page"))


def _render(view: dict) -> tuple[bytes, str]:
    """HTML and its ETag, computed once and cached together."""
    if view["replaced"]:
        html = render_template("web/replaced.html", village_name=view["village_name"], village=view["village"],
                               code=view["code"])  # fmt: skip
    else:
        html = render_template("web/household.html", **view)
    body = html.encode()
    return body, hashlib.blake2b(body, digest_size=12).hexdigest()


@web.get("/h/<code>")
@compress.compressed()
def household(code: str):
    body, etag = cached_view(code, page_arg(), "html", _render)
    g.compress_key = etag  # Flask-Compress keeps one compressed copy per page version
    # Revalidate each time (points change) but let an unchanged page cost a 304 on weak 4G.
    headers = {"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"}
    # Flask-Compress sends the compressed page's ETag as "<etag>:gzip" (or :br, :zstd).
    if etag in request.if_none_match or any(t.split(":")[0] == etag for t in request.if_none_match.as_set()):
        response = Response(status=304, headers=headers)
    else:
        response = Response(body, content_type="text/html; charset=utf-8", headers=headers)
    response.set_etag(etag)
    return response


@web.get("/h/<code>/rules")
def rules(code: str):
    """积分细则: what earns points in the plaque's village, one tap from the household page."""
    response = Response(render_template("web/rules.html", **rules_view(code)), content_type="text/html; charset=utf-8")
    response.headers["X-Robots-Tag"] = "noindex"
    return response
