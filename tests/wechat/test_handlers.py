"""What the official account answers: household cards, keywords, menu clicks, follow state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as database
from app.models import WechatIdentity
from app.services import codes, identity
from tests.conftest import PUBLIC_BASE_URL
from tests.helpers import award, code_of, make_household, make_village
from tests.wechat.wx import event_xml, openid, text_xml
from wechat import contacts
from wechat.xmlsafe import clean


def identity_of(sender: str) -> WechatIdentity | None:
    """The sender's identity, once the periodic flush has written the contacts the callback noted."""
    contacts.flush()
    database.session.expire_all()
    return database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == sender))


def bind(sender: str, villager) -> None:
    """Bind directly, as the binding service would after a proof."""
    row = identity.touch(sender, subscribed=True)
    row.villager_id = villager.id
    database.session.commit()


def two_households():
    village = make_village()
    first, second = make_household(village, "0307"), make_household(village, "0308")
    award(first, 8)
    award(second, 3)
    return first, second


# --------------------------------------------------------------------------- household codes


def test_scan_of_an_active_code_answers_the_household_card(wechat, db):
    _, household = two_households()
    reply = wechat.reply(wechat.post(event_xml(openid(), "SCAN", f"h_{code_of(household)}")))
    assert (reply["MsgType"], reply["ArticleCount"]) == ("news", "1")
    article = reply["Articles"]["item"]
    assert article["Title"] == "大苍村 0308户 刘建华家"
    assert article["Url"] == f"{PUBLIC_BASE_URL}/h/{code_of(household)}"
    assert article["PicUrl"] == f"{PUBLIC_BASE_URL}/static/img/card.png"
    assert "积分 3 分" in article["Description"] and "全村第 2 名（共 2 户）" in article["Description"]
    assert "这是我家" in article["Description"]  # the page it opens offers binding (issue 10)


def test_the_card_follows_the_households_points(wechat, db):
    """The card is cached per village version: an award in the village shows on the next scan."""
    first, household = two_households()
    scene = f"h_{code_of(household)}"
    before = wechat.reply(wechat.post(event_xml(openid(), "SCAN", scene)))["Articles"]["item"]["Description"]
    award(household, 10)
    after = wechat.reply(wechat.post(event_xml(openid(), "SCAN", scene)))["Articles"]["item"]["Description"]
    assert "积分 3 分" in before and "全村第 2 名" in before
    assert "积分 13 分" in after and "全村第 1 名" in after


def test_subscribe_with_a_household_scene_answers_the_card_and_records_the_follower(wechat, db):
    household = make_household(number="0307")
    sender = openid()
    reply = wechat.reply(wechat.post(event_xml(sender, "subscribe", f"qrscene_h_{code_of(household)}")))
    assert "0307户" in reply["Articles"]["item"]["Title"]
    assert identity_of(sender).subscribed is True


def test_revoked_code_answers_the_replaced_plaque_text(wechat, db):
    household = make_household()
    old = code_of(household)
    codes.reissue_code(household.id, recorded_by="测试")
    reply = wechat.reply(wechat.post(event_xml(openid(), "SCAN", f"h_{old}")))
    assert reply["MsgType"] == "text"
    assert reply["Content"].startswith("这块门牌已更换")


@pytest.mark.parametrize("event,key", [("SCAN", "h_NoSuchCode0000000000"), ("subscribe", "qrscene_h_" + "x" * 22)])
def test_unknown_code_answers_a_polite_text(wechat, db, event, key):
    reply = wechat.reply(wechat.post(event_xml(openid(), event, key)))
    assert reply["MsgType"] == "text"
    assert "没有找到这块门牌" in reply["Content"]


def test_subscribe_with_a_foreign_scene_gets_the_welcome(wechat, db):
    reply = wechat.reply(wechat.post(event_xml(openid(), "subscribe", "qrscene_123")))
    assert "欢迎关注" in reply["Content"]


# --------------------------------------------------------------------------- follow state


def test_plain_subscribe_welcomes_and_explains_the_keywords(wechat, db):
    sender = openid()
    reply = wechat.reply(wechat.post(event_xml(sender, "subscribe")))
    assert reply["ToUserName"] == sender
    assert all(word in reply["Content"] for word in ("积分", "绑定", "帮助"))
    assert identity_of(sender).subscribed is True


def test_unsubscribe_marks_the_identity_quietly(wechat, db):
    sender = openid()
    wechat.post(event_xml(sender, "subscribe", create_time=1764400000))
    response = wechat.post(event_xml(sender, "unsubscribe", create_time=1764400060))
    assert response.get_data(as_text=True) == "success"
    assert identity_of(sender).subscribed is False


def test_a_follower_recorded_in_the_last_minute_is_not_touched_again(wechat, db, monkeypatch):
    household, sender = make_household(), openid()
    writes = []  # each write of the contact: at once (embedded) or by the flush (production stack)
    touch, touch_many = identity.touch, identity.touch_many
    monkeypatch.setattr(identity, "touch", lambda o, *a, **kw: writes.append(kw["subscribed"]) or touch(o, *a, **kw))
    monkeypatch.setattr(identity, "touch_many", lambda ids, *a: writes.extend(["noted"] * len(ids)) or touch_many(ids))
    scene = f"h_{code_of(household)}"
    for second in (0, 5, 10):
        if second == 10:
            contacts.forget_all()  # the next SCAN lands on another worker: the shared mark still holds
        reply = wechat.reply(wechat.post(event_xml(sender, "SCAN", scene, create_time=1764400000 + second)))
        assert reply["MsgType"] == "news"
    contacts.flush()  # the periodic task (production stack); a no-op when recorded at once
    assert len(writes) == 1 and identity_of(sender).subscribed is True
    for second, event in ((20, "unsubscribe"), (30, "subscribe"), (40, "unsubscribe")):
        wechat.post(event_xml(sender, event, create_time=1764400000 + second))
    assert writes[1:] == [False, True, False]
    assert identity_of(sender).subscribed is False


def test_events_we_do_not_handle_are_answered_success(wechat, db):
    sender = openid()
    assert wechat.post(event_xml(sender, "VIEW", f"{PUBLIC_BASE_URL}/h/x")).get_data(as_text=True) == "success"
    assert wechat.post(event_xml(sender, "TEMPLATESENDJOBFINISH")).get_data(as_text=True) == "success"
    assert identity_of(sender) is None


# --------------------------------------------------------------------------- keywords and clicks


def test_points_for_an_unbound_sender_explains_binding(wechat, db):
    reply = wechat.reply(wechat.post(text_xml(openid(), "积分")))
    assert "还没有绑定" in reply["Content"]
    assert f"{PUBLIC_BASE_URL}/me/bind" in reply["Content"]


def test_points_for_a_bound_sender_summarises_the_household(wechat, db):
    first, _ = two_households()
    award(first, 2)
    sender = openid()
    bind(sender, first.members[1])
    content = wechat.reply(wechat.post(text_xml(sender, "查积分")))["Content"]
    assert content.startswith(f"{first.members[1].name}，您好！")
    assert "大苍村 0307户（刘建华家）" in content
    assert "月 10 分" in content and "年 10 分" in content and "累计 10 分" in content
    assert "全村第 1 名（共 2 户）" in content
    assert f"{PUBLIC_BASE_URL}/h/{code_of(first)}" in content
    assert first.members[0].id_number[-6:] not in content


def test_menu_click_my_points_is_the_same_as_the_keyword(wechat, db):
    household = make_household()
    sender = openid()
    bind(sender, household.members[0])
    by_text = wechat.reply(wechat.post(text_xml(sender, "积分")))["Content"]
    by_click = wechat.reply(wechat.post(event_xml(sender, "CLICK", "MY_POINTS")))["Content"]
    assert by_text == by_click


@pytest.mark.parametrize(
    "body,expected",
    [
        (lambda s: text_xml(s, "绑定"), "/me/bind"),
        (lambda s: event_xml(s, "CLICK", "BIND"), "/me/bind"),
        (lambda s: text_xml(s, "帮助"), "村务通能帮您"),
        (lambda s: text_xml(s, "今天天气怎么样"), "村务通能帮您"),
        (lambda s: event_xml(s, "CLICK", "HELP"), "村务通能帮您"),
        (lambda s: event_xml(s, "CLICK", "SOMETHING_NEW"), "村务通能帮您"),
        (lambda s: event_xml(s, "CLICK", "NOTICES"), "通知公告很快"),
    ],
    ids=["bind", "click-bind", "help", "other-text", "click-help", "click-unknown", "click-notices"],
)
def test_keywords_and_menu_clicks(wechat, db, body, expected):
    sender = openid()
    reply = wechat.reply(wechat.post(body(sender)))
    assert reply["MsgType"] == "text"
    assert expected in reply["Content"]
    assert identity_of(sender).subscribed is True


def test_notices_for_a_bound_sender_links_their_household_page(wechat, db):
    household = make_household()
    sender = openid()
    bind(sender, household.members[0])
    content = wechat.reply(wechat.post(event_xml(sender, "CLICK", "NOTICES")))["Content"]
    assert f"{PUBLIC_BASE_URL}/h/{code_of(household)}" in content


def test_other_message_types_get_the_help(wechat, db):
    body = text_xml(openid(), "x").replace("<MsgType><![CDATA[text]]>", "<MsgType><![CDATA[image]]>")
    assert "村务通能帮您" in wechat.reply(wechat.post(body))["Content"]


# --------------------------------------------------------------------------- the card's pieces


def test_card_banner_is_served(client):
    response = client.get("/static/img/card.png")
    assert response.status_code == 200
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_clean_keeps_cdata_intact():
    assert clean("a]]><b>\x00\x07c") == "a]] ><b>c"
    assert clean("长" * 100, 10) == "长" * 10


def test_no_reply_calls_the_wechat_api(wechat, db, monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError("the callback must not call out")

    monkeypatch.setattr(requests.Session, "request", refuse)
    household, sender = make_household(), openid()
    bind(sender, household.members[0])
    for body in (
        event_xml(sender, "subscribe", f"qrscene_h_{code_of(household)}"),
        event_xml(sender, "SCAN", f"h_{code_of(household)}"),
        text_xml(sender, "积分"),
        event_xml(sender, "CLICK", "NOTICES"),
    ):
        assert wechat.reply(wechat.post(body))["MsgType"] in ("news", "text")
