"""The local stand-in for the WeChat platform (W7), served at ``/sandbox`` in sandbox mode only.

Production client code reaches it over real HTTP: a real path such as
``https://api.weixin.qq.com/cgi-bin/token`` becomes ``PUBLIC_BASE_URL/sandbox/cgi-bin/token``.
Endpoints (errors as the platform gives them: ``{"errcode", "errmsg"}``, HTTP 200):

- ``tokens``: ``GET cgi-bin/token``, ``POST cgi-bin/stable_token``
- ``codes``: ``POST cgi-bin/qrcode/create``, ``GET cgi-bin/showqrcode``, ``GET q/<ticket>``,
  ``POST wxa/getwxacodeunlimit``, ``GET mp``
- ``login``: ``GET sns/jscode2session``, ``GET connect/oauth2/authorize``,
  ``GET sns/oauth2/access_token``
- ``messages``: ``POST cgi-bin/message/template/send``, ``POST cgi-bin/message/subscribe/send``
- ``menu``: ``POST cgi-bin/menu/create``, ``GET cgi-bin/menu/get``
- ``simulator``: the page ``/sandbox/`` (users, scan, chat, menu, inbox)
- ``control``: ``/sandbox/_control/…`` for tests (see that module)

Nothing here carries a CSRF token (the platform's APIs are called server to server, tests drive
the control API over plain HTTP), so a request that changes anything and comes from a browser
must come from this site: a page elsewhere open in the developer's browser cannot reset the
platform, create users or push events into the app (``_same_site_only``).

State is kept in the app cache (``state``), so several processes share one platform.
"""

from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates")

from wechat.sandbox import codes, control, login, menu, messages, simulator, tokens  # noqa: E402, F401
from wechat.sandbox.api import PlatformError, error  # noqa: E402

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def _same_site_only():
    """Refuse a state-changing request a browser sent from another site (Fetch Metadata, or
    Origin for browsers without it). Callers that are not browsers send neither header."""
    if request.method in SAFE_METHODS:
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site is not None:
        allowed = fetch_site in ("same-origin", "none")
    else:
        allowed = origin is None or urlsplit(origin).netloc == request.host
    if allowed:
        return None
    return jsonify({"ok": False, "error": "沙盒只接受本站页面发来的请求。"}), 403


@bp.errorhandler(PlatformError)
def _platform_error(exc: PlatformError):
    """A PlatformError raised anywhere in an endpoint becomes the platform's JSON answer."""
    return error(exc.errcode, exc.errmsg)
