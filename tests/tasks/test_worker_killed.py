"""The worker is killed mid-send; the message still reaches the villager exactly once."""

from __future__ import annotations

import re
import time

from app.extensions import db as database
from app.models import Notification
from tests.helpers import award, make_household
from tests.push_helpers import bind, deliveries, notifications, wait_until
from tests.tasks.conftest import VISIBILITY_TIMEOUT, needs_worker

pytestmark = needs_worker


def test_killed_worker_the_message_is_redelivered_and_sent_once(sandbox, start_worker):
    household = make_household()
    user = sandbox.user()
    bind(household.members[0], user)
    # WeChat stores the message, then takes 5 s to answer: the worker dies in between.
    sandbox.delay("template_send", 5, after_record=True, times=1)
    first = start_worker("first")

    award(household, 5)
    [notice] = notifications()
    wait_until(lambda: sandbox.inbox(user["openid"]), what="the platform to record the message")
    first.kill()
    killed_at = time.monotonic()

    database.session.expire_all()
    assert database.session.get(Notification, notice.id).status == "pending"
    assert [r.status for r in deliveries(notice.id)] == ["sending"]  # on record before the call

    # The task was never acknowledged: after the visibility timeout Redis hands it out again.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    second = start_worker("second")

    def sent():
        database.session.expire_all()
        return database.session.get(Notification, notice.id).status == "sent"

    wait_until(sent, timeout=60, what="the redelivered task to finish")
    # The very task the first worker had taken, handed out again (not a new one from a sweep).
    task_ids = [re.findall(r"Task push\.deliver\[([0-9a-f-]+)\] received", w.output()) for w in (first, second)]
    assert task_ids[0] and task_ids[1][0] == task_ids[0][0]
    rows = deliveries(notice.id)
    assert len(rows) >= 2 and rows[0].status == "interrupted" and rows[-1].status == "sent"
    assert database.session.get(Notification, notice.id).attempts >= 2
    # Resent with the same client_msg_id, dropped by the platform: one copy on the phone.
    state = sandbox.state()
    assert state["counters"]["calls"]["template_send"] >= 2
    [message] = state["inboxes"][user["openid"]]
    assert message["client_msg_id"] == f"cwt-{notice.id}"
    assert rows[-1].msgid == str(message["msgid"])  # the platform's answer to a dropped repeat
