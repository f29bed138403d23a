"""Tasks in-process (the embedded default): awarding points delivers right after the commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db as database
from app.models import Notification, NotificationDelivery
from app.models.base import utcnow
from app.services import dispatch
from tests.helpers import award, make_household
from tests.push_helpers import bind, deliveries, notifications


@pytest.fixture
def inline(app, monkeypatch):
    """Tasks run in this process right after the commit that queued them, on either stack."""
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)
    monkeypatch.setitem(app.config, "TASKS_INLINE_SYNC", True)


def test_award_is_delivered_in_process_through_the_sandbox(sandbox, inline):
    household = make_household()
    user = sandbox.user()
    bind(household.members[0], user)

    award(household, 5, reason="清扫屋场公共道路")

    [notice] = notifications()
    assert notice.status == "sent"
    [message] = sandbox.inbox(user["openid"])
    assert message["client_msg_id"] == f"cwt-{notice.id}" and message["data"]["character_string2"] == "+5"
    assert [r.status for r in deliveries(notice.id)] == ["sent"]


def test_retries_in_process_end_in_failed_with_the_reason(sandbox, inline, app, monkeypatch):
    """Eager retries do not wait; after the last one the notification is marked failed."""
    monkeypatch.setitem(app.config, "WECHAT_RATE_LIMIT_BACKOFF", 0.01)
    household = make_household()
    bind(household.members[0], sandbox.user())
    sandbox.fail("template_send", 45009, times=100)
    award(household, 5)
    [notice] = notifications()
    assert notice.status == "failed" and notice.attempts == 7
    last = deliveries(notice.id)[-1]
    assert last.channel == "give_up" and "7 tries" in last.errmsg and "45009" in last.errmsg


def test_beat_sweeps_pending_notifications_every_minute(app):
    job = app.extensions["celery"].conf.beat_schedule["sweep-pending-notifications"]
    assert job["task"] == "push.sweep" and job["schedule"] <= 60


def test_sweep_picks_up_only_what_was_missed(sandbox, inline, app, monkeypatch):
    household = make_household(members=4)
    for person in household.members:
        bind(person, sandbox.user(nickname=person.name))
    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "send", lambda name, *args: None)  # every hand-off is lost
        award(household, 5)
    missed, fresh, tried, done = notifications()
    long_ago = utcnow() - timedelta(minutes=30)
    for notice in (missed, tried, done):
        notice.created_at = long_ago
    database.session.add(NotificationDelivery(notification_id=tried.id, channel="oa_template", status="error",
                                              errcode=45009, at=utcnow() - timedelta(seconds=20)))  # fmt: skip
    done.status = "inbox_only"
    database.session.commit()

    assert app.extensions["celery"].tasks["push.sweep"].apply().get() == 1

    database.session.expire_all()
    status = {n.id: n.status for n in database.session.scalars(database.select(Notification))}
    assert status == {missed.id: "sent", fresh.id: "pending", tried.id: "pending", done.id: "inbox_only"}
