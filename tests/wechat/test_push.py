"""wechat.push.deliver against the sandbox over real HTTP: channels, outcomes, the delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db as database
from app.models import Notification, NotificationDelivery, WechatIdentity
from app.models.base import utcnow
from app.services import outbox
from tests.helpers import award, code_of, make_household
from tests.push_helpers import bind, deliveries, notifications, quiet_sandbox
from wechat import push
from wechat.claims import claim


@pytest.fixture
def sandbox(live_server, db, monkeypatch):
    return quiet_sandbox(live_server, monkeypatch)


@pytest.fixture
def household(db):
    return make_household(members=2)


def awarded(household, points=5, reason="清扫屋场公共道路") -> Notification:
    award(household, points, reason=reason)
    return notifications()[-1]


def test_template_message_is_sent_once_with_our_client_msg_id(sandbox, household):
    user = sandbox.user()
    bind(household.members[0], user)
    notice = awarded(household, reason="清扫屋场公共道路及房前屋后的排水沟并清运垃圾")

    assert push.deliver(notice.id) == "sent"

    [message] = sandbox.inbox(user["openid"])
    assert message["kind"] == "template" and message["template_id"] == "points-awarded"
    assert message["client_msg_id"] == f"cwt-{notice.id}"
    assert message["url"].endswith(f"/h/{code_of(household)}")
    assert message["data"]["thing1"] == "清扫屋场公共道路及房前屋后的排水沟并清…"  # 20 characters
    assert message["data"]["character_string2"] == "+5"
    [row] = deliveries(notice.id)
    assert (row.channel, row.status, row.openid, row.msgid) == (
        "oa_template",
        "sent",
        user["openid"],
        str(message["msgid"]),
    )
    database.session.refresh(notice)
    assert notice.status == "sent" and notice.sent_at is not None and notice.attempts == 1
    # Delivering again (a duplicate task) does nothing at all.
    calls = sandbox.calls("template_send")
    assert push.deliver(notice.id) == "sent"
    assert sandbox.calls("template_send") == calls and len(sandbox.inbox(user["openid"])) == 1


def test_missing_notification_is_logged_not_raised(sandbox, caplog):
    assert push.deliver(987654) == "missing"
    assert "987654" in caplog.text


def test_unfollowed_user_is_recorded_not_retried_and_kept_in_the_inbox(sandbox, household):
    user = sandbox.user(follows=False)  # we still think they follow: the platform knows better
    bind(household.members[0], user)
    notice = awarded(household)
    assert push.deliver(notice.id) == "inbox_only"
    [row] = deliveries(notice.id)
    assert (row.status, row.errcode) == ("error", 43004)
    assert sandbox.inbox(user["openid"]) == []
    # Now we know they left: the next notice does not even try the official account.
    identity = database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == user["openid"]))
    assert identity.subscribed is False
    calls = sandbox.calls("template_send")
    assert push.deliver(awarded(household, reason="第二次").id) == "inbox_only"
    assert sandbox.calls("template_send") == calls


def test_refused_template_falls_back_to_an_accepted_subscribe_message(sandbox, household):
    user = sandbox.user(follows=False)
    head = household.members[0]
    bind(head, user)
    bind(head, user, app="mp")
    sandbox.accept(user["mp_openid"], "mp-points-awarded")
    notice = awarded(household, reason="清扫屋场公共道路及房前屋后的排水沟并清运垃圾")

    assert push.deliver(notice.id) == "sent"
    [message] = sandbox.inbox(user["openid"])
    assert message["kind"] == "subscribe" and message["touser"] == user["mp_openid"]
    assert len(message["data"]["thing1"]) == 20
    assert [(r.channel, r.status, r.errcode) for r in deliveries(notice.id)] == [
        ("oa_template", "error", 43004),
        ("mp_subscribe", "sent", None),
    ]


def test_subscribe_message_without_acceptance_is_43101_and_inbox_only(sandbox, household):
    user = sandbox.user()
    bind(household.members[0], user, app="mp")
    notice = awarded(household)
    assert push.deliver(notice.id) == "inbox_only"
    [row] = deliveries(notice.id)
    assert (row.channel, row.errcode) == ("mp_subscribe", 43101)


def test_a_retry_skips_the_channel_that_refused_for_good(sandbox, household):
    user = sandbox.user(follows=False)
    bind(household.members[0], user)
    bind(household.members[0], user, app="mp")
    sandbox.accept(user["mp_openid"], "mp-points-awarded")
    sandbox.fail("subscribe_send", 45009, times=2)
    notice = awarded(household)
    with pytest.raises(push.RetryLater):
        push.deliver(notice.id)  # template: 43004 for good; subscribe: rate limited
    calls = sandbox.calls("template_send")
    assert push.deliver(notice.id) == "sent"
    assert sandbox.calls("template_send") == calls  # not asked again
    assert [(r.channel, r.status) for r in deliveries(notice.id)][-1] == ("mp_subscribe", "sent")


def test_rate_limit_asks_for_a_retry_then_delivers(sandbox, household):
    user = sandbox.user()
    bind(household.members[0], user)
    notice = awarded(household)
    sandbox.fail("template_send", 45009, times=2)  # the client itself tries twice
    with pytest.raises(push.RetryLater, match="45009"):
        push.deliver(notice.id)
    database.session.refresh(notice)
    assert notice.status == "pending"
    assert push.deliver(notice.id) == "sent"
    assert [(r.status, r.errcode) for r in deliveries(notice.id)] == [("error", 45009), ("sent", None)]
    assert len(sandbox.inbox(user["openid"])) == 1


def test_unreachable_platform_asks_for_a_retry(sandbox, household, app, monkeypatch):
    user = sandbox.user()
    bind(household.members[0], user)
    notice = awarded(household)
    reachable = app.config["WECHAT_API_BASE"]
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9/sandbox")  # nothing listens
    with pytest.raises(push.RetryLater):
        push.deliver(notice.id)
    [row] = deliveries(notice.id)
    assert row.status == "error" and row.errcode is None and row.errmsg
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", reachable)  # the network is back
    assert push.deliver(notice.id) == "sent"
    assert len(sandbox.inbox(user["openid"])) == 1


def test_interrupted_template_send_is_resent_and_dropped_by_the_platform(sandbox, household):
    """The worker died after WeChat stored the message: the resend carries the same client_msg_id."""
    user = sandbox.user()
    bind(household.members[0], user)
    notice = awarded(household)
    assert push.deliver(notice.id) == "sent"
    simulate_crash_after_send(notice)
    calls = sandbox.calls("template_send")

    assert push.deliver(notice.id) == "sent"
    assert sandbox.calls("template_send") == calls + 1  # sent again …
    assert len(sandbox.inbox(user["openid"])) == 1  # … and dropped by the platform
    assert [r.status for r in deliveries(notice.id)] == ["interrupted", "sent"]


def test_interrupted_subscribe_send_is_not_repeated(sandbox, household):
    """Subscribe messages have no client_msg_id: an unknown outcome is never sent again."""
    user = sandbox.user()
    bind(household.members[0], user, app="mp")
    sandbox.accept(user["mp_openid"], "mp-points-awarded", times=2)
    notice = awarded(household)
    assert push.deliver(notice.id) == "sent"
    simulate_crash_after_send(notice)
    calls = sandbox.calls("subscribe_send")

    assert push.deliver(notice.id) == "inbox_only"
    assert len(sandbox.inbox(user["openid"])) == 1 and sandbox.calls("subscribe_send") == calls


def test_interrupted_template_send_outside_the_dedupe_window_is_not_repeated(sandbox, household):
    user = sandbox.user()
    bind(household.members[0], user)
    notice = awarded(household)
    assert push.deliver(notice.id) == "sent"
    simulate_crash_after_send(notice, ago=timedelta(minutes=11))
    calls = sandbox.calls("template_send")
    assert push.deliver(notice.id) == "inbox_only"
    assert sandbox.calls("template_send") == calls


def simulate_crash_after_send(notice: Notification, ago: timedelta = timedelta(0)) -> None:
    """As if the process died during the platform call: the row still says ``sending``."""
    [row] = deliveries(notice.id)
    row.status, row.msgid, row.at = "sending", None, utcnow() - ago
    database.session.get(Notification, notice.id).status = "pending"
    database.session.commit()


@pytest.mark.parametrize("account_type", ["subscription", "service"])
def test_accounts_without_template_messages_keep_the_inbox_only(sandbox, household, app, monkeypatch, account_type):
    monkeypatch.setitem(app.config, "WECHAT_ACCOUNT_TYPE", account_type)
    bind(household.members[0], sandbox.user())
    notice = awarded(household)
    assert push.deliver(notice.id) == "inbox_only"
    assert deliveries(notice.id) == [] and sandbox.calls("template_send") == 0


def test_unsubscribed_identity_and_unbound_people_are_not_tried(sandbox, household):
    bind(household.members[0], sandbox.user(), subscribed=False)
    notice = awarded(household)
    assert push.deliver(notice.id) == "inbox_only"
    assert deliveries(notice.id) == []


def test_welcome_uses_the_welcome_template(sandbox, household):
    user = sandbox.user()
    head = household.members[0]
    identity = bind(head, user)
    notice = outbox.notify(
        head.id, "welcome", "绑定成功", "刘建华，你好！你的微信已绑定大苍村0101号。",
        dedupe_key=f"welcome:{identity.id}:{head.id}:1", household_id=household.id,
        data={"name": head.name, "household": "大苍村0101号", "time": "2026-03-07 10:00"},
    )  # fmt: skip
    database.session.commit()
    assert push.deliver(notice.id) == "sent"
    [message] = sandbox.inbox(user["openid"])
    assert message["template_id"] == "binding-welcome" and message["data"]["name"] == head.name
    assert "url" not in message or message["url"] is None


def test_give_up_marks_failed_with_the_reason(sandbox, household):
    bind(household.members[0], sandbox.user())
    notice = awarded(household)
    push.give_up(notice.id, "7 tries: oa_template: 45009 reach max api daily quota limit")
    database.session.refresh(notice)
    assert notice.status == "failed"
    [row] = deliveries(notice.id)
    assert row.status == "failed" and "45009" in row.errmsg
    assert push.deliver(notice.id) == "failed"  # a late duplicate changes nothing


def test_a_notification_claimed_by_another_task_is_retried_later(sandbox, household):
    bind(household.members[0], sandbox.user())
    notice = awarded(household)
    with claim(f"push:{notice.id}", "another-task", 30) as held:
        assert held
        with pytest.raises(push.RetryLater, match="another task"):
            push.deliver(notice.id, owner="this-task")
        assert push.deliver(notice.id, owner="another-task") == "sent"  # its own claim: taken over
    assert len(database.session.scalars(database.select(NotificationDelivery)).all()) == 1
