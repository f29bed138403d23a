"""Push notifications to WeChat (W4): template and subscribe messages, one delivery log row per try.

A notification is the villager's inbox entry already; this only tries to put it on their phone.
Channels, in order: the official account's template message (free, but needs a verified service
account and a follower), then the mini-program's subscribe message (each send uses up one
acceptance, so it is only the fallback). The first channel that delivers ends the job.

Never twice: every try writes its ``sending`` row and commits *before* calling the platform, a
retry skips a channel that already delivered, and the notification id travels as
``client_msg_id``, so a resend after a crash within the platform's ten-minute window is dropped
by WeChat. A try whose outcome is unknown (the process died during the call) is resent only
where the platform dedupes it; otherwise the villager keeps it in the inbox only.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Notification, NotificationDelivery, WechatIdentity
from app.services import clock, dispatch
from config import ConfigError
from wechat.claims import claim
from wechat.client import WechatError, WechatUnavailable, get_client
from wechat.fields import TEMPLATE_FIELD_MAX, template_data

log = logging.getLogger(__name__)

OA, MP = "oa_template", "mp_subscribe"
# Trying the same message again will not help: not following (43004), no subscribe quota
# (43101), bad openid (40003), bad template (40037), bad field (47003), no permission (48001).
# Any other refusal is treated the same way; only these are worth another try later:
TRANSIENT = frozenset({45009, -1, 40001, 40014, 42001})  # rate limit, busy, token trouble
NOT_FOLLOWING = 43004
# kind → (official-account template setting, mini-program template setting)
TEMPLATES = {
    "points_awarded": ("WECHAT_TEMPLATE_POINTS", "MP_TEMPLATE_POINTS"),
    "welcome": ("WECHAT_TEMPLATE_WELCOME", "MP_TEMPLATE_WELCOME"),
}
# Our keywords per kind: what a notification's data holds (app/services/points_notices.py and
# identity_proof.py fill them), as the sandbox's templates name them. A real template picked in
# a console may name its fields otherwise; its ``*_KEYS`` setting maps theirs to ours.
FIELDS = {
    "points_awarded": ("thing1", "character_string2", "thing3", "date4", "character_string5"),
    "welcome": ("name1", "thing2", "time3"),
}
CLAIM_SECONDS = 120  # longer than any one try (two channels, each a bounded HTTP exchange)
SWEEP_MAX_ATTEMPTS = 20  # a notification that keeps crashing its task is left to the inbox


class RetryLater(Exception):
    """A temporary failure (rate limit, network, token): the task tries again with backoff."""


def deliver(notification_id: int, owner: str | None = None) -> str:
    """Try to put one notification on the recipient's phone; returns its status afterwards.

    ``owner`` is the task id: a task redelivered after its worker died may take over its own
    claim; a different task finding the notification claimed retries later.
    """
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        log.warning("push: notification %s not found; nothing to deliver", notification_id)
        return "missing"
    if notification.status != "pending":
        return notification.status
    with claim(f"push:{notification_id}", owner or uuid.uuid4().hex, CLAIM_SECONDS) as claimed:
        if not claimed:
            raise RetryLater(f"notification {notification_id} is being delivered by another task")
        db.session.refresh(notification)
        if notification.status != "pending":
            return notification.status
        notification.attempts += 1
        db.session.commit()
        if _delivered_before(notification.id):
            return _finish(notification, "sent")
        for channel, identity, template_id in _channels(notification):
            outcome = _try_channel(notification, channel, identity, template_id)
            if outcome == "sent":
                return _finish(notification, "sent")
            if outcome == "unknown":
                break  # it may have arrived: falling back to another channel could send it twice
        return _finish(notification, "inbox_only")


def give_up(notification_id: int, reason: str) -> None:
    """After the last retry: mark the notification failed and log why (the inbox still has it)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.status != "pending":
        return
    notification.status = "failed"
    db.session.add(
        NotificationDelivery(notification_id=notification.id, channel="give_up", status="failed", errmsg=reason[:255])
    )
    db.session.commit()
    log.warning("push: gave up on notification %s: %s", notification_id, reason)


def sweep() -> int:
    """Queue again what is still pending: older than a minute and not tried for a while."""
    config = current_app.config
    now = clock.now()
    created_before = now - timedelta(seconds=config.get("PUSH_SWEEP_AFTER_SECONDS", 60))
    quiet_since = now - timedelta(seconds=config.get("PUSH_SWEEP_QUIET_SECONDS", 900))
    last_try = (
        select(func.max(NotificationDelivery.at))
        .where(NotificationDelivery.notification_id == Notification.id)
        .scalar_subquery()
    )
    ids = db.session.scalars(
        select(Notification.id)
        .where(
            Notification.status == "pending",
            Notification.created_at < created_before,
            Notification.attempts < SWEEP_MAX_ATTEMPTS,
            or_(last_try.is_(None), last_try < quiet_since),
        )
        .order_by(Notification.id)
        .limit(config.get("PUSH_SWEEP_BATCH", 500))
    ).all()
    db.session.rollback()  # end the read before handing off (the inline stack runs tasks here)
    for notification_id in ids:
        dispatch.send("push.deliver", notification_id)
    if ids:
        log.info("push: swept %d pending notifications", len(ids))
    return len(ids)


def _channels(notification: Notification) -> list[tuple[str, WechatIdentity, str]]:
    """The channels this recipient can receive this kind of message on, in order of preference."""
    config = current_app.config
    if not config.get("WECHAT_ENABLED"):
        return []
    oa_setting, mp_setting = TEMPLATES.get(notification.kind, (None, None))
    identities = {
        i.app: i
        for i in db.session.scalars(
            select(WechatIdentity).where(WechatIdentity.villager_id == notification.villager_id)
        )
    }
    found = []
    oa, oa_template = identities.get("oa"), config.get(oa_setting) if oa_setting else None
    # Template messages need a verified service account (认证服务号) and a follower.
    if oa and oa.subscribed and oa_template and config.get("WECHAT_ACCOUNT_TYPE") == "service_verified":
        found.append((OA, oa, oa_template))
    mp, mp_template = identities.get("mp"), config.get(mp_setting) if mp_setting else None
    if mp and mp_template and config.get("MP_APPID"):
        found.append((MP, mp, mp_template))
    return found


def _try_channel(notification: Notification, channel: str, identity: WechatIdentity, template_id: str) -> str:
    """One try on one channel: "sent", "skipped" (will not work) or "unknown"; RetryLater if temporary."""
    last = db.session.scalar(
        select(NotificationDelivery)
        .where(NotificationDelivery.notification_id == notification.id, NotificationDelivery.channel == channel)
        .order_by(NotificationDelivery.id.desc())
        .limit(1)
    )
    if last is not None and last.status == "error" and last.errcode is not None and last.errcode not in TRANSIENT:
        return "skipped"  # refused for good on an earlier try (a network error has no errcode)
    if last is not None and last.status == "sending":
        # The process died during that call: did it arrive? Only the platform's dedupe makes a
        # resend safe, and only within its window.
        last.status = "interrupted"
        window = current_app.config.get("PUSH_DEDUPE_WINDOW_SECONDS", 540)
        started = last.at if last.at.tzinfo else last.at.replace(tzinfo=UTC)  # SQLite drops the zone
        if channel != OA or started < clock.now() - timedelta(seconds=window):
            db.session.commit()
            return "unknown"
    row = NotificationDelivery(
        notification_id=notification.id, channel=channel, openid=identity.openid, status="sending"
    )
    db.session.add(row)
    db.session.commit()  # on record before the platform is asked
    try:
        result = _send(notification, channel, identity.openid, template_id)
    except WechatError as exc:
        row.status, row.errcode, row.errmsg = "error", exc.errcode, str(exc.errmsg or "")[:255]
        if channel == OA and exc.errcode == NOT_FOLLOWING:
            # They unfollowed without our hearing of it: later pushes skip this channel until a
            # subscribe event says otherwise, instead of spending quota on certain refusals.
            identity.subscribed = False
        db.session.commit()
        if exc.errcode in TRANSIENT:
            raise RetryLater(f"{channel}: {exc.errcode} {exc.errmsg}") from None
        log.info("push: %s refused notification %s: %s %s", channel, notification.id, exc.errcode, exc.errmsg)
        return "skipped"
    except WechatUnavailable as exc:
        row.status, row.errmsg = "error", str(exc.errmsg or "unavailable")[:255]
        db.session.commit()
        raise RetryLater(f"{channel}: {exc.errmsg}") from None
    row.status, row.msgid = "sent", str(result.get("msgid") or "")[:64] or None
    db.session.commit()
    return "sent"


def check_template_keys(config) -> None:
    """Refuse to start with a ``*_KEYS`` setting that names a keyword we do not fill: every
    push of that kind would be refused by WeChat (47003) long after the setting was made."""
    for kind, settings in TEMPLATES.items():
        for setting in settings:
            ours = FIELDS[kind]
            if unknown := sorted(set((config.get(f"{setting}_KEYS") or {}).values()) - set(ours)):
                raise ConfigError(f"{setting}_KEYS: we have no {', '.join(unknown)}; ours are {', '.join(ours)}")


def _fields(notification: Notification, channel: str) -> dict:
    """The notification's values under the keywords of the template configured for ``channel``."""
    data = notification.data or {"thing1": notification.title, "thing2": notification.body}
    oa_setting, mp_setting = TEMPLATES.get(notification.kind, (None, None))
    keys = current_app.config.get(f"{oa_setting if channel == OA else mp_setting}_KEYS") or {}
    return {theirs: data.get(ours) for theirs, ours in keys.items()} if keys else data


def _send(notification: Notification, channel: str, openid: str, template_id: str) -> dict:
    """The platform call itself."""
    data = _fields(notification, channel)
    if channel == OA:
        # 发送模板消息 https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
        # wechatpy's send_template has no client_msg_id, hence the plain post.
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": template_data(data, TEMPLATE_FIELD_MAX),
            "client_msg_id": f"cwt-{notification.id}",
        }
        if notification.link:
            payload["url"] = notification.link
        return get_client("oa").post("message/template/send", data=payload)
    # 发送订阅消息 https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
    payload = {"touser": openid, "template_id": template_id, "data": template_data(data), "lang": "zh_CN"}
    return get_client("mp").post("message/subscribe/send", data=payload)


def _delivered_before(notification_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(NotificationDelivery)
            .where(NotificationDelivery.notification_id == notification_id, NotificationDelivery.status == "sent")
        )
    )


def _finish(notification: Notification, status: str) -> str:
    notification.status = status
    if status == "sent":
        notification.sent_at = clock.now()
    db.session.commit()
    return status
