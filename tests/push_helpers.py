"""Helpers for push tests: drive the WeChat sandbox over HTTP and bind sandbox users to villagers."""

from __future__ import annotations

import time

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, NotificationDelivery, WechatIdentity
from app.models.base import utcnow
from app.services import dispatch


class Sandbox:
    """The sandbox's control API (``/sandbox/_control/…``) on the live server."""

    def __init__(self, base: str):
        self.control = f"{base}/sandbox/_control"

    def _post(self, name: str, **body) -> dict:
        res = requests.post(f"{self.control}/{name}", json=body, timeout=10)
        assert res.status_code in (200, 201), res.text
        return res.json()

    def reset(self) -> None:
        self._post("reset")

    def user(self, nickname: str = "刘小一", *, follows: bool = True) -> dict:
        return self._post("users", nickname=nickname, follows=follows)

    def accept(self, openid: str, template_id: str = "mp-points-awarded", times: int = 1) -> None:
        self._post("accept", openid=openid, template_id=template_id, times=times)

    def fail(self, api: str, errcode: int, times: int = 1) -> None:
        self._post("fail", api=api, errcode=errcode, times=times)

    def delay(self, api: str, seconds: float, *, after_record: bool = True, times: int = 1) -> None:
        self._post("delay", api=api, seconds=seconds, after_record=after_record, times=times)

    def state(self) -> dict:
        res = requests.get(f"{self.control}/state", timeout=10)
        assert res.status_code == 200, res.text
        return res.json()

    def inbox(self, openid: str) -> list[dict]:
        return self.state()["inboxes"].get(openid, [])

    def calls(self, api: str) -> int:
        return self.state()["counters"]["calls"].get(api, 0)


def quiet_sandbox(live_server: str, monkeypatch) -> Sandbox:
    """A fresh sandbox; hand-offs after commit are recorded, not sent, so a test calls deliver itself."""
    monkeypatch.setattr(dispatch, "send", lambda name, *args: None)
    box = Sandbox(live_server)
    box.reset()
    return box


def bind(villager, user: dict, *, app: str = "oa", subscribed: bool = True) -> WechatIdentity:
    """Bind a sandbox user's openid (``oa``) or mini-program openid (``mp``) to a villager."""
    identity = WechatIdentity(
        app=app,
        openid=user["openid"] if app == "oa" else user["mp_openid"],
        unionid=user.get("unionid"),
        villager_id=villager.id,
        subscribed=subscribed,
        bound_at=utcnow(),
    )
    db.session.add(identity)
    db.session.commit()
    return identity


def notifications() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def deliveries(notification_id: int) -> list[NotificationDelivery]:
    db.session.expire_all()
    query = select(NotificationDelivery).where(NotificationDelivery.notification_id == notification_id)
    return list(db.session.scalars(query.order_by(NotificationDelivery.id)))


def wait_until(check, timeout: float = 30, every: float = 0.1, what: str = "condition"):
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)
