"""The WeChat sandbox (W7), driven over real HTTP as production client code reaches it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import xmltodict
from PIL import Image
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from tests.conftest import production_stack
from tests.helpers import code_of, make_household
from wechat.sandbox import events


class Sandbox:
    """A caller of the sandbox: platform endpoints plus the control API."""

    def __init__(self, app, base: str):
        self.app, self.base, self.http = app, base, requests.Session()
        cfg = app.config
        self.oa = {"appid": cfg["WECHAT_APPID"], "secret": cfg["WECHAT_SECRET"]}
        self.mp = {"appid": cfg["MP_APPID"], "secret": cfg["MP_SECRET"]}

    def url(self, path: str) -> str:
        return f"{self.base}/sandbox/{path.lstrip('/')}"

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.url(path), params=params, allow_redirects=False, timeout=10)

    def post(self, path: str, body=None, timeout: float = 10, **params) -> requests.Response:
        return self.http.post(self.url(path), params=params, json=body, timeout=timeout)

    def call(self, path: str, body=None, app: str = "oa", **params) -> dict:
        """POST a platform API with a valid access token of ``app``; the JSON answer."""
        return self.post(path, body, access_token=self.token(app), **params).json()

    def control(self, name: str, body=None) -> dict:
        return self.post(f"_control/{name}", body or {}).json()

    def state(self) -> dict:
        return self.get("_control/state").json()

    def stable(self, app: str = "oa", force: bool = False) -> dict:
        creds = self.oa if app == "oa" else self.mp
        return self.post(
            "cgi-bin/stable_token", {"grant_type": "client_credential", **creds, "force_refresh": force}
        ).json()

    def token(self, app: str = "oa") -> str:
        return self.stable(app)["access_token"]

    def user(self, nickname: str = "刘建华", follows: bool = True) -> dict:
        return self.control("users", {"nickname": nickname, "follows": follows})


@pytest.fixture
def sandbox(app, live_server):
    box = Sandbox(app, live_server)
    assert box.control("reset")["ok"]
    return box


def classic_token(box: Sandbox, **overrides) -> dict:
    params = {"grant_type": "client_credential", **box.oa, **overrides}
    return box.get("cgi-bin/token", **params).json()


def token_works(box: Sandbox, token: str) -> int:
    """The errcode an API call with ``token`` gets (46003 = accepted, no menu yet)."""
    return box.get("cgi-bin/menu/get", access_token=token).json()["errcode"]


# --- tokens -------------------------------------------------------------------------------------


def test_token_makes_a_new_token_each_time_and_the_old_one_lives_five_minutes(sandbox):
    first, second = classic_token(sandbox), classic_token(sandbox)
    assert first["expires_in"] == 7200 and first["access_token"] != second["access_token"]
    assert token_works(sandbox, first["access_token"]) == 46003
    sandbox.control("clock", {"advance": 301})
    assert token_works(sandbox, first["access_token"]) == 40001
    assert token_works(sandbox, second["access_token"]) == 46003
    sandbox.control("clock", {"advance": 7200})
    assert token_works(sandbox, second["access_token"]) == 42001


def test_token_rejects_bad_grant_appid_and_secret(sandbox):
    assert classic_token(sandbox, grant_type="password")["errcode"] == 40002
    assert classic_token(sandbox, appid="wx0000000000000000")["errcode"] == 40013
    answer = classic_token(sandbox, secret="wrong")
    assert answer == {"errcode": 40125, "errmsg": "invalid appsecret"}


def test_stable_token_is_shared_until_forced_and_counted_per_appid(sandbox):
    first, again = sandbox.stable(), sandbox.stable()
    assert first["access_token"] == again["access_token"] and 7100 < again["expires_in"] <= 7200
    assert sandbox.stable("mp")["access_token"] != first["access_token"]
    forced = sandbox.stable(force=True)
    assert forced["access_token"] != first["access_token"]
    assert token_works(sandbox, first["access_token"]) == 40001  # force_refresh kills the old one
    counters = sandbox.state()["counters"]
    assert counters["stable_token"] == {sandbox.oa["appid"]: 3, sandbox.mp["appid"]: 1}
    assert counters["tokens_issued"]["stable"][sandbox.oa["appid"]] == 2


def test_stable_token_renews_in_its_last_five_minutes_and_is_isolated_from_token(sandbox):
    first = sandbox.stable()["access_token"]
    classic_token(sandbox)
    assert sandbox.stable()["access_token"] == first
    sandbox.control("clock", {"advance": 7200 - 200})
    renewed = sandbox.stable()
    assert renewed["access_token"] != first and renewed["expires_in"] > 7000
    assert token_works(sandbox, first) == 46003  # still valid until its own expiry


def test_stable_token_gives_concurrent_callers_one_token(sandbox):
    tokens = []
    threads = [
        threading.Thread(target=lambda: tokens.append(Sandbox(sandbox.app, sandbox.base).token())) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert sandbox.state()["counters"]["tokens_issued"]["stable"][sandbox.oa["appid"]] == 1


def test_stable_token_needs_json_and_valid_credentials(sandbox):
    assert sandbox.http.post(sandbox.url("cgi-bin/stable_token"), data="x=1", timeout=5).json()["errcode"] == 47001
    bad = sandbox.post("cgi-bin/stable_token", {"grant_type": "client_credential", **sandbox.oa, "secret": "no"})
    assert bad.json()["errcode"] == 40125


def test_apis_check_the_access_token(sandbox):
    assert sandbox.post("cgi-bin/menu/create", {"button": []}).json()["errcode"] == 41001
    assert sandbox.post("cgi-bin/menu/create", {}, access_token="forged").json()["errcode"] == 40001
    mp_token = sandbox.token("mp")
    assert sandbox.post("cgi-bin/qrcode/create", {}, access_token=mp_token).json()["errcode"] == 48001


# --- codes --------------------------------------------------------------------------------------


def create_qr(box: Sandbox, scene="h_abc", action="QR_LIMIT_STR_SCENE", **extra) -> dict:
    key = "scene_str" if "STR" in action else "scene_id"
    return box.call("cgi-bin/qrcode/create", {"action_name": action, "action_info": {"scene": {key: scene}}, **extra})


def test_permanent_qrcode_has_a_ticket_a_picture_and_a_scene_page(app, sandbox):
    created = create_qr(sandbox)
    assert created["url"] == f"{app.config['PUBLIC_BASE_URL']}/sandbox/q/{created['ticket']}"
    assert "expire_seconds" not in created
    assert create_qr(sandbox)["ticket"] == created["ticket"]  # same scene, same permanent code
    picture = sandbox.get("cgi-bin/showqrcode", ticket=created["ticket"])
    assert picture.headers["Content-Type"] == "image/png" and Image.open(io.BytesIO(picture.content)).size[0] > 100
    page = sandbox.get(f"q/{created['ticket']}")
    assert page.status_code == 200 and "h_abc" in page.text and "永久" in page.text
    assert sandbox.get("cgi-bin/showqrcode", ticket="gQnope").status_code == 404
    assert sandbox.state()["counters"]["qr_permanent"] == 1


def test_temporary_qrcode_expires(sandbox):
    created = create_qr(sandbox, 42, action="QR_SCENE", expire_seconds=120)
    assert created["expire_seconds"] == 120
    assert sandbox.get("cgi-bin/showqrcode", ticket=created["ticket"]).status_code == 200
    sandbox.control("clock", {"advance": 121})
    assert sandbox.get("cgi-bin/showqrcode", ticket=created["ticket"]).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}},
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}},
        {"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}},
        {"action_name": "QR_FOREVER", "action_info": {"scene": {"scene_str": "h_a"}}},
        {"action_name": "QR_LIMIT_STR_SCENE"},
    ],
)
def test_qrcode_with_bad_action_info_is_40053(sandbox, body):
    assert sandbox.call("cgi-bin/qrcode/create", body)["errcode"] == 40053


def test_permanent_qrcode_cap_is_45029(app, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_QR_LIMIT", 2)
    first = create_qr(sandbox, "h_1")
    create_qr(sandbox, "h_2")
    assert create_qr(sandbox, "h_3") == {"errcode": 45029, "errmsg": "qrcode count out of limit"}
    assert create_qr(sandbox, "h_1")["ticket"] == first["ticket"]
    assert "ticket" in create_qr(sandbox, 7, action="QR_SCENE")  # temporary codes are not capped


def wxacode(box: Sandbox, **body) -> requests.Response:
    return box.post("wxa/getwxacodeunlimit", {"page": "pages/household/index", **body}, access_token=box.token("mp"))


def test_wxacode_is_a_png_and_recorded(sandbox):
    response = wxacode(sandbox, scene="Ab-._~9", check_path=True, env_version="release", width=430)
    assert response.headers["Content-Type"] == "image/png" and response.content[:4] == b"\x89PNG"
    assert sandbox.state()["wxacodes"][0]["scene"] == "Ab-._~9"
    assert wxacode(sandbox, scene="abc", page="pages/not/there", check_path=False).content[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"scene": ""}, 40129),
        ({"scene": "x" * 33}, 40169),
        ({"scene": "户码"}, 40169),
        ({"scene": "a b"}, 40169),
        ({"scene": "abc", "page": "/pages/household/index"}, 41030),
        ({"scene": "abc", "page": "pages/not/there"}, 41030),
    ],
)
def test_wxacode_errors_are_json(sandbox, body, errcode):
    response = wxacode(sandbox, **body)
    assert response.headers["Content-Type"].startswith("application/json") and response.json()["errcode"] == errcode


# --- login --------------------------------------------------------------------------------------


def jscode2session(box: Sandbox, code: str, **overrides) -> dict:
    params = {**box.mp, "js_code": code, "grant_type": "authorization_code", **overrides}
    return box.get("sns/jscode2session", **params).json()


def test_jscode2session_gives_the_mini_program_identity_once(sandbox):
    user = sandbox.user()
    code = sandbox.control("jscode", {"openid": user["openid"]})["js_code"]
    session = jscode2session(sandbox, code)
    assert session["openid"] == user["mp_openid"] != user["openid"]
    assert session["unionid"] == user["unionid"] and session["session_key"]
    assert jscode2session(sandbox, code)["errcode"] == 40163
    assert jscode2session(sandbox, "never-issued")["errcode"] == 40029
    fresh = sandbox.control("jscode", {"openid": user["openid"]})["js_code"]
    assert jscode2session(sandbox, fresh, secret="bad")["errcode"] == 40125
    assert jscode2session(sandbox, fresh, **sandbox.oa)["errcode"] == 40013
    sandbox.control("clock", {"advance": 301})
    assert jscode2session(sandbox, fresh)["errcode"] == 40029


def authorize(box: Sandbox, **overrides) -> requests.Response:
    params = {
        "appid": box.oa["appid"],
        "redirect_uri": "https://cun.example.cn/wechat/oauth/callback?next=/me",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s1",
        **overrides,
    }
    return box.get("connect/oauth2/authorize", **params)


def exchange(box: Sandbox, code: str, **overrides) -> dict:
    params = {**box.oa, "code": code, "grant_type": "authorization_code", **overrides}
    return box.get("sns/oauth2/access_token", **params).json()


def test_oauth_redirects_the_chosen_user_with_a_single_use_code(sandbox):
    user = sandbox.user()
    picker = authorize(sandbox)
    assert picker.status_code == 200 and "以「刘建华」继续" in picker.text
    back = picker.url[len(sandbox.base) :]
    chosen = sandbox.http.post(
        sandbox.url("oauth/pick"), data={"openid": user["openid"], "next": back}, allow_redirects=False
    )
    assert chosen.headers["Location"].endswith(back)  # back to authorize, now with the cookie set
    target = urlsplit(authorize(sandbox).headers["Location"])
    query = parse_qs(target.query)
    assert (target.netloc, target.path) == ("cun.example.cn", "/wechat/oauth/callback")
    assert query["next"] == ["/me"] and query["state"] == ["s1"]
    answer = exchange(sandbox, query["code"][0])
    assert answer["openid"] == user["openid"] and answer["scope"] == "snsapi_base" and answer["expires_in"] == 7200
    assert exchange(sandbox, query["code"][0])["errcode"] == 40163
    assert exchange(sandbox, "made-up")["errcode"] == 40029


def test_oauth_code_dies_after_five_minutes_and_needs_the_secret(sandbox):
    user = sandbox.user()
    code = sandbox.control("oauth_code", {"openid": user["openid"]})["code"]
    assert exchange(sandbox, code, secret="bad")["errcode"] == 40125
    sandbox.control("clock", {"advance": 301})
    assert exchange(sandbox, code)["errcode"] in (40029, 40163)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"appid": "wx0000000000000000"}, "10016"),
        ({"scope": "snsapi_login"}, "10005"),
        ({"state": "x" * 129}, "10014"),
        ({"redirect_uri": "https://evil.example.com/cb"}, "10003"),
    ],
)
def test_oauth_authorize_refuses_bad_requests_with_a_page(sandbox, overrides, code):
    page = authorize(sandbox, **overrides)
    assert page.status_code == 400 and code in page.text and "出错" in page.text


# --- messages -----------------------------------------------------------------------------------


def template(box: Sandbox, touser: str, **overrides) -> dict:
    body = {
        "touser": touser,
        "template_id": "points-awarded",
        "url": "https://cun.example.cn/me",
        "data": {"thing1": {"value": "打扫屋场公共道路"}, "number2": {"value": 5}},
        **overrides,
    }
    return box.call("cgi-bin/message/template/send", body)


def test_template_message_lands_in_the_followers_inbox(sandbox):
    user = sandbox.user()
    sent = template(sandbox, user["openid"], client_msg_id="n-1")
    assert sent["errcode"] == 0 and sent["errmsg"] == "ok" and isinstance(sent["msgid"], int)
    [message] = sandbox.state()["inboxes"][user["openid"]]
    assert message["template_id"] == "points-awarded" and message["client_msg_id"] == "n-1"
    assert message["data"] == {"thing1": "打扫屋场公共道路", "number2": "5"}
    assert message["url"] == "https://cun.example.cn/me" and message["msgid"] == sent["msgid"] and message["time"]


def test_template_message_refusals(sandbox):
    follower, stranger = sandbox.user(), sandbox.user("路人", follows=False)
    assert template(sandbox, "oNobody")["errcode"] == 40003
    assert template(sandbox, stranger["openid"])["errcode"] == 43004
    assert template(sandbox, follower["openid"], template_id="made-up")["errcode"] == 40037
    too_long = template(sandbox, follower["openid"], data={"thing1": {"value": "一" * 21}})
    assert too_long["errcode"] == 47003
    assert template(sandbox, follower["mp_openid"])["errcode"] == 40003  # the mini-program openid is another id
    assert sandbox.state()["inboxes"] == {follower["openid"]: [], stranger["openid"]: []}


def test_template_message_with_the_same_client_msg_id_is_delivered_once(sandbox):
    user = sandbox.user()
    first, repeat = (
        template(sandbox, user["openid"], client_msg_id="n-7"),
        template(sandbox, user["openid"], client_msg_id="n-7"),
    )
    assert repeat["errcode"] == 0 and repeat["msgid"] == first["msgid"]
    other = template(sandbox, user["openid"], client_msg_id="n-8")
    assert other["msgid"] != first["msgid"]
    assert [m["client_msg_id"] for m in sandbox.state()["inboxes"][user["openid"]]] == ["n-7", "n-8"]
    sandbox.control("clock", {"advance": 601})  # the platform remembers client_msg_id for ten minutes
    assert template(sandbox, user["openid"], client_msg_id="n-7")["msgid"] != first["msgid"]
    assert len(sandbox.state()["inboxes"][user["openid"]]) == 3


def subscribe(box: Sandbox, touser: str, **data) -> dict:
    body = {"touser": touser, "template_id": "mp-points-awarded", "page": "pages/household/index", "data": {}}
    body["data"] = {k: {"value": v} for k, v in (data or {"thing1": "打扫卫生", "character_string2": "+5"}).items()}
    return box.call("cgi-bin/message/subscribe/send", body, app="mp")


def test_subscribe_message_needs_one_acceptance_per_send(sandbox):
    user = sandbox.user()
    assert subscribe(sandbox, user["mp_openid"]) == {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
    assert (
        sandbox.control("accept", {"openid": user["openid"], "template_id": "mp-points-awarded", "times": 2})["left"]
        == 2
    )
    assert subscribe(sandbox, user["mp_openid"])["errcode"] == 0
    assert subscribe(sandbox, user["mp_openid"])["errcode"] == 0
    assert subscribe(sandbox, user["mp_openid"])["errcode"] == 43101
    inbox = sandbox.state()["inboxes"][user["openid"]]
    assert [(m["kind"], m["touser"], m["page"]) for m in inbox] == [
        ("subscribe", user["mp_openid"], "pages/household/index")
    ] * 2


@pytest.mark.parametrize(
    "data",
    [
        {"thing1": "一" * 21},
        {"character_string2": "x" * 33},
        {"phrase3": "已经到账了啊"},
        {"thing1": ""},
        {"mystery4": "x"},
    ],
)
def test_subscribe_message_field_limits_are_47003_and_keep_the_quota(sandbox, data):
    user = sandbox.user()
    sandbox.control("accept", {"openid": user["mp_openid"], "template_id": "mp-points-awarded"})
    assert subscribe(sandbox, user["mp_openid"], **data)["errcode"] == 47003
    assert sandbox.state()["users"][0]["subscribe_quota"] == {"mp-points-awarded": 1}
    assert subscribe(sandbox, user["openid"])["errcode"] == 40003  # the official-account openid is another id


# --- menu ---------------------------------------------------------------------------------------

MENU = {
    "button": [
        {"name": "我家积分", "sub_button": [{"type": "view", "name": "我家主页", "url": "https://cun.example.cn/me"}]},
        {"type": "click", "name": "村务公开", "key": "NOTICES"},
    ]
}


def test_menu_is_stored_and_shown(sandbox):
    assert sandbox.call("cgi-bin/menu/create", MENU) == {"errcode": 0, "errmsg": "ok"}
    assert sandbox.get("cgi-bin/menu/get", access_token=sandbox.token()).json() == {"menu": MENU}
    assert sandbox.state()["menus"][sandbox.oa["appid"]] == MENU["button"]
    sandbox.user()
    sandbox.http.post(sandbox.url("sim/pick"), data={"openid": sandbox.state()["users"][0]["openid"]}, timeout=5)
    page = sandbox.get("").text
    assert "村务公开" in page and "我家积分 › 我家主页" in page


def click(name="积分", **extra) -> dict:
    return {"type": "click", "name": name, "key": "K", **extra}


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([], 40016),
        ([click()] * 4, 40016),
        ([click("一二三四五六")], 40018),
        ([click(type="tap")], 40017),
        ([click(key="")], 40019),
        ([{"type": "view", "name": "主页"}], 40020),
        ([{"name": "帮助", "sub_button": [click()] * 6}], 40023),
        ([{"name": "帮助", "sub_button": [click("一" * 21)]}], 40025),
        ([{"name": "帮助", "sub_button": [click(type="tap")]}], 40024),
    ],
)
def test_menu_validation_errors(sandbox, buttons, errcode):
    assert sandbox.call("cgi-bin/menu/create", {"button": buttons})["errcode"] == errcode
    assert sandbox.state()["menus"][sandbox.oa["appid"]] is None


# --- fault injection and control ----------------------------------------------------------------


def test_fail_answers_the_next_calls_with_the_error(sandbox):
    user = sandbox.user()
    sandbox.control("fail", {"api": "template_send", "errcode": 45009, "times": 2})
    assert [template(sandbox, user["openid"])["errcode"] for _ in range(3)] == [45009, 45009, 0]
    assert sandbox.state()["counters"]["calls"]["template_send"] == 3
    assert len(sandbox.state()["inboxes"][user["openid"]]) == 1
    assert sandbox.post("_control/fail", {"api": "nope", "errcode": 1}).status_code == 400


def test_delay_after_record_delivers_even_when_the_caller_gives_up(sandbox):
    user = sandbox.user()
    token = sandbox.token()
    sandbox.control("delay", {"api": "template_send", "seconds": 1.5, "after_record": True})
    body = {
        "touser": user["openid"],
        "template_id": "binding-welcome",
        "data": {"thing1": {"value": "欢迎"}},
        "client_msg_id": "n-9",
    }
    with pytest.raises(requests.Timeout):  # a worker killed mid-call never sees the answer …
        sandbox.post("cgi-bin/message/template/send", body, timeout=0.5, access_token=token)
    assert len(sandbox.state()["inboxes"][user["openid"]]) == 1  # … but the message was delivered
    retry = sandbox.post("cgi-bin/message/template/send", body, access_token=token).json()
    assert retry["errcode"] == 0 and len(sandbox.state()["inboxes"][user["openid"]]) == 1


CREATE_USER_ELSEWHERE = """
import sys
from app import create_app
app = create_app({"TESTING": True, "CACHE_KEY_PREFIX": sys.argv[1]})
with app.app_context():
    from wechat.sandbox import users
    print(users.create("另一个进程")["openid"])
"""


@pytest.mark.skipif(not production_stack(), reason="the embedded cache lives inside one process")
def test_another_process_shares_the_platform_through_redis(app, sandbox):
    token = sandbox.token()
    done = subprocess.run(
        [sys.executable, "-c", CREATE_USER_ELSEWHERE, app.config["CACHE_KEY_PREFIX"]],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    openid = done.stdout.strip().splitlines()[-1]
    assert [u["nickname"] for u in sandbox.state()["users"] if u["openid"] == openid] == ["另一个进程"]
    assert sandbox.token() == token


def test_reset_forgets_everything(sandbox):
    user = sandbox.user()
    template(sandbox, user["openid"])
    sandbox.control("fail", {"api": "token", "errcode": -1, "times": 5})
    sandbox.control("reset")
    state = sandbox.state()
    assert state["users"] == [] and state["inboxes"] == {} and state["faults"] == {}
    assert state["counters"]["stable_token"] == {sandbox.oa["appid"]: 0, sandbox.mp["appid"]: 0}


# --- pushes to the app's callback ---------------------------------------------------------------

TOKEN, AES_KEY, APPID = "sandboxtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx5a0db0x0sandbox1"


def opened(query: dict, body: str) -> str:
    """The plaintext XML of a push, checked the way the app's callback checks it."""
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    if query.get("encrypt_type") != "aes":
        return body
    return WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        body, query["msg_signature"], query["timestamp"], query["nonce"]
    )


def test_plain_scan_push_is_signed_and_parses_as_wechat_sends_it():
    xml = events.scan_xml("oUser1", "h_CODE123", "gQticket", follows=False, create_time=1700000000)
    query, body = events.build_event_request(xml, token=TOKEN, openid="oUser1", timestamp="1700000001", nonce="42")
    assert query["openid"] == "oUser1" and "encrypt_type" not in query
    message = parse_message(opened(query, body))
    assert (message.event, message.scene_id, message.ticket) == ("subscribe_scan", "h_CODE123", "gQticket")
    assert (message.source, message.target, message.create_time.timestamp()) == (
        "oUser1",
        events.OA_ORIGINAL_ID,
        1700000000,
    )
    follower = parse_message(events.scan_xml("oUser1", "h_CODE123", "gQticket", follows=True))
    assert (follower.event, follower.scene_id) == ("scan", "h_CODE123")


def test_encrypted_push_decrypts_with_wechatcrypto_and_hides_the_plaintext():
    xml = events.text_xml("oUser1", "积分 ]]> <b>")
    query, body = events.build_event_request(xml, token=TOKEN, openid="oUser1", aes_key=AES_KEY, appid=APPID)
    assert query["encrypt_type"] == "aes" and "积分" not in body and "oUser1" not in body
    assert set(xmltodict.parse(body)["xml"]) == {"ToUserName", "Encrypt"}
    message = parse_message(opened(query, body))
    assert (message.type, message.content, message.source) == ("text", "积分 ]]> <b>", "oUser1")
    assert isinstance(message.id, int)
    click = parse_message(events.click_xml("oUser1", "MY_POINTS"))
    assert (click.event, click.key) == ("click", "MY_POINTS")


def test_replies_are_shown_as_the_wechat_app_shows_them():
    message = parse_message(events.text_xml("oUser1", "帮助"))
    text = create_reply("你好", message, render=True)
    assert events.read_reply(200, text, token=TOKEN) | {"body": None} == {
        "status": 200, "body": None, "kind": "text", "content": "你好", "problem": None
    }  # fmt: skip
    news = create_reply(
        [{"title": "刘建华家", "description": "积分 120", "url": "https://cun.example.cn/h/x", "image": ""}], message
    )
    sealed = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(news.render(), "7", "1700000000")
    shown = events.read_reply(200, sealed, token=TOKEN, aes_key=AES_KEY, appid=APPID)
    assert shown["kind"] == "news" and shown["articles"][0]["title"] == "刘建华家" and not shown["problem"]
    assert events.read_reply(200, "success", token=TOKEN)["kind"] == "none"
    assert events.read_reply(500, "boom", token=TOKEN)["kind"] == "unavailable"
    assert events.read_reply(200, "not xml", token=TOKEN)["problem"].startswith("应答无法解析")


def test_control_event_posts_a_scan_to_the_callback_and_makes_the_user_follow(sandbox, db):
    household = make_household()
    user = sandbox.user(follows=False)
    result = sandbox.control(
        "event", {"openid": user["openid"], "action": "scan", "code": code_of(household), "encrypt": True, "repeat": 3}
    )
    assert len(result["answers"]) == 3 and all(a["status"] is not None for a in result["answers"])
    message = parse_message(opened(result["request"]["query"], result["request"]["body"]))
    assert (message.event, message.scene_id, message.source) == (
        "subscribe_scan",
        f"h_{code_of(household)}",
        user["openid"],
    )
    assert message.ticket == sandbox.state()["qrcodes"][0]["ticket"]  # the plaque's permanent code
    assert sandbox.state()["users"][0]["follows"] is True
    again = sandbox.control("event", {"openid": user["openid"], "action": "scan", "code": code_of(household)})
    assert parse_message(opened(again["request"]["query"], again["request"]["body"])).event == "scan"
    # Not asked to encrypt, but the account has an AES key: the callback takes nothing else.
    assert again["request"]["query"]["encrypt_type"] == "aes" and again["encrypted"] is True


def test_simulator_page_scans_a_plaque_as_the_chosen_user(sandbox, db):
    household = make_household(number="01007")
    page = sandbox.http.post(sandbox.url("sim/users"), data={"nickname": "王小梅"}, timeout=10)
    assert "已创建用户 王小梅" in page.text and "当前用户：王小梅" in page.text and "01007 号 · 刘建华" in page.text
    page = sandbox.http.post(sandbox.url("sim/act"), data={"action": "scan", "code": code_of(household)}, timeout=10)
    assert f"扫码 h_{code_of(household)}（未关注：subscribe）" in page.text
    assert "回调应答：HTTP" in page.text and "发出的请求" in page.text
    assert sandbox.state()["users"][0]["follows"] is True
    page = sandbox.http.post(
        sandbox.url("sim/act"), data={"action": "text", "content": "帮助", "encrypt": "1"}, timeout=10
    )
    assert "发消息「帮助」（加密）" in page.text


def test_simulator_shows_received_messages_and_subscribe_acceptance(sandbox):
    page = sandbox.http.post(sandbox.url("sim/users"), data={"nickname": "王小梅", "follows": "1"}, timeout=10)
    user = sandbox.state()["users"][0]
    template(sandbox, user["openid"])
    page = sandbox.http.post(sandbox.url("sim/accept"), data={"template_id": "mp-points-awarded"}, timeout=10)
    assert "还可接收 1 条" in page.text and "收到的消息" in page.text
    assert "模板消息 · points-awarded" in page.text and "打扫屋场公共道路" in page.text
    assert sandbox.get("").status_code == 200


def test_wechatpy_talks_to_the_sandbox_unchanged(sandbox):
    from wechatpy import WeChatClient
    from wechatpy.exceptions import WeChatClientException

    class SandboxClient(WeChatClient):
        API_BASE_URL = sandbox.url("cgi-bin/")

        def fetch_access_token(self):
            params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
            return self._fetch_access_token(sandbox.url("cgi-bin/token"), params)

    client = SandboxClient(sandbox.oa["appid"], sandbox.oa["secret"])
    created = client.qrcode.create(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "h_x"}}}
    )
    assert created["url"].endswith(created["ticket"])
    assert client.menu.create(MENU)["errcode"] == 0
    with pytest.raises(WeChatClientException) as refused:
        client.qrcode.create({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}})
    assert refused.value.errcode == 40053


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
     {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}],
)  # fmt: skip
def test_cross_site_requests_cannot_change_the_sandbox(sandbox, headers):
    sandbox.user("王小梅")
    for path, kwargs in [
        ("_control/reset", {"data": "{}", "headers": {"Content-Type": "text/plain"}}),
        ("_control/users", {"json": {"nickname": "坏人"}}),
        ("sim/users", {"data": {"nickname": "坏人"}}),
    ]:
        sent = {**kwargs.pop("headers", {}), **headers}
        answer = sandbox.http.post(sandbox.url(path), timeout=10, headers=sent, **kwargs)
        assert answer.status_code == 403 and "只接受本站页面" in answer.json()["error"]
    assert [u["nickname"] for u in sandbox.state()["users"]] == ["王小梅"]


def test_the_simulator_s_own_forms_still_work_as_a_browser_sends_them(sandbox):
    same = {"Origin": sandbox.base, "Sec-Fetch-Site": "same-origin"}
    page = sandbox.http.post(sandbox.url("sim/users"), data={"nickname": "王小梅"}, headers=same, timeout=10)
    assert page.status_code == 200 and "已创建用户 王小梅" in page.text
    assert sandbox.http.post(sandbox.url("_control/reset"), json={}, headers={"Origin": sandbox.base}).json()["ok"]
