"""The one parser of whole numbers that come from people: record ids, page numbers, group
numbers and points in forms and query strings, for views and services alike.

Only ASCII digits count. ``str.isdigit()`` says yes to ``'²'`` and then ``int('²')`` raises (that
was a 500 on ``?page=²``); ``int()`` alone also takes ``'١٢'``, ``'1_000'`` and ``' 7 '``. A
value that is not a plain number, or is outside the range a column holds, is simply ``None``:
the caller decides whether that means "none chosen", the first page, a 404 or a Chinese message.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # an ``integer`` id column; anything larger is a database error on PostgreSQL
MAX_BIG_ID = 2**63 - 1  # a ``bigint`` id column (photos, ledger entries)
MAX_PAGE = 10_000  # no list is that long; a larger page number would only make a huge OFFSET


def whole(value, *, low: int | None = None, high: int | None = None, signed: bool = False) -> int | None:
    """``value`` as an int when it is ASCII digits (with a leading sign if ``signed``) inside
    ``low..high``; otherwise None."""
    text = str(value).strip() if value is not None else ""
    digits = text[1:] if signed and text[:1] in ("+", "-") else text
    if not digits or len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def row_id(value, limit: int = MAX_ID) -> int | None:
    """A record id (1 … ``limit``) from a form, link or URL, or None."""
    return whole(value, low=1, high=limit)


def page_number(value, last: int = MAX_PAGE) -> int:
    """A ``?page=`` number: junk or nothing means the first page, a huge one the last allowed."""
    number = whole(value, low=1)
    return 1 if number is None else min(number, last)
