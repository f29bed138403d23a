"""Celery bound to Flask: thin tasks that call services; the schedule is in ``schedule.py``.

``init_celery(app)`` gives each Flask app its own Celery app whose tasks run inside that Flask
app's context (the pattern of Flask's Celery example).
"""

from __future__ import annotations

from celery import Celery, Task


def init_celery(app) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    from tasks.schedule import beat_schedule

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"] or "memory://",
        task_default_queue=app.config.get("CELERY_TASK_DEFAULT_QUEUE", "celery"),
        task_ignore_result=True,
        # A task is acknowledged only when it finished, so a worker killed mid-task leaves the
        # message to be delivered again (delivery itself is idempotent).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": app.config.get("CELERY_VISIBILITY_TIMEOUT", 600)},
        broker_connection_retry_on_startup=True,
        timezone="Asia/Shanghai",
        beat_schedule=beat_schedule(app.config),
        task_always_eager=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    import tasks.jobs  # noqa: F401  (registers the shared tasks)
    import tasks.plaque_jobs  # noqa: F401
    import tasks.stats_jobs  # noqa: F401

    return celery
