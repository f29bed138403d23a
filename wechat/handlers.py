"""What the official account answers: one function per message or event, services only.

``handle(message)`` returns a ``Reply`` (``render()`` gives the XML), or None for ``success``
(nothing shown to the user). Every reply is built from the database or the page cache, never from
the WeChat API. Passive replies: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

from flask import current_app
from wechatpy.messages import BaseMessage

from app.errors import NotFound
from app.services import clock, codes, household_page, identity
from wechat import contacts
from wechat.scenes import code_from_event_key
from wechat.xmlsafe import clean

CARD_IMAGE = "/static/img/card.png"

WELCOME = (
    "欢迎关注村务通！\n"
    "· 发送「积分」：看您家的积分和排名\n"
    "· 发送「绑定」：把微信和您在村里的登记信息对上号，积分到账会通知您\n"
    "· 发送「帮助」：看看还能做什么\n"
    "扫一扫家门口门牌上的二维码，就能看到这一户的积分和荣誉。"
)
HELP = (
    "村务通能帮您：\n"
    "· 发「积分」：看您家本月、今年和累计的积分与排名\n"
    "· 发「绑定」：把微信和村里的登记信息关联\n"
    "· 扫门牌二维码：看这一户的积分、荣誉和家风家训\n"
    "其他事情请联系村委会。"
)
REPLACED = "这块门牌已更换，请扫描家里新门牌上的二维码。有疑问请联系村委会。"
UNKNOWN = "没有找到这块门牌对应的人家，可能是二维码有误，请联系村委会核对。"
NO_CODE = "暂时查不到您家的积分，请联系村委会。"


def answer_only(message: BaseMessage) -> bool:
    """True when handling ``message`` changes nothing but the follower's contact, which is kept
    once however often it is noted: a scan of a plaque or a menu click. The callback answers a
    resend of one of these in full instead of deduplicating it. WeChat resends only when our
    first answer did not reach it within 5 s, so the villager who scanned saw nothing yet, and
    the card is what they are waiting for; answering ``success`` would leave them with nothing.
    Subscribing, unsubscribing and messages change state (or will: feedback) and are claimed once."""
    return message.type == "event" and message.event in ANSWER_ONLY


def handle(message: BaseMessage) -> Reply | None:
    """Dispatch one parsed message or event (already verified; claimed once unless answer_only)."""
    if message.type == "event":
        handler = EVENTS.get(message.event)
        return handler(message) if handler else None
    contacts.in_touch(message.source)  # only followers can write to the account
    if message.type == "text":
        return _text_keyword(message)
    return _text(message, HELP)


# --------------------------------------------------------------------------- events


def on_subscribe(message) -> Reply:
    contacts.followed(message.source)
    return _text(message, WELCOME)


def on_subscribe_scan(message) -> Reply:
    """A new follower who scanned a household plaque: the card, or the welcome for other scenes."""
    contacts.followed(message.source)
    code = code_from_event_key(message.scene_id)
    return household_card(message, code) if code else _text(message, WELCOME)


def on_scan(message) -> Reply:
    contacts.in_touch(message.source)
    code = code_from_event_key(message.scene_id)
    return household_card(message, code) if code else _text(message, HELP)


def on_unsubscribe(message) -> None:
    contacts.unfollowed(message.source)  # WeChat shows nothing to someone who left


def on_click(message) -> Reply:
    contacts.in_touch(message.source)
    return CLICKS.get(message.key, lambda m: _text(m, HELP))(message)


# --------------------------------------------------------------------------- replies


def household_card(message, code: str) -> Reply:
    """The one-article card of the household behind ``code``; a polite text for other codes."""
    try:
        article = household_page.cached_view(code, 1, "card", lambda view: _article(view, code))
    except NotFound:
        return _text(message, UNKNOWN)
    if article is None:
        return _text(message, REPLACED)
    return Reply(message, _NEWS, **article)  # a passive reply holds one article


def _article(view: dict, code: str) -> dict | None:
    """The card's article, built once per village version and cached beside the household's
    page, so a scan only stamps the envelope; None for a replaced code."""
    if view["replaced"]:
        return None
    village, household = view["village"], view["household"]
    head = f" {household['head_name']}家" if household["head_name"] else ""
    year_rank = view["ranks"]["year"]
    description = (
        f"{view['period_labels']['year']}积分 {view['totals']['year']} 分，"
        f"全村第 {year_rank['village']} 名（共 {year_rank['village_size']} 户）。点开看全家积分、荣誉和家风家训；"
        "是您家的，点页面下方“这是我家”就能绑定微信。"
    )
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "title": clean(f"{village['name']} {household['number']}户{head}", 64),
        "description": clean(description, 120),
        "image": base + CARD_IMAGE,
        "url": f"{base}/h/{code}",
    }


def my_points(message) -> Reply:
    """积分: the sender's household summary when bound, else how to bind."""
    villager = identity.bound_villager(message.source)
    if villager is None:
        return _text(message, f"您的微信还没有绑定村里的登记信息，绑定后就能查积分。\n{_bind_link()}")
    code = codes.active_code(villager.household_id)
    if not code:
        return _text(message, NO_CODE)
    try:
        view = household_page.cached_view(code, 1, "json", lambda v: v)
    except NotFound:
        return _text(message, NO_CODE)
    household, totals, labels = view["household"], view["totals"], view["period_labels"]
    head = f"（{household['head_name']}家）" if household["head_name"] else ""
    rank = view["ranks"]["year"]
    base = current_app.config["PUBLIC_BASE_URL"]
    return _text(
        message,
        f"{villager.name}，您好！\n"
        f"{view['village']['name']} {household['number']}户{head}\n"
        f"{labels['month']} {totals['month']} 分 · {labels['year']} {totals['year']} 分 · 累计 {totals['all']} 分\n"
        f"{labels['year']}全村第 {rank['village']} 名（共 {rank['village_size']} 户）\n"
        f'<a href="{base}/h/{code}">查看全家积分明细</a>',
    )


def bind(message) -> Reply:
    return _text(message, f"按页面提示确认身份，就能把微信和您在村里的登记信息绑定。\n{_bind_link()}")


def notices(message) -> Reply:
    """NOTICES: not built yet; point to the household page (which shows the village's news)."""
    villager = identity.bound_villager(message.source)
    code = codes.active_code(villager.household_id) if villager else None
    if code:
        where = f'先看看<a href="{current_app.config["PUBLIC_BASE_URL"]}/h/{code}">您家的页面</a>和村里的排名。'
    else:
        where = "先扫一扫家门口门牌上的二维码，看看您家的积分和排名。"
    return _text(message, "村里的通知公告很快就能在这里看到。" + where)


def _bind_link() -> str:
    return f'<a href="{current_app.config["PUBLIC_BASE_URL"]}/me/bind">点这里绑定</a>'


def _text_keyword(message) -> Reply:
    content = (message.content or "").strip()
    if "积分" in content:
        return my_points(message)
    if "绑定" in content:
        return bind(message)
    return _text(message, HELP)  # 帮助, and anything else


def _text(message, content: str) -> Reply:
    return Reply(message, _TEXT, content=clean(content))


# --------------------------------------------------------------------------- rendering

# wechatpy's TextReply and one-article ArticlesReply, byte for byte, without their field machinery.
_TEXT = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
_NEWS = (
    "<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<ArticleCount>1</ArticleCount>\n        <Articles><item>\n"
    "            <Title><![CDATA[{title}]]></Title>\n"
    "            <Description><![CDATA[{description}]]></Description>\n"
    "            <PicUrl><![CDATA[{image}]]></PicUrl>\n"
    "            <Url><![CDATA[{url}]]></Url>\n"
    "            </item></Articles>\n"
)
_ENVELOPE = (
    "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
    "<CreateTime>{time}</CreateTime>\n</xml>"
)


class Reply:
    """A passive reply to ``message``: from the account to the sender, stamped now."""

    __slots__ = ("template", "values")

    def __init__(self, message: BaseMessage, template: str, **values: str):
        self.template = template + _ENVELOPE
        # Every value goes into CDATA: no "]]>" and only characters XML allows (texts are
        # clean() already; the ids were checked by xmlsafe; URLs come from config and codes).
        self.values = {name: clean(value, 2048) for name, value in values.items()}
        self.values.update(source=clean(message.target), target=clean(message.source), time=int(clock.timestamp()))

    def render(self) -> str:
        return self.template.format_map(self.values)


# Events whose handlers only read and note the sender's contact (see answer_only).
ANSWER_ONLY = frozenset({"scan", "click"})
EVENTS = {
    "subscribe": on_subscribe,
    "subscribe_scan": on_subscribe_scan,
    "scan": on_scan,
    "unsubscribe": on_unsubscribe,
    "click": on_click,
}
# Menu CLICK keys (wechat/menu.json). Each one only reads, as ANSWER_ONLY promises for "click":
# a key whose handler writes would need the callback's claim.
CLICKS = {
    "MY_POINTS": my_points,
    "BIND": bind,
    "HELP": lambda m: _text(m, HELP),
    "NOTICES": notices,
}
