"""Build signed WeChat callback requests the way the platform does, and read the replies."""

from __future__ import annotations

import itertools
import time

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

URL = "/wechat/callback"
ACCOUNT = "gh_0123456789ab"
_seq = itertools.count(1)


def sign(*parts: str) -> str:
    """sha1 of the sorted parts (check_signature's and msg_signature's rule)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def openid(n: int | None = None) -> str:
    return f"oTest{n if n is not None else next(_seq):023d}"


def event_xml(sender: str, event: str, key: str | None = None, *, create_time: int | None = None) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    ticket = "<Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2t]]></Ticket>" if key else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}{ticket}</xml>"
    )


def text_xml(sender: str, content: str, *, msg_id: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or 23000000000000000 + next(_seq)}</MsgId></xml>"
    )


class WeChat:
    """Stands in for the platform: signs (and in safe mode encrypts) each request."""

    def __init__(self, client, config, *, aes_key: str | None = None):
        self.client, self.token, self.appid = client, config["WECHAT_TOKEN"], config["WECHAT_APPID"]
        self.crypto = WeChatCrypto(self.token, aes_key, self.appid) if aes_key else None

    def query(self, *, signed_at: float | None = None, **extra) -> dict:
        timestamp, nonce = str(int(signed_at or time.time())), f"{next(_seq):010d}"
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}

    def verify(self, echostr: str = "1234567890123", **override):
        return self.client.get(URL, query_string={**self.query(echostr=echostr), **override})

    def post(self, body: str | bytes, *, signed_at: float | None = None, **override):
        """POST ``body`` signed (``signed_at`` another time than now); in safe mode encrypted here."""
        query = self.query(signed_at=signed_at)
        if self.crypto is not None:
            envelope = self.crypto.encrypt_message(body, query["nonce"], query["timestamp"])
            query.update(encrypt_type="aes", msg_signature=xmltodict.parse(envelope)["xml"]["MsgSignature"])
            body = envelope
        query.update(override)
        self.last_query = query
        return self.client.post(URL, query_string=query, data=body, content_type="text/xml")

    def post_envelope(self, encrypt: str, **override):
        """A safe-mode POST of an arbitrary ``Encrypt`` value, correctly signed."""
        query = self.query(encrypt_type="aes")
        query["msg_signature"] = sign(self.token, query["timestamp"], query["nonce"], encrypt)
        query.update(override)
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        return self.client.post(URL, query_string=query, data=body, content_type="text/xml")

    def encrypt(self, plaintext: str) -> str:
        return xmltodict.parse(self.crypto.encrypt_message(plaintext, "1", "1"))["xml"]["Encrypt"]

    def reply(self, response) -> dict | str:
        """The reply's fields (decrypted in safe mode), or the plain text body (``success``)."""
        assert response.status_code == 200, response.status_code
        text = response.get_data(as_text=True)
        if not text.startswith("<xml>"):
            return text
        if self.crypto is not None:
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        return xmltodict.parse(text)["xml"]
