"""The embedded default runs tasks on a thread pool after commit, without piling up futures."""

from __future__ import annotations

import threading

from app.services import dispatch


def test_inline_tasks_run_in_the_background_and_are_not_hoarded(app, db, monkeypatch):
    ran = []
    done = threading.Event()
    celery = app.extensions["celery"]

    @celery.task(name="test.remember")
    def remember(value):
        ran.append(value)
        if len(ran) == 30:
            done.set()

    monkeypatch.setitem(app.config, "TASKS_INLINE", True)
    monkeypatch.setitem(app.config, "TASKS_INLINE_SYNC", False)
    for i in range(30):
        dispatch.send("test.remember", i)
    dispatch.wait_for_inline_tasks()
    assert done.wait(5) and sorted(ran) == list(range(30))
    dispatch.send("test.remember", 30)
    dispatch.wait_for_inline_tasks()
    assert len(dispatch._pending) <= 1  # finished futures were dropped, not kept forever
