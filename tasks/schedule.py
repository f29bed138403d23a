"""Every periodic job, in one place."""

BEAT_SCHEDULE = {
    # Whatever the after-commit hand-off missed (broker down, process crash) is sent from here.
    "sweep-pending-notifications": {"task": "push.sweep", "schedule": 60.0},
    # Households without their WeChat codes yet (new households, reissued codes).
    "create-missing-wechat-codes": {"task": "codes.create_missing", "schedule": 300.0},
}
