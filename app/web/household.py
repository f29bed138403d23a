"""GET /h/<code>: the page a villager sees after scanning a household plaque."""

from __future__ import annotations

from flask import make_response, render_template, request

from app.services.household_page import cached_view
from app.web import web


def page_arg() -> int:
    """The ``?page=`` argument, clamped; junk means the first page."""
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _render(view: dict) -> bytes:
    if view["replaced"]:
        html = render_template("web/replaced.html", village_name=view["village_name"])
    else:
        html = render_template("web/household.html", **view)
    return html.encode()


@web.get("/h/<code>")
def household(code: str):
    response = make_response(cached_view(code, page_arg(), "html", _render))
    response.content_type = "text/html; charset=utf-8"
    # Revalidate each time (points change) but let an unchanged page cost a 304 on weak 4G.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    response.add_etag()
    return response.make_conditional(request)
