"""A correctly signed callback whose nonce has odd characters (``+``, ``%``, spaces, Chinese,
markup, a very long one): signed with exactly that nonce, as a platform bug or an attacker holding
the token could send it. The callback refuses it (nothing stored, no echo, no reply carrying the
nonce) and never answers 500."""

from __future__ import annotations

import time

import pytest
import xmltodict
from sqlalchemy import func, select

from app.extensions import db
from app.models import WechatIdentity
from tests.wechat.wx import URL, openid, sign, text_xml
from wechat import contacts

ODD_NONCES = ["12+34", "100%", "%41%42", "12 34", "随机数", "<xml>", "a]]>b", "1" * 65, "9" * 300, "\t", "١٢٣"]


def _query(token: str, nonce: str, **extra) -> dict:
    timestamp = str(int(time.time()))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def _refused(response) -> None:
    assert response.status_code in (400, 403), response.status_code
    assert "Internal Server Error" not in response.get_data(as_text=True)


@pytest.mark.parametrize("nonce", ODD_NONCES)
def test_a_signed_verification_with_an_odd_nonce_is_refused_without_echo(client, app, nonce):
    response = client.get(URL, query_string=_query(app.config["WECHAT_TOKEN"], nonce, echostr="5837397301622131269"))
    _refused(response)
    assert "5837397301622131269" not in response.get_data(as_text=True)


@pytest.mark.parametrize("nonce", ODD_NONCES)
def test_a_signed_plain_message_with_an_odd_nonce_is_refused(client, app, monkeypatch, nonce):
    monkeypatch.setitem(app.config, "WECHAT_AES_KEY", None)
    body = text_xml(openid(), "我的积分")
    _refused(client.post(URL, query_string=_query(app.config["WECHAT_TOKEN"], nonce), data=body, content_type="text/xml"))
    contacts.flush()
    assert db.session.scalar(select(func.count()).select_from(WechatIdentity)) == 0


@pytest.mark.parametrize("nonce", ODD_NONCES)
def test_a_signed_encrypted_message_with_an_odd_nonce_is_refused(client, app, nonce):
    from wechatpy.crypto import WeChatCrypto

    token = app.config["WECHAT_TOKEN"]
    crypto = WeChatCrypto(token, app.config["WECHAT_AES_KEY"], app.config["WECHAT_APPID"])
    query = _query(token, nonce, encrypt_type="aes")
    encrypt = xmltodict.parse(crypto.encrypt_message(text_xml(openid(), "我的积分"), "1", query["timestamp"]))["xml"]["Encrypt"]
    query["msg_signature"] = sign(token, query["timestamp"], nonce, encrypt)
    body = f"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    response = client.post(URL, query_string=query, data=body, content_type="text/xml")
    _refused(response)
    assert nonce not in response.get_data(as_text=True) or len(nonce) < 2
