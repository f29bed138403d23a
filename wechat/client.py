"""WeChat API clients (W5): one shared access token per app, a timeout on every call, bounded retries.

``get_client("oa")`` is the official account (WECHAT_APPID/SECRET), ``get_client("mp")`` the
mini-program (MP_APPID/SECRET). Both are wechatpy ``WeChatClient``s, so ``client.menu.create``,
``client.qrcode.create``, ``client.wxa.code_to_session`` … work as wechatpy documents them, but every
URL is rebased on ``WECHAT_API_BASE`` (read at call time) and ``client.post("/wxa/…")`` — a leading
slash — is relative to the API root instead of ``cgi-bin/``.

Errors: ``WechatError(errcode, errmsg)`` when the platform refused (``.retryable`` for 45009 and -1);
``WechatUnavailable`` when it could not be reached in time. Tokens and secrets are never logged.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis
import requests
from flask import Flask, current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.utils import json

log = logging.getLogger(__name__)

OFFICIAL_ROOT = "https://api.weixin.qq.com/"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired
RATE_LIMITED = 45009
SYSTEM_BUSY = -1
RATE_LIMIT_TRIES = 2
CREDENTIALS = {"oa": ("WECHAT_APPID", "WECHAT_SECRET", "公众号"), "mp": ("MP_APPID", "MP_SECRET", "小程序")}
_clients_lock = threading.Lock()


class WechatError(WeChatClientException):
    """The platform answered with a non-zero ``errcode`` (or WeChat is not configured: errcode None)."""

    def __init__(self, errcode, errmsg, **kwargs):
        super().__init__(errcode, errmsg, **kwargs)

    @property
    def retryable(self) -> bool:
        return self.errcode in (RATE_LIMITED, SYSTEM_BUSY)


class WechatUnavailable(WeChatClientException):
    """The platform could not be reached, did not answer within the timeout, or failed with a 5xx."""

    def __init__(self, errmsg: str):
        super().__init__(None, errmsg)


class LocalStorage(SessionStorage):
    """Token storage in this process's memory that honours TTLs (the embedded default, no Redis)."""

    def __init__(self):
        self._data: dict[str, tuple[object, float | None]] = {}

    def get(self, key, default=None):
        value, expires = self._data.get(key, (None, None))
        if value is None or (expires is not None and expires <= time.monotonic()):
            return default
        return value

    def set(self, key, value, ttl=None):
        if value is not None:
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def delete(self, key):
        self._data.pop(key, None)


class Client(WeChatClient):
    """wechatpy's client with our base URL, a shared ``stable_token``, timeouts and bounded retries."""

    def __init__(self, app: Flask, appid: str, secret: str, session: SessionStorage, lock_redis=None, prefix=""):
        super().__init__(appid, secret, session=session)
        self._app = app
        self._redis = lock_redis
        self._lock_name = f"{prefix}:{appid}_token_lock"
        self._local_lock = threading.Lock()

    @property
    def api_root(self) -> str:
        return self._app.config["WECHAT_API_BASE"].rstrip("/") + "/"

    @property
    def API_BASE_URL(self) -> str:  # wechatpy's name; a property so tests can repoint the base
        return self.api_root + "cgi-bin/"

    @property
    def http_timeout(self) -> float:
        return float(self._app.config.get("WECHAT_HTTP_TIMEOUT", 5))

    @property
    def access_token(self) -> str:
        """The shared token: from storage, else fetched once for everyone under the lock."""
        return self._stored_token() or self._refresh(stale=None)

    def fetch_access_token(self) -> dict:
        """wechatpy's hook, kept for its internals: make sure a token is stored."""
        return {"access_token": self.access_token}

    def _stored_token(self) -> str | None:
        try:
            return self.session.get(self.access_token_key)
        except redis.RedisError as exc:
            raise WechatUnavailable(f"读不到共享的 access_token（Redis：{type(exc).__name__}）") from None

    def _refresh(self, stale: str | None) -> str:
        """Double-checked under the lock: another process may already have replaced ``stale``."""
        with self._token_lock():
            current = self._stored_token()
            if current and current != stale:
                return current
            return self._fetch_stable_token(force=stale is not None)

    @contextmanager
    def _token_lock(self):
        if self._redis is None:
            with self._local_lock:
                yield
            return
        hold = 2 * self.http_timeout + 2  # SET NX PX: a crashed holder frees the lock by itself
        lock = self._redis.lock(self._lock_name, timeout=hold, blocking_timeout=hold + 1, sleep=0.05)
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise WechatUnavailable(f"拿不到 access_token 锁（Redis：{type(exc).__name__}）") from None
        if not acquired:
            raise WechatUnavailable("等 access_token 锁超时")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.RedisError:  # expired meanwhile: someone else may hold it now, leave it
                log.warning("wechat %s: token lock expired before release", self.appid)

    def _fetch_stable_token(self, force: bool) -> str:
        """获取稳定版接口调用凭据 https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html"""
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": force}
        res = self._send("post", self.api_root + "cgi-bin/stable_token", json=body)
        result = self._decode_result(res)
        if not isinstance(result, dict) or not result.get("access_token"):
            result = result if isinstance(result, dict) else {}
            errcode, errmsg = result.get("errcode"), result.get("errmsg") or "stable_token 没有返回 access_token"
            log.warning("wechat %s: stable_token refused: %s %s", self.appid, errcode, errmsg)
            raise WechatError(errcode, errmsg)
        token, expires_in = result["access_token"], int(result.get("expires_in") or 7200)
        # Stored a little shorter than it lives: the platform renews it in its last five minutes.
        self.session.set(self.access_token_key, token, max(1, expires_in - min(300, expires_in // 5)))
        log.info("wechat %s: fetched a%s token, valid %ss", self.appid, " forced" if force else "", expires_in)
        return token

    def _url(self, endpoint: str, api_base_url: str | None) -> str:
        if endpoint.startswith("/"):
            return self.api_root + endpoint[1:]
        absolute = endpoint.startswith(("http://", "https://"))
        url = endpoint if absolute else (api_base_url or self.API_BASE_URL) + endpoint
        return self.api_root + url[len(OFFICIAL_ROOT) :] if url.startswith(OFFICIAL_ROOT) else url

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP exchange with the timeout; network failures become ``WechatUnavailable``."""
        path = urlsplit(url).path  # never the query: it carries the access token
        try:
            res = self._http.request(method=method, url=url, timeout=self.http_timeout, **kwargs)
        except requests.RequestException as exc:
            log.warning("wechat %s %s failed: %s", method.upper(), path, type(exc).__name__)
            raise WechatUnavailable(f"连不上微信接口 {path}（{type(exc).__name__}）") from None
        if res.status_code >= 500:
            log.warning("wechat %s %s: HTTP %s", method.upper(), path, res.status_code)
            raise WechatUnavailable(f"微信接口 {path} 暂时不可用（HTTP {res.status_code}）")
        if res.status_code >= 400:
            raise WechatError(None, f"微信接口 {path} 拒绝了请求（HTTP {res.status_code}）")
        return res

    def _request(self, method, url_or_endpoint, **kwargs):
        """A call with at most one token refresh (40001/40014/42001) and one rate-limit backoff (45009)."""
        url = self._url(url_or_endpoint, kwargs.pop("api_base_url", None))
        params = kwargs.pop("params", None) or {}
        own_token = isinstance(params, dict) and "access_token" not in params
        if isinstance(kwargs.get("data"), dict):
            kwargs["data"] = json.dumps(kwargs["data"], ensure_ascii=False).encode("utf-8")
        kwargs.pop("timeout", None)
        processor = kwargs.pop("result_processor", None)
        token_retried, limited = False, 0
        while True:
            token = self.access_token if own_token else None
            query = {**params, "access_token": token} if own_token else params
            res = self._send(method, url, params=query, **kwargs)
            try:
                return self._handle_result(res, method, url, processor)
            except WechatError as error:
                if own_token and error.errcode in TOKEN_ERRORS and not token_retried:
                    log.info("wechat %s: token rejected (%s); refreshing once", self.appid, error.errcode)
                    token_retried = True
                    self._refresh(stale=token)
                    continue
                limited += 1
                if error.errcode != RATE_LIMITED or limited >= RATE_LIMIT_TRIES:
                    raise
                pause = float(self._app.config.get("WECHAT_RATE_LIMIT_BACKOFF", 0.5))
                time.sleep(pause * (1 + random.random()))  # nosec B311  # jitter, so workers do not retry in step

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        """Decode; raise ``WechatError`` on a non-zero errcode — never refetch or recurse here."""
        result = res if isinstance(res, dict) else self._decode_result(res)
        if not isinstance(result, dict):
            return result  # binary answers (mini-program codes) come back as the response itself
        if "base_resp" in result:
            result.update(result.pop("base_resp"))
        errcode = int(result.get("errcode") or 0)
        if errcode:
            path = urlsplit(url or "").path
            log.warning("wechat %s %s: errcode %s %s", self.appid, path, errcode, result.get("errmsg"))
            raise WechatError(errcode, result.get("errmsg") or str(errcode), client=self)
        return result_processor(result) if result_processor else result


def get_client(app_kind: str = "oa") -> Client:
    """The cached client of the current Flask app for the official account ("oa") or mini-program ("mp")."""
    app = current_app._get_current_object()
    appid_key, secret_key, label = CREDENTIALS[app_kind]
    appid, secret = app.config.get(appid_key), app.config.get(secret_key)
    if not (app.config.get("WECHAT_ENABLED", True) and appid and secret):
        raise WechatError(None, f"没有配置{label}（{appid_key} / {secret_key}）")
    prefix = app.config.get("WECHAT_TOKEN_PREFIX", "cwt:wx")
    key = (app_kind, appid, secret, prefix, app.config.get("REDIS_URL"))
    clients = app.extensions.setdefault("wechat_clients", {})
    with _clients_lock:
        if key not in clients:
            clients[key] = _build(app, appid, secret, prefix)
        return clients[key]


def _build(app: Flask, appid: str, secret: str, prefix: str) -> Client:
    url = app.config.get("REDIS_URL")
    if not url:
        store = app.extensions.setdefault("wechat_token_stores", {}).setdefault(prefix, LocalStorage())
        return Client(app, appid, secret, store)
    timeout = float(app.config.get("WECHAT_HTTP_TIMEOUT", 5))
    conn = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return Client(app, appid, secret, RedisStorage(conn, prefix=prefix), lock_redis=conn, prefix=prefix)
