"""村务通: the application factory."""

from __future__ import annotations

import logging
import os

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

from app.sessions import CookieSessionOnDemand
from config import INSTANCE, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides settings read from the environment."""
    # What this process writes under instance/ holds secrets or personal data: the SQLite database
    # and its journal, generated keys, register uploads, plaque PDFs. Owner only, whatever umask
    # the process manager (systemd, gunicorn, a shell) left; set before anything is written.
    os.umask(0o077)
    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.update(load_config(config))
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_headers(app)
    register_static(app)
    register_errorhandlers(app)
    register_commands(app)
    register_tasks(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from app import privacy
    from app.extensions import (
        cache,
        compress,
        compressed_copies,
        compressed_copy_key,
        csrf,
        db,
        limiter,
        migrate,
        redis_client,
        redis_timeouts,
    )

    privacy.configure(app.config["DATA_ENCRYPTION_KEY"], app.config.get("DATA_HASH_KEY"))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    redis_client.init_app(app)
    if app.config["REDIS_URL"]:
        cache_config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": app.config["REDIS_URL"],
            "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX", "cwt:"),
            "CACHE_OPTIONS": redis_timeouts(app.config),
        }
        # limits passes these to redis-py too; a test's key_prefix is kept.
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            **redis_timeouts(app.config),
            **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }
    else:
        cache_config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 5000}
    cache.init_app(app, config={**cache_config, "CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"]})
    # Before CSRFProtect reads any form: back-office forms carry several phone photos.
    app.before_request(_allow_photo_uploads)
    app.before_request(_refuse_broken_next)
    app.before_request(_refuse_long_query)
    csrf.init_app(app)
    limiter.init_app(app)
    # Limits are declared on the views that need them, and the decorator checks them there. The
    # app-wide hook only evaluates default limits, which we do not set, yet costs every request
    # (household pages, the WeChat callback) about 0.1 ms: take it out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Its header and clean-up hooks matter only where a view has a limit: they move to those
    # blueprints (register_blueprints), off the plaque scans and the WeChat callback.
    inject, release = app.after_request_funcs[None].pop(), app.teardown_request_funcs[None].pop()
    if "inject_headers" not in inject.func.__name__ or "release_context" not in release.__name__:
        # A check, not an assert: under python -O an assert vanishes and the wrong hooks would move.
        raise RuntimeError("Flask-Limiter's hooks are not where this factory expects them")
    app.extensions["limiter_hooks"] = (inject, release)
    app.session_interface = CookieSessionOnDemand()
    app.config.setdefault("COMPRESS_REGISTER", False)  # per view: see app/extensions.py
    app.config.setdefault("COMPRESS_CACHE_BACKEND", compressed_copies)
    app.config.setdefault("COMPRESS_CACHE_KEY", compressed_copy_key)
    compress.init_app(app)


def _allow_photo_uploads() -> None:
    """Villager-facing requests keep MAX_CONTENT_LENGTH; the back office takes up to
    ADMIN_UPLOAD_MAX_BYTES (a form's worth of photos, each checked again by the photo service)."""
    if request.path.startswith("/admin/"):
        request.max_content_length = current_app.config["ADMIN_UPLOAD_MAX_BYTES"]


def _refuse_broken_next() -> None:
    """A ``?next=`` with control characters (``%0d%0a``) is a forged link, never one of ours: it is
    refused with a 400 before any view could put it into a Location header (a 500 before)."""
    target = request.args.get("next")
    if target and any(ord(c) < 32 or ord(c) == 127 for c in target):
        from app.errors import ValidationError

        raise ValidationError("链接里的跳转地址无效，请从首页重新打开。", field="next")


def _refuse_long_query() -> None:
    from app.query_limits import refuse_long

    refuse_long(request.args)


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a positive id a database column can hold. A typed or edited
    URL with 0 or an absurd number is then simply not found, never a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter
    from app.admin import admin
    from app.web import web
    from miniprogram_api import init_api
    from wechat import init_wechat

    app.register_blueprint(web)
    app.register_blueprint(admin)
    inject, release = app.extensions["limiter_hooks"]
    for name in (web.name, admin.name):  # the blueprints whose views declare rate limits
        app.after_request_funcs.setdefault(name, []).append(inject)
        app.teardown_request_funcs.setdefault(name, []).append(release)
    init_api(app)
    init_wechat(app)


def register_headers(app: Flask) -> None:
    from app.headers import init_headers

    init_headers(app)


def register_static(app: Flask) -> None:
    """WhiteNoise in front of the app for /static (compressed, long-cached); after the headers,
    whose policy it copies."""
    from app.headers import static_headers
    from app.static_files import init_static

    init_static(app, static_headers(app))


def register_errorhandlers(app: Flask) -> None:
    from app.admin import admin
    from app.admin.errors import page as admin_page
    from app.web.errors import register_web_errors

    # An unknown URL under /admin/ gets the back office's page; the villager views never import it.
    register_web_errors(app, {f"{admin.url_prefix}/": admin_page})


def register_commands(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)


def register_tasks(app: Flask) -> None:
    """Celery for this app. The factory is the composition root: the only part of ``app``
    that may import ``tasks`` or ``wechat``; services reach tasks by name."""
    from tasks import init_celery

    init_celery(app)
