"""The tasks: each a thin wrapper around one service or adapter call."""

from __future__ import annotations

import random

from celery import shared_task
from flask import current_app

from wechat import contacts, push, qrcodes

MAX_RETRIES = 6


def backoff(retries: int, first: float = 10.0) -> float:
    """Exponential backoff with jitter: about 10 s, 20 s, 40 s … capped at 4 minutes.

    A retry waits in the worker unacknowledged; the cap (plus jitter) keeps that wait below the
    broker's visibility timeout, or Redis would hand the waiting task to a second worker.
    """
    base = min(240.0, first * 2**retries)
    return base + random.uniform(0, base * 0.3)  # noqa: S311  # nosec B311  # jitter, not security


@shared_task(name="push.deliver", bind=True, max_retries=MAX_RETRIES)
def deliver(self, notification_id: int) -> None:
    """Send one notification on the channels its recipient can receive."""
    try:
        # The task id is kept across retries and redeliveries: it lets a rerun take over its own claim.
        push.deliver(notification_id, owner=self.request.id)
    except push.RetryLater as exc:
        if self.request.retries >= self.max_retries:
            push.give_up(notification_id, f"{self.request.retries + 1} tries: {exc}")
            return
        first = float(current_app.config.get("PUSH_RETRY_BASE_SECONDS", 10))
        raise self.retry(exc=exc, countdown=backoff(self.request.retries, first)) from exc


@shared_task(name="push.sweep")
def sweep() -> int:
    """Queue notifications still pending (the hand-off after commit was missed)."""
    return push.sweep()


@shared_task(name="codes.create_for_household", bind=True, max_retries=MAX_RETRIES)
def create_for_household(self, household_id: int) -> None:
    """Create (or recreate after a reissue) one household's WeChat codes."""
    try:
        qrcodes.create_for_household(household_id)
    except qrcodes.RetryLater as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(name="codes.create_missing")
def create_missing() -> int:
    """Queue code creation for households that have none yet."""
    return qrcodes.create_missing()


@shared_task(name="contacts.flush")
def flush_contacts() -> int:
    """Write the followers the callback heard from (it only noted them in Redis)."""
    return contacts.flush()
