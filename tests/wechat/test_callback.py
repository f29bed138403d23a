"""GET/POST /wechat/callback: signatures, safe mode, key rotation, dedupe, hostile bodies."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db as database
from app.models import WechatIdentity
from app.services import identity
from tests.conftest import PUBLIC_BASE_URL, production_stack
from tests.helpers import award, code_of, make_household
from tests.wechat.wx import URL, WeChat, event_xml, openid, text_xml
from wechat import contacts, scenes

OTHER_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
_MESSAGE = (
    "<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>{{sender}}</FromUserName><CreateTime>1700000000"
    "</CreateTime><MsgType>text</MsgType><Content>&{entity};</Content><MsgId>1234567890123456</MsgId></xml>"
)
LOLS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 9))
BILLION_LAUGHS = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{LOLS}]>' + _MESSAGE.format(entity="lol8")
XXE = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + _MESSAGE.format(entity="xxe")
# No DOCTYPE keyword, just a lower-case entity declaration: still refused.
LOWER_ENTITY = '<!entity x "y"><xml><FromUserName>{sender}</FromUserName></xml>'


def identities() -> int:
    """Identities stored, once the periodic flush has written the contacts the callback noted."""
    contacts.flush()
    return database.session.scalar(select(func.count()).select_from(WechatIdentity))


def scan(household) -> str:
    return f"h_{code_of(household)}"


# --------------------------------------------------------------------------- GET


def test_get_echoes_echostr_when_signed(wechat):
    response = wechat.verify("5837397301622131269")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "5837397301622131269"


@pytest.mark.parametrize("override", [{"signature": "0" * 40}, {"nonce": "other"}, {"signature": ""}])
def test_get_with_a_forged_signature_is_403(wechat, override):
    response = wechat.verify("5837397301622131269", **override)
    assert response.status_code == 403
    assert "5837397301622131269" not in response.get_data(as_text=True)


def test_get_without_parameters_is_403(client):
    assert client.get("/wechat/callback").status_code == 403


# --------------------------------------------------------------------------- plain and safe mode


def test_plain_scan_gets_the_card(wechat, db):
    household = make_household()
    reply = wechat.reply(wechat.post(event_xml(openid(), "SCAN", scan(household))))
    assert reply["MsgType"] == "news"
    assert reply["Articles"]["item"]["Url"] == f"{PUBLIC_BASE_URL}/h/{code_of(household)}"


def test_encrypted_scan_gets_an_encrypted_card(safe_wechat, db):
    household = make_household()
    response = safe_wechat.post(event_xml(openid(), "SCAN", scan(household)))
    assert "<Encrypt>" in response.get_data(as_text=True)
    assert household.number not in response.get_data(as_text=True)  # nothing in the clear
    reply = safe_wechat.reply(response)
    assert reply["ArticleCount"] == "1"
    assert household.number in reply["Articles"]["item"]["Title"]
    assert identities() == 1


def test_previous_aes_key_still_works_during_a_rotation(client, app, db, monkeypatch):
    old = app.config["WECHAT_AES_KEY"]
    monkeypatch.setitem(app.config, "WECHAT_AES_KEY", OTHER_AES_KEY)
    monkeypatch.setitem(app.config, "WECHAT_AES_KEY_PREVIOUS", old)
    household = make_household()
    for key in (OTHER_AES_KEY, old):
        sender = WeChat(client, app.config, aes_key=key)
        reply = sender.reply(sender.post(event_xml(openid(), "SCAN", scan(household))))  # decrypts with `key`
        assert reply["MsgType"] == "news"
    assert identities() == 2


def test_a_key_that_is_neither_current_nor_previous_is_refused_quietly(client, app, db):
    stranger = WeChat(client, app.config, aes_key=OTHER_AES_KEY)
    response = stranger.post(event_xml(openid(), "subscribe"))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    assert identities() == 0


# --------------------------------------------------------------------------- forged requests


@pytest.mark.parametrize("override", [{"signature": "f" * 40}, {"timestamp": "1"}, {"signature": ""}])
def test_forged_post_is_403_and_stores_nothing(wechat, db, override):
    response = wechat.post(event_xml(openid(), "subscribe"), **override)
    assert response.status_code == 403
    assert identities() == 0


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_request_signed_outside_five_minutes_is_ignored(wechat, db, minutes):
    """A captured request replayed after the dedupe memory has gone must not act again."""
    household = make_household()
    body = event_xml(openid(), "SCAN", scenes.oa_scene(code_of(household)))
    response = wechat.post(body, signed_at=time.time() + minutes * 60)
    assert response.status_code == 200 and response.data == b"success"
    assert identities() == 0
    fresh = wechat.post(body, signed_at=time.time() - 120)  # two minutes late is still WeChat
    assert b"<MsgType><![CDATA[news]]></MsgType>" in fresh.data


def test_forged_msg_signature_is_403_and_stores_nothing(safe_wechat, db):
    response = safe_wechat.post(event_xml(openid(), "subscribe"), msg_signature="0" * 40)
    assert response.status_code == 403
    assert identities() == 0


# --------------------------------------------------------------------------- safe mode only


def test_a_captured_signed_query_with_a_forged_plain_body_is_refused(safe_wechat, db, caplog):
    """The probe's attack: the query of a genuine encrypted push (signature, timestamp, nonce,
    openid, msg_signature: all in an access log) replayed with a plain body of the attacker's."""
    household = make_household()
    award(household, 7)
    villager = household.members[0]
    victim = openid()
    row = identity.touch(victim, subscribed=True)
    row.villager_id = villager.id
    database.session.commit()
    genuine = safe_wechat.post(event_xml(openid(), "unsubscribe"))  # any real push
    assert genuine.status_code == 200
    captured = dict(safe_wechat.last_query)
    before = identities()

    stranger = openid()
    forged = [
        event_xml(stranger, "subscribe", "qrscene_" + scan(household)),  # would create an identity
        text_xml(victim, "积分"),  # would answer with the villager's name and points
    ]
    with caplog.at_level(logging.WARNING, logger="wechat.callback"):
        for body in forged:
            # Without the safe-mode parameters (a plain request in form): refused outright. As
            # captured: the body has no Encrypt for msg_signature to cover, so nothing is read and
            # the answer is the quiet `success` of any unreadable envelope.
            plain_query = {k: v for k, v in captured.items() if k not in ("encrypt_type", "msg_signature")}
            for query, expected in ((plain_query, (403, "forbidden")), (captured, (200, "success"))):
                response = safe_wechat.client.post(URL, query_string=query, data=body, content_type="text/xml")
                assert (response.status_code, response.get_data(as_text=True)) == expected
    assert identities() == before
    assert database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == stranger)) is None
    assert "plain message refused in safe mode" in caplog.text


def test_in_safe_mode_a_freshly_signed_plain_push_is_refused(app, client, db):
    """Even a correct query signature does not vouch for a plain body once a key is configured."""
    household = make_household()
    plain = WeChat(client, app.config)  # signs as WeChat does, but does not encrypt
    response = plain.post(event_xml(openid(), "subscribe", "qrscene_" + scan(household)))
    assert response.status_code == 403
    assert plain.post(text_xml(openid(), "帮助"), encrypt_type="aes").status_code == 403  # no msg_signature
    assert identities() == 0


def test_missing_token_refuses_everything(wechat, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TOKEN", None)
    assert wechat.post(event_xml(openid(), "subscribe")).status_code == 403


# --------------------------------------------------------------------------- sent three times


def test_subscribe_with_scene_three_times_has_one_effect(wechat, db, monkeypatch):
    household = make_household()
    touches = []
    real_touch = identity.touch
    monkeypatch.setattr(identity, "touch", lambda *a, **kw: touches.append(a) or real_touch(*a, **kw))
    body = event_xml(openid(), "subscribe", "qrscene_" + scan(household), create_time=1764400000)
    first, second, third = (wechat.post(body) for _ in range(3))
    assert wechat.reply(first)["MsgType"] == "news"
    assert [second.get_data(as_text=True), third.get_data(as_text=True)] == ["success", "success"]
    assert len(touches) == 1
    assert identities() == 1


@pytest.mark.parametrize("event,key", [("SCAN", None), ("CLICK", "MY_POINTS")])
def test_a_scan_or_click_resent_is_answered_in_full_and_noted_once(wechat, db, monkeypatch, event, key):
    """WeChat resends only when our answer did not reach it: the villager still waits for it."""
    household, sender = make_household(), openid()
    written = []  # openids whose contact was written, at once (embedded) or by the flush (Redis)
    touch, touch_many = identity.touch, identity.touch_many
    monkeypatch.setattr(identity, "touch", lambda o, *a, **kw: written.append(o) or touch(o, *a, **kw))
    monkeypatch.setattr(identity, "touch_many", lambda ids, *a: written.extend(ids) or touch_many(ids, *a))
    body = event_xml(sender, event, key or scan(household), create_time=1764400000)
    replies = [wechat.reply(wechat.post(body)) for _ in range(3)]
    assert replies[0]["MsgType"] == ("news" if event == "SCAN" else "text")
    unstamped = [{name: value for name, value in reply.items() if name != "CreateTime"} for reply in replies]
    assert unstamped[0] == unstamped[1] == unstamped[2]
    assert identities() == 1
    assert written == [sender]  # the contact, noted three times, is written once


def test_text_three_times_has_one_effect(safe_wechat, db):
    body = text_xml(openid(), "积分", msg_id=24000000000000001)
    replies = [safe_wechat.reply(safe_wechat.post(body)) for _ in range(3)]
    assert replies[0]["MsgType"] == "text"
    assert replies[1:] == ["success", "success"]


def test_different_events_in_the_same_second_both_count(wechat, db):
    sender = openid()
    first = wechat.reply(wechat.post(event_xml(sender, "subscribe", create_time=1764400000)))
    second = wechat.reply(wechat.post(event_xml(sender, "CLICK", "HELP", create_time=1764400000)))
    assert first["MsgType"] == second["MsgType"] == "text"
    assert first["Content"] != second["Content"]


def test_a_failed_handler_lets_the_retry_run_again(wechat, db, monkeypatch):
    body = event_xml(openid(), "subscribe", create_time=1764400001)
    real_touch = identity.touch
    monkeypatch.setattr(identity, "touch", lambda *a, **kw: 1 / 0)
    assert wechat.post(body).get_data(as_text=True) == "success"
    monkeypatch.setattr(identity, "touch", real_touch)  # (undo() would also restore the AES key)
    assert wechat.reply(wechat.post(body))["MsgType"] == "text"
    assert identities() == 1


@pytest.mark.skipif(not production_stack(), reason="atomic across workers needs Redis (SET NX)")
def test_concurrent_retries_have_one_effect(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_AES_KEY", None)  # plain mode: the body is posted as is
    household = make_household()
    body = event_xml(openid(), "subscribe", "qrscene_" + scan(household), create_time=1764400002)
    sender = WeChat(app.test_client(), app.config)
    query = sender.query()
    answers, start = [], threading.Barrier(3)

    def post():
        with app.app_context():
            start.wait()
            answers.append(app.test_client().post("/wechat/callback", query_string=query, data=body).data)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a == b"success" for a in answers) == [False, True, True]


# --------------------------------------------------------------------------- hostile and broken bodies


@pytest.mark.parametrize("mode", ["wechat", "safe_wechat"], ids=["plain", "encrypted"])
@pytest.mark.parametrize("template", [BILLION_LAUGHS, XXE, LOWER_ENTITY], ids=["laughs", "xxe", "lower"])
def test_entity_bodies_are_answered_success_and_store_nothing(request, db, caplog, template, mode):
    sender = openid()
    body = template.format(sender=sender)
    with caplog.at_level(logging.WARNING, logger="wechat.callback"):
        response = request.getfixturevalue(mode).post(body)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    assert identities() == 0
    assert "DOCTYPE/ENTITY" in caplog.text
    assert sender not in caplog.text and "passwd" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><ToUserName>gh_1</ToUserName",  # cut off
        b"not xml at all",
        b"<xml>just text</xml>",
        b"<xml><ToUserName>gh_1</ToUserName><FromUserName>oX</FromUserName></xml>",  # no CreateTime/MsgType
        b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o X]]></FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>event</MsgType><Event>subscribe</Event></xml>",  # an openid that is not one
        b"<xml><ToUserName>gh_1</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>hi</Content><MsgId>12ab</MsgId></xml>",
        "<xml><Content>积分</Content></xml>".encode("utf-16"),
        b"\xff\xfe\x00garbage",
    ],
    ids=["empty", "truncated", "text", "no-fields", "missing", "odd-openid", "odd-msgid", "utf16", "binary"],
)
@pytest.mark.parametrize("mode", ["plain", "encrypted"])
def test_malformed_bodies_are_answered_success(request, db, body, mode):
    if mode == "plain":
        response = request.getfixturevalue("wechat").post(body)
    else:
        safe_wechat = request.getfixturevalue("safe_wechat")
        response = safe_wechat.post_envelope(safe_wechat.encrypt(body.decode("latin-1")))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    assert identities() == 0


def test_oversized_body_is_answered_success_and_logged(wechat, db, caplog):
    padding = "x" * (64 * 1024)
    body = event_xml(openid(), "subscribe").replace("</xml>", f"<Pad>{padding}</Pad></xml>")
    with caplog.at_level(logging.WARNING, logger="wechat.callback"):
        response = wechat.post(body)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    assert "over 65536 bytes" in caplog.text
    assert identities() == 0


@pytest.mark.parametrize("encrypt", ["%%%not-base64%%%", "QUJD", "A" * 64, ""], ids=["junk", "short", "zeros", "empty"])
def test_bad_encrypt_field_is_answered_success(safe_wechat, db, encrypt):
    response = safe_wechat.post_envelope(encrypt)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
    assert identities() == 0


@pytest.mark.parametrize(
    "body", [b"<xml>", b"<xml><Encrypt></Encrypt></xml>", b""], ids=["cut", "empty-field", "empty"]
)
def test_safe_mode_envelope_without_encrypt_is_answered_success(safe_wechat, db, body):
    query = safe_wechat.query(encrypt_type="aes", msg_signature="0" * 40)
    response = safe_wechat.client.post("/wechat/callback", query_string=query, data=body)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")
