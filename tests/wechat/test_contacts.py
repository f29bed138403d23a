"""Follower contacts are written behind the callback on the production stack: a SCAN only notes
the openid in Redis, and the periodic ``contacts.flush`` task writes it, so no SCAN waits on the
database. In the embedded default (no Redis) the contact is written at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.extensions import db as database
from app.models import WechatIdentity
from app.models.base import utcnow
from app.services import identity
from tasks.schedule import beat_schedule
from tests.conftest import production_stack
from tests.helpers import code_of, make_household
from tests.wechat.wx import event_xml, openid
from wechat import contacts


def stored(sender: str) -> WechatIdentity | None:
    database.session.expire_all()
    return database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == sender))


def scan(wechat, sender: str, household, at: int = 1764400000):
    reply = wechat.reply(wechat.post(event_xml(sender, "SCAN", f"h_{code_of(household)}", create_time=at)))
    assert reply["MsgType"] == "news"


@pytest.mark.skipif(not production_stack(), reason="write-behind needs Redis; the embedded default writes at once")
def test_a_scan_is_noted_and_written_by_the_periodic_flush(wechat, db):
    household, sender = make_household(), openid()
    scan(wechat, sender, household)
    assert stored(sender) is None  # nothing written inside the request
    assert contacts.flush() == 1
    identity = stored(sender)
    assert identity.subscribed is True and identity.last_seen_at is not None  # a follower from before the app
    assert contacts.flush() == 0  # taken once


@pytest.mark.skipif(not production_stack(), reason="write-behind needs Redis")
def test_an_unfollow_after_a_scan_is_not_undone_by_the_flush(wechat, db):
    household, sender = make_household(), openid()
    wechat.post(event_xml(sender, "subscribe", create_time=1764400000))
    contacts.forget_all()  # the scan lands on a worker that has not seen this follower
    scan(wechat, sender, household, at=1764400010)
    wechat.post(event_xml(sender, "unsubscribe", create_time=1764400020))
    contacts.flush()
    assert stored(sender).subscribed is False


def test_without_redis_or_with_it_the_contact_ends_up_stored(wechat, db):
    household, sender = make_household(), openid()
    scan(wechat, sender, household)
    contacts.flush()  # the periodic task; nothing to do in the embedded default
    assert stored(sender).subscribed is True


def test_the_flush_runs_every_half_minute_unless_the_setting_says_otherwise(app):
    flush = {"task": "contacts.flush", "schedule": 30.0}
    assert app.extensions["celery"].conf.beat_schedule["flush-wechat-contacts"] == flush
    assert beat_schedule({"CONTACTS_FLUSH_SECONDS": 5.0})["flush-wechat-contacts"] == {**flush, "schedule": 5.0}


def test_recording_many_contacts_takes_a_few_statements_and_keeps_what_is_known(db):
    """The flush's write (``identity.touch_many``): newcomers created as following, a follower who
    left stays unsubscribed, one seen just now is not written again; a handful of statements for
    a batch, not a few per follower."""
    left, recent, stale = openid(), openid(), openid()
    now = utcnow()
    database.session.add_all([
        WechatIdentity(openid=left, app="oa", subscribed=False, last_seen_at=now - timedelta(hours=1)),
        WechatIdentity(openid=recent, app="oa", subscribed=True, last_seen_at=now),
        WechatIdentity(openid=stale, app="oa", subscribed=True, last_seen_at=now - timedelta(hours=1)),
    ])  # fmt: skip
    database.session.commit()
    newcomers = [openid() for _ in range(40)]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        assert identity.touch_many([left, recent, stale, *newcomers, "not an openid"]) == 43
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)

    assert len(statements) <= 6, statements
    assert all(stored(o).subscribed for o in newcomers)
    seen = lambda o: identity.aware(stored(o).last_seen_at)  # noqa: E731  (SQLite gives naive times)
    assert stored(left).subscribed is False and seen(left) >= now  # refreshed, still not following
    assert seen(stale) >= now
    assert seen(recent) == now  # seen within the minute: not written again
