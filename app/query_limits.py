"""How long a value in a query string (or a search form) may be.

Search boxes stop at ``SEARCH_MAXLENGTH`` characters in the browser; a longer value only comes
from an edited or pasted URL. It is refused with a Chinese 400 before any view searches with it,
and before a POSTed search is redirected to a GET URL long enough for gunicorn to answer with
its English "Request Line is too large" (gunicorn.conf.py raises that limit for what is left).
"""

from __future__ import annotations

from app.errors import ValidationError

SEARCH_MAXLENGTH = 50  # the ``maxlength`` of every search box
MAX_VALUE = 200  # any query value; a search a little over the box's limit is still answered
# ``?next=`` holds one of our own URLs, its query percent-encoded once more (a 50-character
# Chinese search is 450 characters there).
LONGER = {"next": 2000}


def refuse_long(values) -> None:
    """Raise ``ValidationError`` when a value of ``values`` (a MultiDict) is too long."""
    for key, value in values.items(multi=True):
        limit = LONGER.get(key, MAX_VALUE)
        if len(value) > limit:
            raise ValidationError(f"输入的内容太长了（最多 {limit} 个字），请删短一些再试。", field=key)
