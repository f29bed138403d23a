"""Messages WeChat pushes to the app's callback: built, signed, optionally encrypted, sent.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
The builders are pure functions so tests can verify them with wechatpy; ``exchange`` posts over
real HTTP and reads the answer the way the WeChat app would show it.
"""

from __future__ import annotations

import secrets
import time

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

OA_ORIGINAL_ID = "gh_5a0db0sandbox"  # the account's 原始ID, ToUserName of every push
UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"
WAIT_SECONDS = 5  # WeChat gives up on an answer after five seconds


def _cdata(value: str) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(from_user: str, msg_type: str, *, create_time: int | None = None, **fields) -> str:
    """The XML of one push; int fields bare, text fields in CDATA, in the platform's order."""
    parts = [
        f"<ToUserName>{_cdata(OA_ORIGINAL_ID)}</ToUserName>",
        f"<FromUserName>{_cdata(from_user)}</FromUserName>",
        f"<CreateTime>{int(create_time or time.time())}</CreateTime>",
        f"<MsgType>{_cdata(msg_type)}</MsgType>",
    ]
    for name, value in fields.items():
        if value is None:
            continue
        parts.append(f"<{name}>{value if isinstance(value, int) else _cdata(value)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def scan_xml(openid: str, scene: str, ticket: str, *, follows: bool, create_time: int | None = None) -> str:
    """A parametric-code scan: ``subscribe`` + ``qrscene_`` for a newcomer, ``SCAN`` for a follower."""
    if follows:
        return message_xml(openid, "event", create_time=create_time, Event="SCAN", EventKey=scene, Ticket=ticket)
    key = "qrscene_" + scene
    return message_xml(openid, "event", create_time=create_time, Event="subscribe", EventKey=key, Ticket=ticket)


def text_xml(openid: str, content: str, *, create_time: int | None = None) -> str:
    """A text message typed by the user, with a fresh 64-bit MsgId."""
    msg_id = secrets.randbits(63)
    return message_xml(openid, "text", create_time=create_time, Content=content, MsgId=msg_id)


def click_xml(openid: str, key: str, *, create_time: int | None = None) -> str:
    """A tap on a ``click`` menu button."""
    return message_xml(openid, "event", create_time=create_time, Event="CLICK", EventKey=key)


def _signature(*values: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*values)
    return signer.signature


def build_event_request(
    xml: str,
    *,
    token: str,
    openid: str,
    aes_key: str | None = None,
    appid: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[dict[str, str], str]:
    """The query string and body WeChat sends for ``xml``; encrypted ("safe mode") with ``aes_key``."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    query = {"signature": _signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": openid}
    if not aes_key:
        return query, xml
    sealed = xmltodict.parse(WeChatCrypto(token, aes_key, appid).encrypt_message(xml, nonce, timestamp))["xml"]
    query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
    body = f"<xml><ToUserName>{_cdata(OA_ORIGINAL_ID)}</ToUserName><Encrypt>{_cdata(sealed['Encrypt'])}</Encrypt></xml>"
    return query, body


def read_reply(
    status: int | None, body: str, *, token: str, aes_key: str | None = None, appid: str | None = None
) -> dict:
    """What the WeChat app shows for the callback's answer: nothing, a text bubble, a news card."""
    shown = {"status": status, "body": body, "kind": "unavailable", "problem": None}
    text = (body or "").strip()
    if status != 200:
        shown["problem"] = f"回调应答 HTTP {status}" if status else "回调无应答（超时或连接失败）"
        return shown
    if text in ("", "success"):
        return {**shown, "kind": "none"}
    try:
        reply = xmltodict.parse(text, disable_entities=True)["xml"]
        if aes_key and "Encrypt" in reply:
            crypto = WeChatCrypto(token, aes_key, appid)
            plain = crypto.decrypt_message(text, reply.get("MsgSignature"), reply.get("TimeStamp"), reply.get("Nonce"))
            shown["decrypted"] = plain
            reply = xmltodict.parse(plain, disable_entities=True)["xml"]
        elif aes_key:
            shown["problem"] = "安全模式下应答应当加密"
    except Exception as exc:  # any unreadable answer is what the user sees as "unavailable"
        return {**shown, "problem": f"应答无法解析或解密：{type(exc).__name__}"}
    return {**shown, **_as_shown(reply)}


def _as_shown(reply: dict) -> dict:
    kind = reply.get("MsgType")
    if kind == "text":
        return {"kind": "text", "content": reply.get("Content") or ""}
    if kind == "news":
        items = (reply.get("Articles") or {}).get("item") or []
        items = items if isinstance(items, list) else [items]
        articles = [{k.lower(): (a or {}).get(k) for k in ("Title", "Description", "PicUrl", "Url")} for a in items]
        if len(items) != 1:
            return {
                "kind": "news",
                "articles": articles[:1],
                "problem": f"被动回复图文只能有 1 条，收到 {len(items)} 条",
            }
        return {"kind": "news", "articles": articles}
    return {"kind": "other", "problem": f"沙盒不展示此类回复：{kind}"}


def exchange(base_url: str, query: dict, body: str, *, repeat: int = 1, **keys) -> dict:
    """POST the push to ``base_url/wechat/callback`` (``repeat`` identical tries, as WeChat retries)."""
    answers = []
    for _ in range(max(1, repeat)):
        try:
            response = requests.post(
                f"{base_url}/wechat/callback",
                params=query,
                data=body.encode(),
                headers={"Content-Type": "text/xml", "User-Agent": "Mozilla/4.0 (sandbox WeChat)"},
                timeout=WAIT_SECONDS,
            )
            answers.append({"status": response.status_code, "body": response.text[:4000]})
        except requests.RequestException as exc:
            answers.append({"status": None, "body": f"{type(exc).__name__}: {exc}"[:500]})
    last = answers[-1]
    return {
        "request": {"query": query, "body": body},
        "answers": answers,
        "reply": read_reply(last["status"], last["body"], **keys),
    }
