"""Settings from the environment, with embedded defaults for one-machine use.

With no environment at all the app runs on SQLite under ``instance/``, keeps secrets it
generates there, caches in memory and talks to the WeChat sandbox. Production sets
``APP_ENV=production`` and must then give every secret explicitly: nothing is guessed.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))

DEFAULT_SLOGAN = "乡村振兴强国梦 美丽大苍在行动"

# What the app uses when no WeChat account is configured: the local sandbox (wechat/sandbox/)
# plays the platform, reached over real HTTP at PUBLIC_BASE_URL/sandbox.
# Its made-up secrets are public by design (one line each, so bandit's nosec stays on its line).
_SANDBOX_OA_SECRET = "sandbox-oa-secret-0123456789abcdef"  # noqa: S105  # nosec B105  # public
_SANDBOX_TOKEN = "sandboxtoken"  # noqa: S105  # nosec B105  # public
_SANDBOX_MP_SECRET = "sandbox-mp-secret-0123456789abcdef"  # noqa: S105  # nosec B105  # public
SANDBOX_ACCOUNT = {
    "WECHAT_APPID": "wx5a0db0x0sandbox1",
    "WECHAT_SECRET": _SANDBOX_OA_SECRET,
    "WECHAT_TOKEN": _SANDBOX_TOKEN,
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "MP_APPID": "wx5a0db0x0sandbox2",
    "MP_SECRET": _SANDBOX_MP_SECRET,
}
WECHAT_SETTINGS = ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_TOKEN", "WECHAT_AES_KEY", "MP_APPID", "MP_SECRET")


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


# Template ids whose real templates may name their keywords differently (``*_KEYS``).
TEMPLATE_SETTINGS = ("WECHAT_TEMPLATE_POINTS", "WECHAT_TEMPLATE_WELCOME", "MP_TEMPLATE_POINTS")
_KEYWORD = re.compile(r"^[a-z_]{1,24}[0-9]{1,3}$")  # thing1, character_string12 …


def _template_keys(name: str) -> dict[str, str]:
    """``"thing4=thing1, time5=date4"`` → ``{"thing4": "thing1", "time5": "date4"}`` (theirs → ours)."""
    keys: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in os.environ.get(name, "").split(","))):
        theirs, sep, ours = (part.strip() for part in pair.partition("="))
        if not sep or not _KEYWORD.match(theirs) or not _KEYWORD.match(ours):
            raise ConfigError(f"{name}: {pair!r} is not their_keyword=our_keyword (for example thing4=thing1)")
        if theirs in keys:
            raise ConfigError(f"{name}: {theirs} is given twice")
        keys[theirs] = ours
    return keys


def _positive_seconds(name: str, default: str) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        value = 0.0
    if not 0 < value < 86400:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 86400")
    return value


def _instance_secret(name: str, make) -> str:
    """Read a generated secret from instance/, creating it once (embedded default only)."""
    INSTANCE.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = INSTANCE / name
    try:  # created owner-only from its first byte (no moment at the umask's 0644)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def _secret(env: str, file_name: str, make, production: bool) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if production:
        raise ConfigError(f"{env} must be set in production")
    return _instance_secret(file_name, make)


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment plus explicit overrides."""
    overrides = overrides or {}
    env = overrides.get("APP_ENV", os.environ.get("APP_ENV", "development"))
    production = env == "production"
    testing = bool(overrides.get("TESTING"))

    def secret(name, file_name, make):
        if name in overrides:
            return overrides[name]
        return _secret(name, file_name, make, production)

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'cunwutong.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = os.environ.get("REDIS_URL") or None
    if production and not redis_url:
        raise ConfigError("REDIS_URL must be set in production")

    config = {
        "APP_ENV": env,
        "DATA_ENCRYPTION_KEY": None,
        "DATA_HASH_KEY": os.environ.get("DATA_HASH_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # Every Redis key of this app starts with it: two deployments may share one Redis.
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cwt:"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DEFAULT_SLOGAN": DEFAULT_SLOGAN,
        # Household pages are cached per village version; this is only the safety net.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", "600")),
        "HISTORY_PAGE_SIZE": 20,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # A villager's /me session (app/sessions.py): WeChat re-establishes it silently with
        # snsapi_base, so it is short. Idle limit: the cookie is renewed on each request and its
        # signature is refused once this old. The back office has its own 30-minute idle limit.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=2),
        "VILLAGER_SESSION_MAX": timedelta(hours=12),  # since WeChat last vouched, however active
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # Nine photos of up to 8 MB each (app/services/photos.py) in one back-office form.
        "ADMIN_UPLOAD_MAX_BYTES": 9 * 8 * 1024 * 1024 + 1024 * 1024,
        "SEND_FILE_MAX_AGE_DEFAULT": 7 * 24 * 3600,
        "WECHAT_APPID": os.environ.get("WECHAT_APPID"),
        "WECHAT_SECRET": os.environ.get("WECHAT_SECRET"),
        "WECHAT_TOKEN": os.environ.get("WECHAT_TOKEN"),
        "WECHAT_AES_KEY": os.environ.get("WECHAT_AES_KEY"),
        "MP_APPID": os.environ.get("MP_APPID"),
        "MP_SECRET": os.environ.get("MP_SECRET"),
        "WECHAT_API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        # The page WeChat shows for web OAuth lives on another host than the API.
        "WECHAT_OPEN_BASE": os.environ.get("WECHAT_OPEN_BASE", "https://open.weixin.qq.com"),
        # During an EncodingAESKey rotation the previous key is still accepted on the callback.
        "WECHAT_AES_KEY_PREVIOUS": os.environ.get("WECHAT_AES_KEY_PREVIOUS"),
        # service_verified (认证服务号) | service | subscription: decides templates, QR codes, OAuth.
        "WECHAT_ACCOUNT_TYPE": os.environ.get("WECHAT_ACCOUNT_TYPE", "service_verified"),
        "WECHAT_TEMPLATE_POINTS": os.environ.get("WECHAT_TEMPLATE_POINTS", "points-awarded"),
        "WECHAT_TEMPLATE_WELCOME": os.environ.get("WECHAT_TEMPLATE_WELCOME", "binding-welcome"),
        "MP_TEMPLATE_POINTS": os.environ.get("MP_TEMPLATE_POINTS", "mp-points-awarded"),
        # The keywords of the real templates picked in the consoles, where they differ from the
        # sandbox's: "thing4=thing1,time5=date4" fills their thing4 with our thing1, their time5
        # with our date4, and sends nothing else (wechat/push.py FIELDS lists ours).
        **{f"{name}_KEYS": _template_keys(f"{name}_KEYS") for name in TEMPLATE_SETTINGS},
        "WECHAT_HTTP_TIMEOUT": float(os.environ.get("WECHAT_HTTP_TIMEOUT", "5")),
        # h5: plaques carry the plain QR to /h/<code> (works with any account); oa: the official
        # account's permanent parametric code, where one has been created.
        "PLAQUE_QR": os.environ.get("PLAQUE_QR", "h5"),
        "WECHAT_QR_LIMIT": int(os.environ.get("WECHAT_QR_LIMIT", "100000")),  # permanent codes per account
        "MP_ENV_VERSION": os.environ.get("MP_ENV_VERSION", "release"),  # release | trial | develop
        # Celery: the queue this app sends to and its workers read (a test session uses its own);
        # a dead worker's unacknowledged tasks come back after the visibility timeout.
        "CELERY_TASK_DEFAULT_QUEUE": os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery"),
        # 360 s: longer than the longest retry wait (jobs.backoff caps at 240 s plus jitter), and
        # short enough that a task lost with a killed worker is resent inside WeChat's 10-minute
        # client_msg_id window, so the platform still drops a repeat.
        "CELERY_VISIBILITY_TIMEOUT": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "360")),
        # Push retries wait about this long, then twice as long each time (with jitter).
        "PUSH_RETRY_BASE_SECONDS": float(os.environ.get("PUSH_RETRY_BASE_SECONDS", "10")),
        # How often beat writes the followers the callback noted in Redis (tasks/schedule.py).
        "CONTACTS_FLUSH_SECONDS": _positive_seconds("CONTACTS_FLUSH_SECONDS", "30"),
        # Every Redis connection of a web request gives up after this long (seconds): with Redis
        # unreachable a request degrades at once instead of waiting (README, "When Redis is down").
        "REDIS_SOCKET_TIMEOUT": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5")),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down: the limits of each view hold in this process's memory until it is back (so
        # sign-in and binding still answer, each worker counting on its own).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # /healthz: a token (header X-Health-Token) that shows the operator the details (errors,
        # worker names); without it, or a request from the loopback, only the status words.
        "HEALTH_TOKEN": os.environ.get("HEALTH_TOKEN") or None,
        # How long /healthz reuses its worker ping (the one slow check).
        "HEALTH_WORKERS_CACHE_SECONDS": _positive_seconds("HEALTH_WORKERS_CACHE_SECONDS", "10"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 3600,
        # flask-smorest: the mini-program API's OpenAPI document and browsable docs.
        "API_TITLE": "村务通小程序接口",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/mp/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "TESTING": testing,
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(48))
    if not config["DATA_ENCRYPTION_KEY"]:
        config["DATA_ENCRYPTION_KEY"] = secret(
            "DATA_ENCRYPTION_KEY", "data_encryption.key", lambda: Fernet.generate_key().decode()
        )
    # No WeChat settings at all → sandbox mode. The sandbox can never be on beside a real
    # account: any one real setting turns it off, and then every setting must be real.
    # In production with no account, WeChat is simply off (plaques, pages and the in-app inbox
    # still work); the stand-in platform is never served there.
    real_account = any(config.get(k) for k in WECHAT_SETTINGS)
    config["WECHAT_SANDBOX"] = not real_account and not production
    config["WECHAT_ENABLED"] = real_account or config["WECHAT_SANDBOX"]
    if config["WECHAT_SANDBOX"]:
        config.update(SANDBOX_ACCOUNT)
        sandbox_base = config["PUBLIC_BASE_URL"] + "/sandbox"
        for key in ("WECHAT_API_BASE", "WECHAT_OPEN_BASE"):
            config[key] = overrides.get(key, sandbox_base)
    # Celery: a broker only with Redis; the embedded default runs tasks in-process after commit.
    config.setdefault("CELERY_BROKER_URL", redis_url)
    config["TASKS_INLINE"] = config.get("TASKS_INLINE", not config["CELERY_BROKER_URL"])
    return config
