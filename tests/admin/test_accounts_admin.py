"""后台账号 (A1 screens): an admin creates and manages accounts below their rank inside their own
part of the map, never their own, a peer's or a superior's; every change audited; disabling or a
password reset ends the account's sessions at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import AppError
from app.extensions import db
from app.models import Account, AuditLog
from app.services import accounts
from tests.admin_helpers import PASSWORD, csrf_token, login, make_account, post
from tests.helpers import make_village

NEW_PASSWORD = "fresh-pass-2027"


@pytest.fixture
def village(db):
    return make_village("小塘村")


@pytest.fixture
def admin(auth, village):
    return auth.login(village, "village_admin", username="cunguan")


def _count(**where) -> int:
    return db.session.scalar(select(func.count()).select_from(Account).filter_by(**where))


def _new(client, **fields):
    return post(client, "/admin/accounts/new", fields, form_url="/admin/accounts/new")


def _account(account_id: int) -> Account:
    db.session.expire_all()
    return db.session.get(Account, account_id)


def test_a_village_admin_creates_a_cadre_who_can_sign_in(app, client, admin, village):
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert ">村干部</option>" in form
    assert ">镇级管理员</option>" not in form and ">村级管理员</option>" not in form

    response = _new(client, username="wanggb", display_name="王干部", role="cadre", region_id=village.id,
                    password=NEW_PASSWORD)  # fmt: skip

    assert response.status_code == 302
    created = accounts.find("wanggb")
    assert (created.role, created.region_id, created.created_by) == ("cadre", village.id, admin.actor)
    [row] = [r for r in _audit(created) if r.action == "account.create"]
    assert row.target == f"account:{created.id}" and row.village_id == village.id and row.actor == admin.actor
    login(app.test_client(), created, NEW_PASSWORD)


def test_a_village_admin_cannot_create_a_town_admin_or_leave_their_village(client, admin, village):
    other = make_village("外村")

    response = _new(client, username="zhenguan", display_name="镇管", role="town_admin", region_id=village.parent.id,
                    password=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 400 and "你不能创建这种角色的账号" in response.get_data(as_text=True)
    response = _new(client, username="waicun", display_name="外村干部", role="cadre", region_id=other.id,
                    password=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 400 and "请在你管辖的范围里选择" in response.get_data(as_text=True)
    assert accounts.find("zhenguan") is None and accounts.find("waicun") is None


def test_duplicate_username_and_weak_password_get_chinese_messages(client, admin, village):
    make_account(village, "cadre", username="lisi")
    before = _count()

    response = _new(client, username="lisi", display_name="另一个李四", role="cadre", region_id=village.id,
                    password=NEW_PASSWORD)  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "这个用户名已经有人用了" in page
    assert 'value="另一个李四"' in page  # what was typed stays
    response = _new(client, username="zhaoliu", display_name="赵六", role="cadre", region_id=village.id,
                    password="short1")  # fmt: skip
    assert "密码至少要 10 位" in response.get_data(as_text=True)
    assert _count() == before


def test_a_group_leader_needs_a_group_of_the_village(client, admin, village):
    from app.services import register

    group = register.ensure_group(village, 3)
    db.session.commit()

    response = _new(client, username="zuzhang", display_name="组长", role="group_leader", region_id=village.id,
                    password=NEW_PASSWORD)  # fmt: skip
    assert "村民小组长要选择一个小组" in response.get_data(as_text=True)
    response = _new(client, username="zuzhang", display_name="组长", role="group_leader", region_id=village.id,
                    group_id=group.id, password=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 302 and accounts.find("zuzhang").group_id == group.id


def test_the_list_shows_my_village_only_and_nobody_above_me(client, admin, village):
    cadre = make_account(village, "cadre", username="ganbu")
    town = make_account(village.parent, "town_admin", username="zhenguan")
    stranger = make_account(make_village("外村"), "cadre", username="waicun")
    peer = make_account(village, "village_admin", username="fucunguan")

    page = client.get("/admin/accounts").get_data(as_text=True)

    assert "ganbu" in page and "fucunguan" in page
    assert "zhenguan" not in page and "waicun" not in page
    assert f"/admin/accounts/{cadre.id}" in page and f"/admin/accounts/{peer.id}" not in page
    assert client.get(f"/admin/accounts/{town.id}").status_code == 404
    assert client.get(f"/admin/accounts/{stranger.id}").status_code == 404
    assert client.get(f"/admin/accounts/{peer.id}").status_code == 403
    assert client.get(f"/admin/accounts/{admin.id}").status_code == 403  # myself: use 我的账号
    response = post(client, f"/admin/accounts/{peer.id}", {"action": "disable"})
    assert response.status_code == 403 and _account(peer.id).active


def test_disabling_ends_that_accounts_session(app, client, admin, village):
    cadre = make_account(village, "cadre", username="ganbu")
    theirs = app.test_client()
    login(theirs, cadre)
    assert theirs.get("/admin/").status_code == 200

    response = post(client, f"/admin/accounts/{cadre.id}", {"action": "disable"})

    assert response.status_code == 302 and not _account(cadre.id).active
    kicked = theirs.get("/admin/")
    assert kicked.status_code == 302 and "/admin/login" in kicked.headers["Location"]
    again = theirs.post("/admin/login", data={"username": "ganbu", "password": PASSWORD,
                                             "csrf_token": _token(theirs)})  # fmt: skip
    assert again.status_code != 302 and "用户名或密码不对" in again.get_data(as_text=True)
    assert _audit(cadre)[-1].action == "account.disable"

    post(client, f"/admin/accounts/{cadre.id}", {"action": "enable"})
    assert _account(cadre.id).active
    login(app.test_client(), cadre)


def _token(client):
    return csrf_token(client)


def _audit(account):
    query = select(AuditLog).where(AuditLog.target == f"account:{account.id}").order_by(AuditLog.id)
    return db.session.scalars(query).all()


def test_password_reset_unlocks_and_ends_sessions(app, client, admin, village):
    cadre = make_account(village, "cadre", username="ganbu")
    theirs = app.test_client()
    login(theirs, cadre)
    for _ in range(accounts.MAX_FAILURES):  # someone guessed: the account is locked
        with pytest.raises(AppError):
            accounts.authenticate("ganbu", "wrong-guess-1")
    assert _account(cadre.id).locked_until is not None
    assert "已锁定" in client.get("/admin/accounts").get_data(as_text=True)

    mismatch = post(client, f"/admin/accounts/{cadre.id}", {"action": "password", "new": NEW_PASSWORD,
                                                           "confirm": "other-pass-2027"})  # fmt: skip
    assert mismatch.status_code == 400 and "两次输入的新密码不一样" in mismatch.get_data(as_text=True)
    response = post(client, f"/admin/accounts/{cadre.id}", {"action": "password", "new": NEW_PASSWORD,
                                                           "confirm": NEW_PASSWORD})  # fmt: skip

    assert response.status_code == 302 and _account(cadre.id).locked_until is None
    assert "/admin/login" in theirs.get("/admin/").headers["Location"]
    login(app.test_client(), _account(cadre.id), NEW_PASSWORD)
    reset = [r for r in _audit(cadre) if r.action == "account.password_reset"]
    assert reset and reset[0].actor == admin.actor and reset[0].village_id == village.id


def test_a_county_admin_resets_a_town_admins_totp_who_must_enrol_again(app, client, village):
    county = make_account(village.parent.parent, "county_admin", totp=True, username="xianguan")
    town = make_account(village.parent, "town_admin", totp=True, username="zhenguan")
    login(client, county)

    response = post(client, f"/admin/accounts/{town.id}", {"action": "totp"})

    assert response.status_code == 302
    assert not _account(town.id).totp_enabled and _account(town.id).totp_secret is None
    theirs = app.test_client()
    first = theirs.post("/admin/login", data={"username": "zhenguan", "password": PASSWORD,
                                             "csrf_token": _token(theirs)})  # fmt: skip
    assert first.status_code == 302
    assert "/admin/account/totp" in theirs.get("/admin/").headers["Location"]  # enrol before anything else
    assert "account.totp_reset" in [r.action for r in _audit(town)]


def test_a_town_admin_manages_village_accounts_in_the_town_only(client, village):
    town = make_account(village.parent, "town_admin", totp=True, username="zhenguan")
    elsewhere = make_village("外村", "外镇")
    login(client, town)

    response = _new(client, username="cunguan2", display_name="村管", role="village_admin", region_id=village.id,
                    password=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 302 and accounts.find("cunguan2").region_id == village.id
    response = _new(client, username="cunguan3", display_name="村管", role="village_admin", region_id=elsewhere.id,
                    password=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 400 and accounts.find("cunguan3") is None
    response = _new(client, username="cunguan4", display_name="村管", role="village_admin",
                    region_id=village.parent.id, password=NEW_PASSWORD)  # fmt: skip
    assert "村级管理员要管辖一个村" in response.get_data(as_text=True)


def test_cadres_cannot_manage_accounts(client, village):
    login(client, make_account(village, "cadre"))
    assert client.get("/admin/accounts").status_code == 403
    assert client.get("/admin/accounts/new").status_code == 403
