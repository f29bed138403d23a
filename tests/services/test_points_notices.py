"""积分到账: each bound current member hears of an award, a deduction or a correction, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Notification, PointsEntry
from app.services import clock, dispatch, points_notices
from app.services.points import reverse_entry
from tests.conftest import PUBLIC_BASE_URL
from tests.helpers import award, code_of, make_household
from tests.push_helpers import bind, notifications


@pytest.fixture
def handed_off(monkeypatch):
    """Record the after-commit hand-offs instead of running them (nothing is sent here)."""
    sent = []
    # Only the push tasks are this test's business (a register change also queues stats.refresh).
    monkeypatch.setattr(dispatch, "send", lambda name, *args: name.startswith("push.") and sent.append((name, *args)))
    return sent


def user(n: int) -> dict:
    return {"openid": f"oTestNotice{n:018d}", "mp_openid": f"oMpNotice{n:020d}", "unionid": None}


def test_each_bound_current_member_gets_one_notice(db, handed_off):
    household = make_household(members=4)
    head, son, daughter, third = household.members
    bind(head, user(1))
    bind(head, user(1), app="mp")  # two identities, still one notice
    bind(son, user(2), app="mp")
    bind(third, user(3))
    third.status = "moved_out"  # no longer in the household: not told
    db.session.commit()

    entry = award(household, 5, reason="清扫屋场公共道路")

    found = notifications()
    assert [n.villager_id for n in found] == [head.id, son.id]
    assert {n.dedupe_key for n in found} == {f"points:{entry.id}:{head.id}", f"points:{entry.id}:{son.id}"}
    notice = found[0]
    assert notice.kind == "points_awarded" and notice.title == "积分到账" and notice.status == "pending"
    assert notice.household_id == household.id
    assert notice.body == f"大苍村{household.number}户：+5分（清扫屋场公共道路），本年共5分。"
    assert notice.link == f"{PUBLIC_BASE_URL}/h/{code_of(household)}"
    day = clock.today()
    assert notice.data == {
        "thing1": "清扫屋场公共道路",
        "character_string2": "+5",
        "thing3": f"大苍村{household.number}户",
        "date4": f"{day.year}年{day.month}月{day.day}日",
        "character_string5": "5",
    }
    # Handed to the worker after the commit, one task per notice.
    assert handed_off == [("push.deliver", n.id) for n in found]
    assert daughter.id not in {n.villager_id for n in found}


def test_year_total_includes_the_entry_and_names_the_member(db, handed_off):
    household = make_household(members=2)
    head, son = household.members
    bind(head, user(4))
    award(household, 120)
    award(household, 8, villager=son, reason="参加义务植树")
    latest = notifications()[-1]
    assert latest.body == f"大苍村{household.number}户{son.name}：+8分（参加义务植树），本年共128分。"
    assert latest.data["character_string5"] == "128"


def test_retrying_an_award_makes_no_second_notice(db, handed_off):
    household = make_household()
    bind(household.members[0], user(5))
    first = award(household, 5, key="form-7")
    again = award(household, 5, key="form-7")
    assert first.id == again.id
    assert len(notifications()) == 1
    assert len(handed_off) == 1


def test_deduction_and_correction_are_worded_as_such(db, handed_off):
    household = make_household()
    bind(household.members[0], user(6))
    deduction = award(household, -3, reason="门前垃圾未清理")
    reverse_entry(deduction.id, reason="记错了户", recorded_by="测试")
    deducted, corrected = notifications()
    assert deducted.title == "积分扣减"
    assert "：-3分（门前垃圾未清理），本年共-3分。" in deducted.body
    assert deducted.data["character_string2"] == "-3"
    assert corrected.title == "积分更正"
    assert "：+3分（更正：门前垃圾未清理（记错了户）），本年共0分。" in corrected.body
    assert corrected.data["thing1"].startswith("更正：")


def test_household_without_bound_members_gets_nothing(db, handed_off):
    household = make_household(members=3)
    award(household, 5)
    assert notifications() == []
    assert handed_off == []


def test_notice_is_part_of_the_ledger_transaction(db, handed_off, monkeypatch):
    """If the award fails after the notices were added, neither the entry nor a notice remains."""
    household = make_household()
    bind(household.members[0], user(7))
    real = points_notices.notify_entries

    def then_fail(pairs):
        real(pairs)
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(points_notices, "notify_entries", then_fail)
    with pytest.raises(RuntimeError):
        award(household, 5)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert handed_off == []
