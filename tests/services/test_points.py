"""The points ledger: awards, deductions, reversals, idempotency and kept totals."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, ValidationError
from app.models import PointsEntry, PointsTotal
from app.services import clock, standings
from app.services.points import AwardInput, award_points, reverse_entry
from app.services.totals import period_keys, rebuild_totals
from tests.helpers import award, make_household, make_village, registered_since


def entry_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PointsEntry))


def test_award_updates_household_and_member_totals(db):
    household = make_household(members=3)
    son = household.members[1]
    today = clock.today()
    award(household, 5)
    award(household, 3, villager=son)
    award(household, -2, reason="门前垃圾未清理")
    totals = standings.totals_for("household", [household.id])[household.id]
    assert totals == {"month": 6, "year": 6, "all": 6}
    assert standings.totals_for("villager", [son.id])[son.id] == {"month": 3, "year": 3, "all": 3}
    last_year = date(today.year - 1, 6, 1)
    registered_since(household, last_year)
    award(household, 10, on=last_year)
    totals = standings.totals_for("household", [household.id])[household.id]
    assert totals == {"month": 6, "year": 6, "all": 16}


def test_retried_award_with_same_key_is_stored_once(db):
    household = make_household()
    first = award(household, 5, key="form-123")
    again = award(household, 5, key="form-123")
    third = award(household, 5, key="form-123")
    assert first.id == again.id == third.id
    assert entry_count(db) == 1
    assert standings.totals_for("household", [household.id])[household.id]["all"] == 5


def test_same_key_for_a_different_award_is_refused(db):
    household = make_household()
    award(household, 5, key="k-1")
    with pytest.raises(Conflict):
        award(household, 8, key="k-1")
    assert entry_count(db) == 1


@pytest.mark.parametrize(
    "points, message",
    [(0, "不能是0"), ("abc", "整数"), (1001, "最多"), (None, "整数")],
)
def test_bad_points_are_refused_and_nothing_is_written(db, points, message):
    household = make_household()
    with pytest.raises(ValidationError, match=message):
        award(household, points)
    assert entry_count(db) == 0
    assert db.session.scalar(select(func.count()).select_from(PointsTotal)) == 0


def test_future_date_missing_reason_and_stranger_member_are_refused(db):
    household = make_household()
    other = make_household(household.village, "0299")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        award(household, 5, on=clock.today() + timedelta(days=1))
    with pytest.raises(ValidationError, match="事由"):
        award(household, 5, reason="  ")
    with pytest.raises(ValidationError, match="在册"):
        award(household, 5, villager=other.members[0])
    assert entry_count(db) == 0


def test_reversal_points_at_the_original_and_restores_totals(db):
    household = make_household()
    keep = award(household, 4)
    mistake = award(household, 10, reason="重复登记")
    correction = reverse_entry(mistake.id, reason="同一件事记了两次", recorded_by="村会计")
    assert correction.reverses_id == mistake.id
    assert correction.points == -10 and correction.kind == "reversal"
    assert correction.occurred_on == mistake.occurred_on
    db.session.refresh(mistake)
    assert mistake.points == 10  # the original is untouched
    assert standings.totals_for("household", [household.id])[household.id]["all"] == keep.points
    # Asking again returns the same correction; reversing a correction is refused.
    assert reverse_entry(mistake.id, reason="再点一次", recorded_by="村会计").id == correction.id
    with pytest.raises(ValidationError, match="更正记录"):
        reverse_entry(correction.id, reason="x", recorded_by="村会计")
    assert entry_count(db) == 3


def test_ledger_entries_cannot_be_edited_or_deleted(db):
    household = make_household()
    entry = award(household, 5)
    entry.points = 50
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(PointsEntry, entry.id))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(PointsEntry, entry.id).points == 5


def test_ranks_in_group_and_village(db):
    village = make_village()
    a = make_household(village, "0101", group=1)
    b = make_household(village, "0102", group=1)
    c = make_household(village, "0201", group=2)
    make_household(village, "0202", group=2)  # no points at all
    award(a, 5)
    award(b, 9)
    award(c, 20)
    totals = standings.totals_for("household", [a.id])[a.id]
    ranks = standings.household_ranks(a, totals)
    assert ranks["year"] == {"group": 2, "group_size": 2, "village": 3, "village_size": 4}
    board = standings.leaderboard(village, "year")
    assert [row["number"] for row in board] == ["0201", "0102", "0101"]
    assert [row["number"] for row in standings.leaderboard(village, "year", group_id=a.group_id)] == ["0102", "0101"]
    town_board = standings.leaderboard(village.parent, "year", limit=2)
    assert [row["points"] for row in town_board] == [20, 9]


def test_ties_share_a_rank(db):
    village = make_village()
    a = make_household(village, "0101")
    b = make_household(village, "0102")
    award(a, 5)
    award(b, 5)
    board = standings.leaderboard(village, "year")
    assert [row["rank"] for row in board] == [1, 1]


def test_kept_totals_equal_a_full_rebuild(db, travel):
    # The second of a month: random past awards rarely fall in it, the explicit one below does.
    travel("2026-03-02")
    village = make_village()
    households = [make_household(village, f"01{i:02d}", members=2) for i in range(6)]
    for h in households:
        registered_since(h, date(2024, 1, 1))
    rng = random.Random(7)
    today = clock.today()
    for _ in range(60):
        h = rng.choice(households)
        member = rng.choice([None, h.members[0], h.members[1]])
        award(h, rng.choice([-3, 2, 5, 8]), villager=member, on=today - timedelta(days=rng.randrange(0, 500)))
    award(households[1], 5, on=today)
    mistake = award(households[0], 7)
    reverse_entry(mistake.id, reason="记错", recorded_by="t")

    def snapshot():
        return sorted(db.session.execute(select(PointsTotal.subject, PointsTotal.subject_id, PointsTotal.period, PointsTotal.points)).all())

    incremental = [row for row in snapshot() if row[3] != 0]
    rebuild_totals(village.id)
    db.session.commit()
    assert [row for row in snapshot() if row[3] != 0] == incremental
    assert set(period_keys(today).values()) <= {row[2] for row in incremental}


def test_award_for_rule_takes_its_points_and_category(db):
    from app.models import PointsRule

    household = make_household()
    rule = PointsRule(village_id=household.village_id, category="志愿服务", item="参加防汛值守", points=6)
    db.session.add(rule)
    db.session.commit()
    entry = award_points(
        AwardInput(household_id=household.id, points=None, reason="", occurred_on=clock.today(), recorded_by="t", rule_id=rule.id)
    ).entry
    assert (entry.points, entry.category, entry.reason) == (6, "志愿服务", "参加防汛值守")


def test_rule_cap_per_month_is_enforced(db):
    from app.models import PointsRule

    household = make_household()
    rule = PointsRule(
        village_id=household.village_id, category="环境卫生", item="清扫屋场", points=4, cap_points=10, cap_period="month"
    )
    db.session.add(rule)
    db.session.commit()

    def by_rule():
        return award_points(
            AwardInput(household_id=household.id, points=None, reason="", occurred_on=clock.today(), recorded_by="t",
                       rule_id=rule.id, confirmed=True)
        )

    by_rule()
    by_rule()
    with pytest.raises(ValidationError, match="本月每户最多10分"):
        by_rule()
    assert standings.totals_for("household", [household.id])[household.id]["month"] == 8
