"""Run the suite on a chosen day: ``TEST_CLOCK=2028-02-29 make test``.

The services read the date only through ``app.services.clock``; time-machine moves every clock
of the process (and of the Celery workers tests start, which call this too), so a run with
``TEST_CLOCK`` set proves that nothing depends on the day the suite happens to run. The clock
keeps ticking from 10:00 Beijing time of that day.

Every process of a run shares one timeline: the first computes how far the day lies from now
(``TEST_CLOCK_OFFSET``, inherited by xdist workers and Celery subprocesses), so a worker started
a minute later is a minute later on the test clock too (visibility timeouts, TTLs and expiry
compare times across processes).
"""

from __future__ import annotations

import os
import time as wall
from datetime import datetime, time

_travel = None


def start_from_env() -> None:
    """Travel to ``TEST_CLOCK`` (YYYY-MM-DD, or an ISO datetime) once per process, if it is set."""
    global _travel
    raw = os.environ.get("TEST_CLOCK")
    if not raw or _travel is not None:
        return
    import time_machine

    from app.services.clock import VILLAGE_TZ

    if "TEST_CLOCK_OFFSET" not in os.environ:
        moment = datetime.fromisoformat(raw)
        if len(raw) == 10:
            moment = datetime.combine(moment.date(), time(10, 0))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VILLAGE_TZ)
        os.environ["TEST_CLOCK_OFFSET"] = repr(moment.timestamp() - wall.time())
    _travel = time_machine.travel(wall.time() + float(os.environ["TEST_CLOCK_OFFSET"]), tick=True)
    _travel.start()
