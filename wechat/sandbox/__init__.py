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

State is kept in the app cache (``state``), so several processes share one platform.
"""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates")

from wechat.sandbox import codes, control, login, menu, messages, simulator, tokens  # noqa: E402, F401
from wechat.sandbox.api import PlatformError, error  # noqa: E402


@bp.errorhandler(PlatformError)
def _platform_error(exc: PlatformError):
    """A PlatformError raised anywhere in an endpoint becomes the platform's JSON answer."""
    return error(exc.errcode, exc.errmsg)
