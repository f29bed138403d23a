"""The services' one clock: today and now, in the villages' time zone.

Everything in ``app/`` that needs the date or the time asks here, so a test sets the clock in one
place (time-machine) and the suite passes on any day of the year. Models' column defaults keep
their own ``datetime.now`` (models know nothing of services); time-machine moves that too.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Villages live on Beijing time; month and year boundaries and "not in the future" follow it.
VILLAGE_TZ = ZoneInfo(os.environ.get("TIMEZONE", "Asia/Shanghai"))


def now() -> datetime:
    """This moment, timezone-aware in UTC (what the database stores)."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """This moment on the villages' wall clock."""
    return datetime.now(VILLAGE_TZ)


def today() -> date:
    """Today in the villages' time zone, whatever the server's clock zone is."""
    return local_now().date()


def timestamp() -> float:
    """Seconds since the epoch, for expiry checks of sessions and uploads."""
    return time.time()
