"""The push pipeline through a real Celery worker process (production stack)."""

from __future__ import annotations

import time
from datetime import timedelta

from app.extensions import db as database
from app.models import Notification
from app.services import dispatch
from tests.helpers import award, make_household
from tests.push_helpers import bind, deliveries, notifications, wait_until
from tests.tasks.conftest import needs_worker

pytestmark = needs_worker


def settled(notice_id: int, status: str = "sent"):
    def check():
        database.session.expire_all()
        notice = database.session.get(Notification, notice_id)
        return notice if notice.status == status else None

    return check


def test_awarded_points_reach_the_bound_member_once(sandbox, start_worker):
    start_worker()
    household = make_household(members=2)
    user = sandbox.user()
    bind(household.members[0], user)

    award(household, 5, reason="清扫屋场公共道路")  # the commit hands the notice to the worker
    [notice] = notifications()
    notice = wait_until(settled(notice.id), what="the worker to send the notice")

    [message] = sandbox.inbox(user["openid"])
    assert message["client_msg_id"] == f"cwt-{notice.id}"
    assert message["data"]["thing1"] == "清扫屋场公共道路"
    assert [(r.channel, r.status, r.msgid) for r in deliveries(notice.id)] == [
        ("oa_template", "sent", str(message["msgid"]))
    ]
    assert notice.attempts == 1 and notice.sent_at is not None


def test_unfollowed_user_is_recorded_and_not_retried(sandbox, start_worker):
    start_worker()
    household = make_household()
    user = sandbox.user(follows=False)
    bind(household.members[0], user)

    award(household, 5)
    [notice] = notifications()
    notice = wait_until(settled(notice.id, "inbox_only"), what="the refusal to be recorded")
    time.sleep(1.5)  # longer than several retry backoffs in this configuration: none happens
    database.session.expire_all()
    assert database.session.get(Notification, notice.id).attempts == 1
    [row] = deliveries(notice.id)
    assert (row.status, row.errcode) == ("error", 43004)
    assert sandbox.calls("template_send") >= 1 and sandbox.inbox(user["openid"]) == []


def test_rate_limited_send_is_retried_with_backoff_then_delivered(sandbox, start_worker):
    start_worker()
    household = make_household()
    user = sandbox.user()
    bind(household.members[0], user)
    # 45009 four times: the client retries once itself, so the task sees it twice and retries twice.
    sandbox.fail("template_send", 45009, times=4)

    award(household, 5)
    [notice] = notifications()
    notice = wait_until(settled(notice.id), what="delivery after the retries")

    rows = deliveries(notice.id)
    assert [(r.status, r.errcode) for r in rows] == [("error", 45009), ("error", 45009), ("sent", None)]
    assert rows[1].at - rows[0].at >= timedelta(seconds=0.2)  # waited (backoff), not hammered
    assert notice.attempts == 3
    assert len(sandbox.inbox(user["openid"])) == 1


def test_sweep_sends_a_notice_whose_hand_off_was_missed(sandbox, start_worker, app, monkeypatch):
    household = make_household()
    user = sandbox.user()
    bind(household.members[0], user)
    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "send", lambda name, *args: None)  # the broker was down at commit
        award(household, 5)
    [notice] = notifications()
    notice.created_at -= timedelta(minutes=2)
    database.session.commit()

    start_worker()
    time.sleep(1)
    assert database.session.get(Notification, notice.id).status == "pending"  # nobody knew of it
    app.extensions["celery"].send_task("push.sweep")  # what beat sends every minute
    notice = wait_until(settled(notice.id), what="the swept notice to be sent")
    assert len(sandbox.inbox(user["openid"])) == 1
