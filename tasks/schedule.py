"""Every periodic job, in one place."""

from celery.schedules import crontab


def beat_schedule(config) -> dict:
    """Beat's schedule for a Flask app's ``config`` (how often contacts are written is a setting)."""
    return {
        # Whatever the after-commit hand-off missed (broker down, process crash) is sent from here.
        "sweep-pending-notifications": {"task": "push.sweep", "schedule": 60.0},
        # Followers the callback heard from, noted in Redis so no SCAN waits on the database.
        "flush-wechat-contacts": {"task": "contacts.flush", "schedule": config["CONTACTS_FLUSH_SECONDS"]},
        # Old plaque PDFs (about 180 MB a village) and register uploads nobody confirmed.
        "sweep-old-files": {"task": "files.sweep", "schedule": 3600.0},
        # Households without their WeChat codes yet (new households, reissued codes).
        "create-missing-wechat-codes": {"task": "codes.create_missing", "schedule": 300.0},
        # Register statistics for the charts: age bands follow the calendar, and anything a missed
        # after-commit refresh left behind is put right (Asia/Shanghai time, the Celery timezone).
        "refresh-register-statistics": {"task": "stats.refresh_all", "schedule": crontab(hour=2, minute=30)},
    }
