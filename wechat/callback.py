"""``GET/POST /wechat/callback``: verify → decrypt → parse → dedupe → dispatch → reply.

The official account's message endpoint (WECHAT.md, "Official-account callback"). It answers in
milliseconds and never calls the WeChat API. A wrong signature gets 403 and nothing else happens,
and so does a plain message while an AES key is configured (only ``msg_signature`` vouches for a
body then). Anything wrong after the signature check (size, XML, encryption, a failing handler)
is logged without personal data and answered ``success``, which ends WeChat's retries quietly:
never an error page, never a 500.
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from functools import lru_cache

from flask import Blueprint, Response, current_app, request
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage

from app.services import clock
from wechat import handlers, once, xmlsafe

bp = Blueprint("wechat_callback", __name__)
log = logging.getLogger(__name__)

# WeChat resends after 5 s, three tries in all; five minutes outlives every retry. A request
# signed longer ago than that (a replay, in plain mode where the body is not signed) is ignored.
DEDUPE_SECONDS = 300
_QUERY_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


@bp.get("/wechat/callback")
def verify():
    """Server verification when the URL is saved in the WeChat console: echo ``echostr``."""
    args = request.args
    if not _query_signed(args):
        return _forbidden()
    return Response(args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat/callback")
def receive():
    """One message or event from WeChat, answered with a passive reply or ``success``."""
    args = request.args  # one trip through the request proxy; the query is parsed once
    if not _query_signed(args):
        return _forbidden()
    safe_mode = bool(current_app.config.get("WECHAT_AES_KEY"))
    if safe_mode and (args.get("encrypt_type", "").lower() != "aes" or not args.get("msg_signature")):
        # With a key configured, WeChat sends every message encrypted (safe and compatible modes
        # alike), so only msg_signature vouches for a body. The query's signature covers no body
        # and can be replayed from any log that saw it: a plain body under it is a forgery. 403,
        # as for a bad signature: nothing is read, and a console left in plain mode shows itself
        # (WeChat tells the user the account is unavailable) instead of being swallowed.
        return _forbidden("plain message refused in safe mode")
    if not _fresh(args["timestamp"]):
        # A signed request replayed later than the dedupe memory lasts would act again: refuse it.
        log.warning("wechat callback: timestamp outside ±%d s; answered success", DEDUPE_SECONDS)
        return _success()
    raw = _read_body()
    if raw is None:
        log.warning("wechat callback: body over %d bytes; answered success", xmlsafe.MAX_BODY)
        return _success()
    try:
        crypto, message = read_body(raw, args, current_app.config)
    except BadSignature:
        return _forbidden()
    except xmlsafe.UnsafeXML as exc:
        log.warning("wechat callback: %s; answered success", exc)
        return _success()

    # An event that only asks for an answer (a plaque scan, a menu click) is answered in full
    # every time it comes: it changes nothing twice, and a resend means the villager is still
    # waiting for that card. Everything else is claimed once across workers (handlers.answer_only).
    key = None if handlers.answer_only(message) else _dedupe_key(message)
    if key is not None and not once.claim(key, DEDUPE_SECONDS):
        # A retry of something already handled (or being handled by another worker): the first
        # delivery did its work, and doing it again would act twice. Answered `success`.
        return _success()
    try:
        reply = handlers.handle(message)
        body = reply.render() if reply is not None else None
    except Exception:
        # Let WeChat's next retry run the handler again, since this one did nothing.
        if key is not None:
            once.release(key)
        log.exception("wechat callback: handler failed for %s from %s", message.type, _mask(message.source))
        return _success()
    if body is None:
        return _success()
    if crypto is not None:
        body = crypto.encrypt_message(body, args["nonce"], args["timestamp"])
    return Response(body, mimetype="application/xml")


# --------------------------------------------------------------------------- signatures


def _sha1_sorted(*parts: str) -> str:
    # WeChat's protocol signs with SHA-1; the value is compared, never used as a key or a password.
    joined = "".join(sorted(parts)).encode()
    digest = hashlib.sha1(joined)  # noqa: S324  # nosec B324  # WeChat's protocol
    return digest.hexdigest()


def _signature_ok(config, args, signature: str | None, *extra: str) -> bool:
    """sha1 of the sorted token, timestamp, nonce (and ``Encrypt``), compared in constant time."""
    token = config.get("WECHAT_TOKEN")
    if not token or not signature:
        return False
    expected = _sha1_sorted(token, args["timestamp"], args["nonce"], *extra)
    return hmac.compare_digest(expected, signature.lower())


def _query_signed(args) -> bool:
    # timestamp and nonce go back into an encrypted reply: keep them to harmless characters.
    if not _TIMESTAMP.match(args.get("timestamp", "")) or not _QUERY_VALUE.match(args.get("nonce", "")):
        return False
    return _signature_ok(current_app.config, args, args.get("signature"))


def _fresh(timestamp: str) -> bool:
    """Within the dedupe window of now, either way (WeChat's clock may run a little ahead)."""
    return abs(clock.timestamp() - int(timestamp)) <= DEDUPE_SECONDS


def _forbidden(reason: str = "bad or missing signature") -> Response:
    log.warning("wechat callback: %s from %s", reason, request.remote_addr)
    return Response("forbidden", status=403, mimetype="text/plain")


def _success() -> Response:
    return Response("success", mimetype="text/plain")


# --------------------------------------------------------------------------- body and crypto


class BadSignature(Exception):
    """``msg_signature`` does not cover the body's ``Encrypt`` field: answered 403."""


def read_body(raw: bytes, args, config) -> tuple[WeChatCrypto | None, BaseMessage]:
    """The message a body of a signed request holds, and the crypto that opened it (None for a
    plain one). Encrypted when the account has a key or the request says so; the caller refused
    plain requests to a keyed account already. Raises ``BadSignature`` or ``xmlsafe.UnsafeXML``
    and nothing else (tests/fuzz/fuzz_callback.py holds it to that)."""
    if not (config.get("WECHAT_AES_KEY") or args.get("encrypt_type", "raw").lower() == "aes"):
        return None, xmlsafe.read_message(raw)
    encrypted = xmlsafe.encrypted_part(raw)
    if not _signature_ok(config, args, args.get("msg_signature"), encrypted):
        raise BadSignature
    crypto, plain = _decrypt(config, args, encrypted)
    return crypto, xmlsafe.read_message(plain)


def _read_body() -> bytes | None:
    """The raw body, or None when it is over the cap (read no further than cap + 1 bytes)."""
    length = request.content_length
    if length is not None and length > xmlsafe.MAX_BODY:
        return None
    if length is not None:
        # WeChat always sends Content-Length: read exactly that from the server's input, which
        # WSGI allows, without werkzeug's stream wrapper (a measurable share of a SCAN's cost).
        return request.environ["wsgi.input"].read(length)
    data = request.stream.read(xmlsafe.MAX_BODY + 1)
    return None if len(data) > xmlsafe.MAX_BODY else data


@lru_cache(maxsize=8)
def _crypto(token: str, aes_key: str, appid: str) -> WeChatCrypto:
    return WeChatCrypto(token, aes_key, appid)


def _decrypt(config, args, encrypted: str) -> tuple[WeChatCrypto, str]:
    """Decrypt with the current key, then the previous one (rotation); the key that worked
    encrypts the reply. The signature over ``Encrypt`` was checked already."""
    for setting in ("WECHAT_AES_KEY", "WECHAT_AES_KEY_PREVIOUS"):
        if not config.get(setting):
            continue
        try:
            crypto = _crypto(config["WECHAT_TOKEN"], config[setting], config.get("WECHAT_APPID") or "")
            # A dict skips wechatpy's own parse of the envelope (ours already checked it).
            envelope = {"Encrypt": encrypted}
            plain = crypto.decrypt_message(envelope, args["msg_signature"], args["timestamp"], args["nonce"])
        except Exception:  # bad base64, bad padding, wrong key, wrong appid, not UTF-8 …
            log.debug("wechat callback: %s did not decrypt the message", setting)
            continue
        return crypto, plain
    raise xmlsafe.UnsafeXML("Encrypt does not decrypt with the current or previous key")


# --------------------------------------------------------------------------- dedupe


def _dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages; FromUserName + CreateTime for events. The event type is part of the
    key too: a retry repeats it exactly, and two events in one second (subscribe, then LOCATION
    on entering the chat) must both count."""
    fields = message._data  # checked by xmlsafe.read_message: ids and CreateTime are plain text
    msg_id = int(fields.get("MsgId") or 0)  # what message.id gives, without the field descriptors
    if msg_id:
        return f"wx:seen:msg:{msg_id}"
    ident = f"{fields['FromUserName']}|{int(fields['CreateTime'])}|{getattr(message, 'event', message.type)}"
    return "wx:seen:evt:" + hashlib.blake2b(ident.encode(), digest_size=16).hexdigest()


def _mask(openid: str | None) -> str:
    """Enough of an openid to follow one user through a log, not enough to identify them."""
    return (openid or "")[:6] + "…"
