"""Beat as a real process (production stack): ``celery -A tasks.worker beat`` sends the contacts
flush on its schedule, and a real worker writes the followers the callback only noted in Redis."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db as database
from app.extensions import redis_client
from app.models import WechatIdentity
from tests.push_helpers import wait_until
from tests.tasks.conftest import needs_worker
from wechat import contacts

pytestmark = [needs_worker, pytest.mark.usefixtures("sandbox")]  # sandbox: an empty session queue

FLUSH = "flush-wechat-contacts"
FLUSHED = re.compile(r"Task contacts\.flush\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)")


def stored(openid: str) -> WechatIdentity | None:
    database.session.expire_all()
    return database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == openid))


def test_beat_has_the_worker_write_the_contacts_the_callback_noted(app, start_worker, start_beat):
    follower = f"oBeat{uuid.uuid4().hex}"
    pending, redis = app.config["CACHE_KEY_PREFIX"] + contacts.PENDING, redis_client.client
    contacts.in_touch(follower)  # what the callback does on a scan, message or menu click
    try:
        assert redis.sismember(pending, follower) and stored(follower) is None  # noted, not written
        worker = start_worker("beat")
        beat = start_beat()  # CONTACTS_FLUSH_SECONDS=1 in its environment
        # Well under the default half minute, so a beat that ignored the setting fails here too.
        identity = wait_until(lambda: stored(follower), timeout=15, what="beat's flush to write the contact")
        assert not redis.sismember(pending, follower)  # taken out of the set, so written once
    finally:
        redis.srem(pending, follower)  # never left behind for a later test's flush

    assert identity.subscribed is True and identity.last_seen_at is not None  # a follower from before the app
    assert (identity.app, identity.villager_id) == ("oa", None)
    # Beat sent the flush, and only the flush: the other jobs kept their own intervals (a minute
    # and more), so none of them is due yet.
    sent = beat.sent()
    assert sent and set(sent) == {FLUSH}, sent
    # The row was written by a flush the worker ran: one of them reports a contact written.
    flushed = wait_until(lambda: FLUSHED.findall(worker.output()), what="the worker to log the flush")
    assert max(map(int, flushed)) >= 1
    assert "Traceback" not in worker.output() + beat.output()
