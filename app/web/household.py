"""GET /h/<code>: the page a villager sees after scanning a household plaque."""

from __future__ import annotations

import hashlib

from flask import Response, render_template, request

from app.numbers import page_number
from app.services.household_page import cached_view
from app.web import web


def page_arg() -> int:
    """The ``?page=`` argument, clamped; junk means the first page."""
    return page_number(request.args.get("page"))


def _render(view: dict) -> tuple[bytes, str]:
    """HTML and its ETag, computed once and cached together."""
    if view["replaced"]:
        html = render_template("web/replaced.html", village_name=view["village_name"])
    else:
        html = render_template("web/household.html", **view)
    body = html.encode()
    return body, hashlib.blake2b(body, digest_size=12).hexdigest()


@web.get("/h/<code>")
def household(code: str):
    body, etag = cached_view(code, page_arg(), "html", _render)
    # Revalidate each time (points change) but let an unchanged page cost a 304 on weak 4G.
    headers = {"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"}
    if etag in request.if_none_match:
        response = Response(status=304, headers=headers)
    else:
        response = Response(body, content_type="text/html; charset=utf-8", headers=headers)
    response.set_etag(etag)
    return response
