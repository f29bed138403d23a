"""Issue 10 item 8 at the ledger: what the service itself refuses or asks to confirm, whatever the
page (a Back and resubmit, a second cadre, a typo in the amount, the date or the category), and
item 3: the service says whether it stored a new entry or replayed the one a key stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.models import PointsEntry, PointsRule
from app.services import clock, village_settings
from app.services.points import AwardInput, NeedsConfirmation, award_points, reverse_entry
from tests.helpers import make_household, make_village, registered_since


def asked(household, *, points=5, rule=None, key=None, confirmed=False, on=None, **extra) -> AwardInput:
    return AwardInput(
        household_id=household.id, points=points if rule is None else None,
        reason=extra.pop("reason", "打扫屋场公共道路" if rule is None else ""),
        category=extra.pop("category", "环境卫生" if rule is None else None), occurred_on=on or clock.today(),
        recorded_by=extra.pop("recorded_by", "王会计"), rule_id=rule.id if rule else None, idempotency_key=key,
        confirmed=confirmed, **extra,
    )  # fmt: skip


def stored(household) -> list[PointsEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(PointsEntry).where(PointsEntry.household_id == household.id)))


@pytest.fixture
def household(db):
    return make_household(make_village("大苍村"), "0102")


@pytest.fixture
def rule(household):
    r = PointsRule(village_id=household.village_id, category="志愿服务", item="参加防汛值守", points=6)
    db.session.add(r)
    db.session.commit()
    return r


def test_the_service_says_whether_it_stored_the_entry_or_replayed_it(db):
    household = make_household()
    first = award_points(asked(household, key="form-1"))
    again = award_points(asked(household, key="form-1"))
    assert first.created and not again.created
    assert again.entry.id == first.entry.id and len(stored(household)) == 1


def test_the_same_award_again_that_day_is_refused_until_confirmed(household, rule):
    registered_since(household, date(2024, 1, 1))
    award_points(asked(household, rule=rule, key="first-form", recorded_by="王会计"))
    # Back, a fresh copy of the form (a new key), submitted again; or a second cadre, same deed.
    with pytest.raises(NeedsConfirmation, match="王会计已于.*给这一户记过一笔同样的分.*参加防汛值守.*[+]6分"):
        award_points(asked(household, rule=rule, key="second-form", recorded_by="李主任"))
    assert len(stored(household)) == 1
    # Another day, or another rule, is not a repeat; a confirmed repeat is stored.
    award_points(asked(household, rule=rule, key="yesterday", on=clock.today() - timedelta(days=1)))
    award_points(asked(household, key="by-hand"))
    again = award_points(asked(household, rule=rule, key="second-form", confirmed=True))
    assert again.created and len(stored(household)) == 4


def test_a_reversed_award_does_not_block_the_right_one(db):
    household = make_household()
    wrong = award_points(asked(household, key="wrong")).entry
    reverse_entry(wrong.id, reason="分值记错", recorded_by="王会计")
    assert award_points(asked(household, key="right")).created


def test_an_award_above_the_villages_threshold_asks_to_confirm(db):
    household = make_household()
    with pytest.raises(NeedsConfirmation, match="这一笔是[+]150分，超过了本村设定的100分"):
        award_points(asked(household, points=150, key="big"))
    with pytest.raises(NeedsConfirmation, match="-120分"):
        award_points(asked(household, points=-120, key="big-deduction", reason="乱倒垃圾"))
    assert stored(household) == []
    assert award_points(asked(household, points=100, key="at-threshold")).created  # not above: no question
    village_settings.update_settings(
        household.village,
        village_settings.SettingsInput(**{**village_settings.current(household.village), "points_confirm_above": "200"}),
        actor="管理员",
    )
    assert award_points(asked(household, points=150, key="big", reason="抢险救人")).created


def test_a_date_before_the_household_was_registered_is_refused(db, travel):
    travel("2026-05-10")
    household = make_household()
    with pytest.raises(ValidationError, match="2026-05-10建档的，不能记在这之前（2026-05-09）"):
        award_points(asked(household, on=date(2026, 5, 9)))
    assert stored(household) == []
    registered_since(household, date(2025, 1, 1))
    assert award_points(asked(household, on=date(2026, 5, 9))).created


def test_a_free_text_category_outside_the_rules_is_refused(household):
    with pytest.raises(ValidationError, match="没有“环卫”这个积分类别"):
        award_points(asked(household, category="环卫"))
    assert stored(household) == []
    own = PointsRule(village_id=household.village_id, category="产业发展", item="带头种油茶", points=5)
    db.session.add(own)
    db.session.commit()
    assert award_points(asked(household, category="产业发展", reason="帮邻居嫁接油茶苗")).created  # the village's own
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 1
