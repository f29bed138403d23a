"""Binding a WeChat openid to a villager (A2): proof, lockout, one-to-one, approval, audit, welcome."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.errors import AppError, ValidationError
from app.extensions import db as _db
from app.models import AuditLog, BindingRequest, Notification, Villager, WechatIdentity
from app.services import identity, identity_proof
from tests.helpers import code_of, make_household, make_village
from wechat import push

LOCKED = "尝试次数太多，请30分钟后再试，或请村干部帮忙"


def oid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def audits(action: str) -> list[AuditLog]:
    return list(_db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def no_secrets(row: AuditLog, *secrets: str) -> None:
    text = str(row.detail) + (row.target or "") + row.actor
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def home(db):
    household = make_household(members=3)
    return household, household.head


def test_touch_creates_then_refreshes_and_checks_the_openid_shape(db):
    openid = oid()
    first = identity.touch(openid, subscribed=True)
    assert (first.app, first.subscribed, first.villager_id) == ("oa", True, None)
    again = identity.touch(openid, subscribed=False)
    assert again.id == first.id and again.subscribed is False
    assert identity.touch(openid).subscribed is False  # None leaves it as it was
    for bad in ("", "x" * 65, "o<script>", "o pen"):
        with pytest.raises(ValidationError):
            identity.touch(bad)
    assert _db.session.scalar(select(_db.func.count()).select_from(WechatIdentity)) == 1
    assert identity.bound_villager(openid) is None
    assert identity.bound_villager("not valid!") is None


def test_bind_by_name_and_id_suffix_welcomes_and_audits(app, home):
    household, head = home
    openid = oid()
    suffix = head.id_number[-6:].lower()  # an X may be typed as x
    villager = identity.bind_with_id(openid, name=" 刘建华 ", id_last6=suffix, actor_ip="10.0.0.1")
    assert villager.id == head.id
    assert identity.bound_villager(openid).id == head.id
    [row] = audits("identity.bind")
    assert row.target == f"villager:{head.id}" and row.detail["method"] == "id"
    no_secrets(row, head.id_number, head.id_number[-6:], head.phone, openid)
    [welcome] = _db.session.scalars(select(Notification)).all()
    assert (welcome.kind, welcome.title, welcome.villager_id, welcome.household_id) == (
        "welcome",
        "绑定成功",
        head.id,
        household.id,
    )
    assert welcome.link == f"{app.config['PUBLIC_BASE_URL']}/h/{code_of(household)}"
    assert all(len(str(v)) <= 20 for v in welcome.data.values()) and welcome.data["name1"] == "刘建华"
    assert set(welcome.data) == set(push.FIELDS["welcome"])  # what a *_KEYS setting may name


def test_bind_by_household_code_and_phone(home):
    household, head = home
    openid = oid()
    villager = identity.bind_with_phone(openid, household_code=code_of(household), phone="138 0737 1234")
    assert villager.id == head.id
    [row] = audits("identity.bind")
    assert row.detail["method"] == "phone"
    no_secrets(row, "13807371234")
    assert _db.session.scalar(select(_db.func.count()).select_from(Notification)) == 1


def test_wrong_data_gets_one_vague_message_and_is_counted_and_audited(home):
    household, head = home
    openid = oid()
    messages = set()
    for name, last6 in (("刘建华", "000000"), ("王小二", head.id_number[-6:])):
        with pytest.raises(ValidationError) as caught:
            identity.bind_with_id(openid, name=name, id_last6=last6)
        messages.add(caught.value.message)
    assert messages == {"没有找到匹配的村民，请核对姓名和身份证后6位"}
    with pytest.raises(ValidationError) as caught:
        identity.bind_with_phone(openid, household_code=code_of(household), phone="13900000000")
    assert caught.value.message == "没有找到匹配的村民，请核对门牌上的户号和手机号"
    rows = audits("identity.bind_failed")
    assert [r.detail["failures"] for r in rows] == [1, 2, 3]
    assert rows[0].detail["name"] == "刘*华" and rows[2].detail["phone"] == "139****0000"
    for row in rows:
        no_secrets(row, head.id_number[-6:], "13900000000", openid)
    assert identity.bound_villager(openid) is None
    assert _db.session.scalar(select(_db.func.count()).select_from(Notification)) == 0


def test_malformed_input_changes_nothing_and_is_not_counted(home):
    household, head = home
    openid = oid()
    for kwargs in (
        {"name": "刘建华", "id_last6": "12345"},
        {"name": "", "id_last6": "123456"},
        {"name": "刘1", "id_last6": "123456"},
    ):
        with pytest.raises(ValidationError):
            identity.bind_with_id(openid, **kwargs)
    with pytest.raises(ValidationError):
        identity.bind_with_phone(openid, household_code=code_of(household), phone="12345")
    assert audits("identity.bind_failed") == []
    assert identity.find_identity(openid) is None
    identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])  # still allowed


def test_five_failures_lock_the_openid_even_for_the_right_data(home):
    household, head = home
    openid = oid()
    for attempt in range(1, 6):
        with pytest.raises(ValidationError) as caught:
            identity.bind_with_id(openid, name="刘建华", id_last6="99999X")
        assert (caught.value.message == LOCKED) is (attempt == 5)
    with pytest.raises(ValidationError, match=LOCKED):
        identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])
    with pytest.raises(ValidationError, match=LOCKED):
        identity.bind_with_phone(openid, household_code=code_of(household), phone="13807371234")
    assert identity.bound_villager(openid) is None
    assert len(audits("identity.bind_locked")) == 2
    # Another phone is not locked by this one's mistakes.
    assert identity.bind_with_id(oid(), name="刘建华", id_last6=head.id_number[-6:]).id == head.id


def test_guessing_one_name_from_many_openids_locks_that_name(home):
    household, head = home
    for _ in range(identity_proof.MAX_TARGET_FAILURES):
        with pytest.raises(ValidationError):
            identity.bind_with_id(oid(), name="刘建华", id_last6="99999X")
    with pytest.raises(ValidationError, match=LOCKED):
        identity.bind_with_id(oid(), name="刘建华", id_last6=head.id_number[-6:])
    # The household code + phone way is a different target and still works.
    assert identity.bind_with_phone(oid(), household_code=code_of(household), phone="13807371234").id == head.id


def test_one_openid_one_villager_and_one_villager_one_openid(home):
    household, head = home
    first, second = oid(), oid()
    identity.bind_with_id(first, name="刘建华", id_last6=head.id_number[-6:])
    other = make_household(household.village)
    with pytest.raises(AppError, match="先解除绑定"):
        identity.bind_with_id(first, name="刘建华", id_last6=other.head.id_number[-6:])
    with pytest.raises(AppError) as caught:
        identity.bind_with_phone(second, household_code=code_of(household), phone="13807371234")
    assert "别的微信" in caught.value.message and first not in caught.value.message and "刘" not in caught.value.message
    assert identity.bound_villager(first).id == head.id and identity.bound_villager(second) is None
    assert len(audits("identity.bind")) == 1


def test_unbind_is_audited_and_frees_both_sides(home):
    household, head = home
    first, second = oid(), oid()
    identity.bind_with_id(first, name="刘建华", id_last6=head.id_number[-6:])
    identity.unbind(first, actor=None)
    assert identity.bound_villager(first) is None
    [row] = audits("identity.unbind")
    assert row.target == f"villager:{head.id}" and row.actor.startswith("wechat:")
    with pytest.raises(ValidationError, match="还没有绑定"):
        identity.unbind(first, actor=None)
    assert identity.bind_with_id(second, name="刘建华", id_last6=head.id_number[-6:]).id == head.id


def test_a_failing_bind_adds_no_welcome_and_binds_nothing(home, monkeypatch):
    household, head = home
    openid = oid()

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(identity_proof.audit, "record", broken)
    with pytest.raises(RuntimeError):
        identity.bind_with_id(openid, name="刘建华", id_last6=head.id_number[-6:])
    _db.session.rollback()
    assert _db.session.scalar(select(_db.func.count()).select_from(Notification)) == 0
    assert identity.bound_villager(openid) is None


def test_people_who_left_cannot_be_bound(home):
    household, head = home
    member = household.members[1]
    member.id_number = "430923199501020013"
    member.status = "moved_out"
    _db.session.commit()
    with pytest.raises(ValidationError, match="没有找到匹配"):
        identity.bind_with_id(oid(), name=member.name, id_last6="020013")


def test_approval_flow_through_the_cli(runner, home):
    household, head = home
    member = household.members[1]
    openid, other = oid(), oid()
    request = identity.request_approval(openid, household_code=code_of(household), name=member.name, note="手机号换了")
    with pytest.raises(AppError, match="已经提交过"):
        identity.request_approval(openid, household_code=code_of(household), name=member.name)
    with pytest.raises(ValidationError, match="没有叫这个名字"):
        identity.request_approval(other, household_code=code_of(household), name="张三")
    rejected = identity.request_approval(other, household_code=code_of(household), name=head.name)

    listed = runner.invoke(args=["bindings", "list", "--village", "大苍村"])
    assert listed.exit_code == 0 and f"#{request.id}" in listed.output and member.name in listed.output
    assert "手机号换了" in listed.output and head.id_number not in listed.output

    approved = runner.invoke(args=["bindings", "approve", str(request.id), "--by", "王支书"])
    assert approved.exit_code == 0, approved.output
    assert "已同意" in approved.output and identity.bound_villager(openid).id == member.id
    assert runner.invoke(args=["bindings", "approve", str(request.id), "--by", "王支书"]).exit_code == 1

    no_reason = runner.invoke(args=["bindings", "reject", str(rejected.id), "--by", "王支书", "--reason", " "])
    assert no_reason.exit_code == 1 and "拒绝原因" in no_reason.output
    result = runner.invoke(args=["bindings", "reject", str(rejected.id), "--by", "王支书", "--reason", "不是本人"])
    assert result.exit_code == 0 and identity.bound_villager(other) is None
    assert identity.rejection_reason(_db.session.get(BindingRequest, rejected.id)) == "不是本人"
    assert runner.invoke(args=["bindings", "approve", "9999", "--by", "王支书"]).exit_code == 1

    unbound = runner.invoke(args=["bindings", "unbind", "--openid", openid, "--by", "王支书"])
    assert unbound.exit_code == 0 and identity.bound_villager(openid) is None
    assert runner.invoke(args=["bindings", "unbind", "--openid", openid, "--by", "王支书"]).exit_code == 1
    assert runner.invoke(args=["bindings", "list"]).output.startswith("没有等待确认")

    actions = [r.action for r in _db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert [a for a in actions if a.startswith("identity.")] == [
        "identity.request", "identity.request", "identity.approve", "identity.reject", "identity.unbind"
    ]  # fmt: skip
    assert [r.actor for r in audits("identity.approve")] == ["王支书"]
    welcomes = _db.session.scalars(select(Notification).where(Notification.kind == "welcome")).all()
    assert [n.villager_id for n in welcomes] == [member.id]


def test_requests_are_listed_per_village(runner, db):
    one = make_household(make_village("大苍村"))
    two = make_household(make_village("小苍村"))
    identity.request_approval(oid(), household_code=code_of(one), name=one.head.name)
    identity.request_approval(oid(), household_code=code_of(two), name=two.head.name)
    out = runner.invoke(args=["bindings", "list", "--village", "小苍村"]).output
    assert "小苍村" in out and "大苍村" not in out and "共1条" in out
    assert _db.session.scalar(select(_db.func.count()).select_from(Villager)) == 4


def test_a_cadre_can_move_a_binding_to_a_new_phone(runner, home):
    household, head = home
    lost, new = oid(), oid()
    identity.bind_with_id(lost, name="刘建华", id_last6=head.id_number[-6:])
    with pytest.raises(AppError, match="别的微信"):
        identity.bind_with_id(new, name="刘建华", id_last6=head.id_number[-6:])
    request = identity.request_approval(new, household_code=code_of(household), name="刘建华", note="旧手机丢了")
    assert "同意后替换" in runner.invoke(args=["bindings", "list"]).output
    assert runner.invoke(args=["bindings", "approve", str(request.id), "--by", "王支书"]).exit_code == 0
    assert identity.bound_villager(new).id == head.id and identity.bound_villager(lost) is None
    [unbound] = audits("identity.unbind")
    assert unbound.actor == "王支书" and unbound.detail["replaced_by"] == identity.find_identity(new).id
