"""Hand work to background workers by task name; ``app`` never imports ``tasks/``.

With a broker (production, Redis) a task is sent to Celery with ``send_task``. The embedded
default has no broker: the same task runs in this process on a small thread pool, after the
commit that asked for it, so a request never waits on WeChat.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import current_app

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inline-task")
_pending: list[Future] = []
_lock = threading.Lock()


def send(name: str, *args) -> None:
    """Run task ``name`` with ``args`` in the background (never raises into the caller)."""
    app = current_app._get_current_object()
    celery = app.extensions["celery"]
    if not app.config["TASKS_INLINE"]:
        try:
            celery.send_task(name, args=list(args))
        except Exception:  # broker down: the periodic sweep sends it later
            log.warning("could not queue task %s; the sweep will retry", name)
        return
    if app.config.get("TASKS_INLINE_SYNC"):
        _run_inline(celery, name, args)
        return
    with _lock:
        # Keep only unfinished futures: a long-running embedded server must not collect them all.
        _pending[:] = [f for f in _pending if not f.done()]
        _pending.append(_pool.submit(_run_inline, celery, name, args))


def _run_inline(celery, name: str, args) -> None:
    try:
        celery.tasks[name].apply(args=list(args), throw=False)
    except Exception:
        log.exception("inline task %s failed", name)


def wait_for_inline_tasks(timeout: float = 10) -> None:
    """Block until in-process tasks queued so far are done (tests, CLI commands)."""
    with _lock:
        waiting = list(_pending)
    for future in waiting:
        future.result(timeout=timeout)
