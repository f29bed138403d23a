"""绑定审批 (A2, cadre side): pending requests of my villages, approve as a chosen member of the
household, reject with a reason; another village's requests are not found and stay untouched."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, BindingRequest, WechatIdentity
from app.services import identity_requests
from tests.admin_helpers import login, make_account, post
from tests.helpers import code_of, make_household, make_village


def _ask(household, name: str, note: str = "我是家里的") -> BindingRequest:
    openid = "o" + uuid.uuid4().hex[:27]
    return identity_requests.request_approval(openid, household_code=code_of(household), name=name, note=note)


@pytest.fixture
def home(db):
    village = make_village("小塘村")
    household = make_household(village, "0101", members=3)
    return village, household


@pytest.fixture
def cadre(auth, home):
    auth.login(home[0])
    return auth.client


def _request(request_id: int) -> BindingRequest:
    db.session.expire_all()
    return db.session.get(BindingRequest, request_id)


def test_pending_requests_are_listed_with_the_members_to_choose_from(cadre, home):
    _, household = home
    request = _ask(household, household.members[1].name, note="我是老二，手机刚换")

    page = cadre.get("/admin/bindings").get_data(as_text=True)

    assert "我是老二，手机刚换" in page and "0101" in page
    for member in household.members:
        assert f'value="{member.id}"' in page
    assert f"/admin/bindings/{request.id}/approve" in page
    assert "绑定审批" in page  # in the menu


def test_approving_binds_the_member_the_cadre_chose(cadre, home):
    _, household = home
    claimed, actual = household.members[1], household.members[2]
    request = _ask(household, claimed.name)

    response = post(
        cadre, f"/admin/bindings/{request.id}/approve", {"villager_id": actual.id}, form_url="/admin/bindings"
    )

    assert response.status_code == 302
    assert _request(request.id).status == "approved"
    assert db.session.get(WechatIdentity, request.identity_id).villager_id == actual.id
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.village_id == household.village_id)).all()
    assert "identity.member_chosen" in actions and "identity.approve" in actions
    page = cadre.get("/admin/bindings").get_data(as_text=True)
    assert f"已绑定为 {actual.name}" in page and "没有待处理的绑定申请" in page

    again = post(cadre, f"/admin/bindings/{request.id}/approve", {"villager_id": claimed.id}, follow_redirects=True)
    assert "已同意，不能再处理" in again.get_data(as_text=True)
    assert db.session.get(WechatIdentity, request.identity_id).villager_id == actual.id


def test_a_member_of_another_household_cannot_be_chosen(cadre, home):
    village, household = home
    stranger = make_household(village, "0102").members[0]
    request = _ask(household, household.members[0].name)

    response = post(cadre, f"/admin/bindings/{request.id}/approve", {"villager_id": stranger.id}, follow_redirects=True)

    assert "请选择申请人是这一户的哪一位" in response.get_data(as_text=True)
    assert _request(request.id).status == "pending"
    assert db.session.get(WechatIdentity, request.identity_id).villager_id is None


def test_rejecting_needs_a_reason_and_keeps_it(cadre, home):
    _, household = home
    request = _ask(household, household.members[0].name)

    empty = post(cadre, f"/admin/bindings/{request.id}/reject", {"reason": " "}, follow_redirects=True)
    assert "请填写拒绝原因" in empty.get_data(as_text=True) and _request(request.id).status == "pending"
    post(cadre, f"/admin/bindings/{request.id}/reject", {"reason": "电话核实不是本人"})

    assert _request(request.id).status == "rejected"
    assert identity_requests.rejection_reason(_request(request.id)) == "电话核实不是本人"
    assert db.session.get(WechatIdentity, request.identity_id).villager_id is None


def test_another_villages_requests_are_not_found_and_untouched(client, home):
    _, household = home
    request = _ask(household, household.members[0].name, note="甲村的申请")
    other = make_village("外村")
    make_household(other, "0101")
    login(client, make_account(other, "village_admin"))

    assert "甲村的申请" not in client.get("/admin/bindings").get_data(as_text=True)
    assert (
        post(client, f"/admin/bindings/{request.id}/approve", {"villager_id": household.members[0].id}).status_code
        == 404
    )
    assert post(client, f"/admin/bindings/{request.id}/reject", {"reason": "越权"}).status_code == 404
    assert client.get(f"/admin/bindings?village={household.village_id}").status_code == 404
    assert _request(request.id).status == "pending"


def test_reading_roles_cannot_approve(client, home):
    _, household = home
    request = _ask(household, household.members[0].name)
    login(client, make_account(home[0], "work_team"))

    assert client.get("/admin/bindings").status_code == 403
    assert (
        post(client, f"/admin/bindings/{request.id}/approve", {"villager_id": household.members[0].id}).status_code
        == 403
    )
    assert _request(request.id).status == "pending"


def test_the_dashboard_tells_cadres_of_waiting_requests_in_their_village_only(cadre, client, home):
    _, household = home
    assert "waiting-bindings" not in cadre.get("/admin/").get_data(as_text=True)
    _ask(household, household.members[0].name)
    _ask(household, household.members[1].name)
    page = cadre.get("/admin/").get_data(as_text=True)
    assert "有 2 位村民在微信里申请绑定身份" in page and "/admin/bindings" in page

    other = client.application.test_client()
    login(other, make_account(make_village("大坪村"), "cadre"))
    assert "waiting-bindings" not in other.get("/admin/").get_data(as_text=True)
    work_team = client.application.test_client()
    login(work_team, make_account(home[0], "work_team"))  # cannot approve: not reminded
    assert "waiting-bindings" not in work_team.get("/admin/").get_data(as_text=True)
