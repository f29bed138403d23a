"""“我的” pages: what a villager sees and can do once WeChat has told us who they are."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditLog, Notification
from app.services import clock, identity
from tests.helpers import award, code_of, make_household

VAGUE = "没有找到匹配的村民，请核对姓名和身份证后6位"


def login(client) -> str:
    openid = "o" + uuid.uuid4().hex[:27]
    with client.session_transaction() as session:
        session["openid"] = openid
        session["openid_at"] = int(clock.timestamp())  # as the OAuth callback (remember_openid) writes it
        session.permanent = True
    return openid


def token(client, path: str = "/me/bind") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="[a-z]*-?csrf_token"[^>]*value="([^"]+)"', page).group(1)


def bind_by_id(client, name: str, last6: str, csrf: str | None = None):
    form = {"id-csrf_token": csrf or token(client), "id-name": name, "id-id_last6": last6, "id-submit": "核对并绑定"}
    return client.post("/me/bind", data=form)


@pytest.fixture
def home(db):
    household = make_household(members=2)
    award(household, 7, villager=household.head)
    award(household, 3)
    return household, household.head


def test_pages_need_wechat_identity_and_start_oauth(client):
    for path in ("/me", "/me/bind?code=abc", "/me/inbox"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/wechat/oauth/start?next=")
    assert "next=/me/bind?code%3Dabc" in client.get("/me/bind?code=abc").headers["Location"]


def test_not_bound_offers_the_ways_to_bind(client, home):
    login(client)
    page = client.get("/me")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "未绑定" in text and "/me/bind" in text
    assert page.headers["Cache-Control"] == "no-store"
    bind = client.get("/me/bind").get_data(as_text=True)
    for words in ("姓名 + 身份证后6位", "户号 + 手机号", "请村干部确认"):
        assert words in bind


def test_binding_by_id_shows_my_household_points_and_no_personal_numbers(client, home):
    household, head = home
    openid = login(client)
    response = bind_by_id(client, "刘建华", head.id_number[-6:])
    assert response.status_code == 303 and response.headers["Location"].endswith("/me")
    page = client.get("/me").get_data(as_text=True)
    assert "绑定成功" in page and "刘建华" in page and f"/h/{code_of(household)}" in page
    assert re.search(r"我自己</th><td[^>]*>7</td><td[^>]*>7</td><td[^>]*>7", page)
    assert re.search(r"我家</th><td[^>]*>10</td>", page)
    assert head.id_number[-6:] not in page and head.phone not in page and "解除绑定" in page
    assert identity.bound_villager(openid).id == head.id


def test_binding_by_scanned_code_and_phone(client, home):
    household, head = home
    login(client)
    code = code_of(household)
    page = client.get(f"/me/bind?code={code}").get_data(as_text=True)
    # The scanned plaque's household is named and its number (what the plaque prints) filled in.
    assert f"大苍村 {household.number}号" in page and f'value="{household.number}"' in page
    form = {
        "ph-csrf_token": token(client),
        "ph-household_code": household.number,
        "ph-phone": "13807371234",
        "ph-submit": "核对并绑定",
    }
    assert client.post(f"/me/bind?code={code}", data=form).status_code == 303
    assert "刘建华" in client.get("/me").get_data(as_text=True)


def test_wrong_data_shows_the_vague_message_in_the_form(client, home):
    household, head = home
    login(client)
    response = bind_by_id(client, "刘建华", "000000")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and VAGUE in page and 'value="刘建华"' in page
    failed = _db.session.scalars(select(AuditLog).where(AuditLog.action == "identity.bind_failed")).all()
    assert len(failed) == 1
    assert "未绑定" in client.get("/me").get_data(as_text=True)


def test_lockout_shows_in_the_page_and_holds_for_the_right_data(client, home):
    household, head = home
    login(client)
    csrf = token(client)
    for _ in range(5):
        page = bind_by_id(client, "刘建华", "11111X", csrf).get_data(as_text=True)
    assert "尝试次数太多" in page
    page = bind_by_id(client, "刘建华", head.id_number[-6:], csrf).get_data(as_text=True)
    assert "尝试次数太多" in page and "未绑定" in client.get("/me").get_data(as_text=True)


def test_posts_need_the_csrf_token(client, home):
    household, head = home
    openid = login(client)
    response = client.post("/me/bind", data={"id-name": "刘建华", "id-id_last6": head.id_number[-6:], "id-submit": "1"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])
    assert client.post("/me/unbind").status_code == 400
    assert identity.bound_villager(openid) is not None


def test_bind_posts_are_rate_limited(client, home):
    login(client)
    csrf = token(client)
    codes = [client.post("/me/bind", data={"id-csrf_token": csrf, "id-submit": "1"}).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    page = client.post("/me/bind", data={"id-csrf_token": csrf, "id-submit": "1"}).get_data(as_text=True)
    assert "操作太频繁" in page and "请村干部确认" in page
    assert client.get("/me/bind").status_code == 200  # reading the page is not limited


def test_unbinding_from_my_page_asks_first(client, home):
    household, head = home
    openid = login(client)
    identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])
    # “我的” only links to the question; nothing on it unbinds.
    mine = client.get("/me").get_data(as_text=True)
    assert 'href="/me/unbind"' in mine and 'action="/me/unbind"' not in mine
    question = client.get("/me/unbind").get_data(as_text=True)
    assert "确定要解除绑定吗" in question and "刘建华" in question and 'href="/me"' in question
    csrf = token(client, "/me/unbind")
    # A POST without the confirmation page's answer goes back to the question and changes nothing.
    unasked = client.post("/me/unbind", data={"csrf_token": csrf})
    assert unasked.status_code == 303 and unasked.headers["Location"].endswith("/me/unbind")
    assert identity.bound_villager(openid) is not None
    response = client.post("/me/unbind", data={"csrf_token": csrf, "confirm": "yes"})
    assert response.status_code == 303
    page = client.get("/me").get_data(as_text=True)
    assert "已解除绑定" in page and "未绑定" in page
    assert identity.bound_villager(openid) is None
    assert _db.session.scalar(select(AuditLog).where(AuditLog.action == "identity.unbind")) is not None


def test_asking_a_cadre_shows_the_request_until_decided(client, runner, home):
    household, head = home
    member = household.members[1]
    openid = login(client)
    form = {"rq-csrf_token": token(client), "rq-household_code": code_of(household), "rq-name": member.name,
            "rq-note": "没有身份证", "rq-submit": "提交给村干部"}  # fmt: skip
    assert client.post("/me/bind", data=form).status_code == 303
    assert "等村干部确认" in client.get("/me").get_data(as_text=True)
    request_id = identity.latest_request(openid).id
    assert runner.invoke(args=["bindings", "approve", str(request_id), "--by", "王支书"]).exit_code == 0
    page = client.get("/me").get_data(as_text=True)
    assert member.name in page and "解除绑定" in page


def test_inbox_lists_messages_newest_first_and_only_a_post_marks_them_read(client, home):
    household, head = home
    openid = login(client)
    identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])
    from app.services import outbox

    outbox.notify(head.id, "points_awarded", "积分到账", "你家获得5分", dedupe_key=f"t:{uuid.uuid4()}")
    _db.session.commit()
    assert "2条新消息" in client.get("/me").get_data(as_text=True)
    page = client.get("/me/inbox").get_data(as_text=True)
    assert page.index("积分到账") < page.index("绑定成功") and page.count(">新<") == 2
    assert _db.session.scalar(select(_db.func.count()).where(Notification.read_at.is_(None))) == 2
    assert client.post("/me/inbox/read", data={"csrf_token": token(client, "/me/inbox")}).status_code == 303
    assert ">新<" not in client.get("/me/inbox").get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.scalar(select(_db.func.count()).where(Notification.read_at.is_(None))) == 0
