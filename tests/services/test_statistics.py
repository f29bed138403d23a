"""Register statistics and points over time (R8): counted right, kept fresh, rolled up, suppressed."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Household, PointsEntry, Region, RegisterStat, Villager
from app.services import clock, events, statistics
from app.services.points import reverse_entry
from app.services.scope import Scope
from app.services.statistics_rollup import charts_for, headline_for, suppress
from app.services.totals import rebuild_totals
from tests.helpers import award, make_household, make_village


@pytest.fixture
def inline_tasks(app, monkeypatch):
    """Run handed-off tasks in this process right after commit, on both stacks (as the embedded default)."""
    monkeypatch.setitem(app.config, "TASKS_INLINE", True)


@pytest.fixture
def demo_village(demo):
    """大苍村 of the module's demo data; its read transaction ends with the test, so the next
    test's clean-up (TRUNCATE on PostgreSQL) is not left waiting on it."""
    yield db.session.scalar(select(Region).where(Region.name == "大苍村"))
    db.session.rollback()


def stats_of(village_id: int) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(RegisterStat.dimension, RegisterStat.bucket, RegisterStat.count).where(RegisterStat.village_id == village_id)
    )
    return {(d, b): n for d, b, n in rows}


def chart(view, key: str) -> dict[str, str]:
    return {c["label"]: c["shown"] for c in next(ch for ch in view.charts if ch["key"] == key)["cells"]}


def expected_from_register(village_id: int, today: date) -> Counter:
    """The same statistics, counted the plain way from the ORM objects."""
    expected: Counter = Counter()
    homes = db.session.scalars(select(Household).where(Household.village_id == village_id)).all()
    for home in homes:
        if home.status != "active":
            continue
        expected[("total", "households")] += 1
        expected[("household_category", home.category or "未填")] += 1
        expected[("living_environment", home.living_environment or "未填")] += 1
        size = len([p for p in home.people if p.status == "current"])
        if size:
            expected[("household_size", f"{size}人户" if size < 6 else "6人及以上")] += 1
    bands = [(6, "0-6岁"), (17, "7-17岁"), (35, "18-35岁"), (59, "36-59岁"), (79, "60-79岁"), (999, "80岁及以上")]
    people = db.session.scalars(select(Villager).where(Villager.village_id == village_id, Villager.status == "current"))
    for p in people:
        expected[("total", "people")] += 1
        age = p.age_on(today)
        expected[("age_band", "未填" if age is None else next(label for top, label in bands if age <= top))] += 1
        for key in ("gender", "education", "political_status", "health", "work_status"):
            expected[(key, getattr(p, key) or "未填")] += 1
        if p.work_status == "务工":
            expected[("migrant_place", p.work_place or "未填")] += 1
        for skill in set(re.split(r"[、，,\s]+", p.skills or "")) - {""}:
            expected[("skills", skill)] += 1
    return expected


# --- counting -----------------------------------------------------------------------------------


def test_demo_village_statistics_match_the_register(demo_village):
    village = demo_village
    today = clock.today()
    assert statistics.refresh_village(village.id, today=today)
    stored = stats_of(village.id)
    assert stored == dict(expected_from_register(village.id, today))
    # The demo village is the one the field report describes.
    assert stored[("total", "households")] >= 430 and stored[("total", "people")] >= 1700
    assert sum(n for (d, _), n in stored.items() if d == "age_band") == stored[("total", "people")]
    assert stored[("migrant_place", "长沙")] > 0 and any(d == "skills" for d, _ in stored)


def test_demo_points_over_time_match_the_ledger_month_by_month(demo_village):
    village = demo_village
    today = clock.today()
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.village_id == village.id)).all()
    awarded, deducted = defaultdict(int), defaultdict(int)
    for e in entries:
        original = e.reverses if e.kind == "reversal" else e
        side = awarded if original.points > 0 else deducted
        side[f"{e.occurred_on.year}年{e.occurred_on.month}月"] += e.points
    points = charts_for(Scope(region=village), today=today).points
    assert points["months"][-1] == f"{today.year}年{today.month}月" and len(points["months"]) == 12
    assert points["awarded"] == [awarded[m] for m in points["months"]]
    assert points["deducted"] == [-deducted[m] for m in points["months"]]
    assert points["net"] == [awarded[m] + deducted[m] for m in points["months"]]
    assert sum(points["awarded"]) > 0


def test_kept_village_points_follow_awards_deductions_and_reversals_and_equal_a_rebuild(db):
    home = make_household()
    scope = Scope(region=home.village)
    today = clock.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    award(home, 8, on=last_month)
    award(home, -3, reason="乱倒垃圾")
    mistake = award(home, 5)
    reverse_entry(mistake.id, reason="记错了户", recorded_by="测试")
    kept = charts_for(scope, today=today).points
    assert (kept["awarded"][-1], kept["deducted"][-1], kept["net"][-1]) == (0, 3, -3)
    assert (kept["awarded"][-2], kept["deducted"][-2], kept["net"][-2]) == (8, 0, 8)
    assert headline_for(scope, today=today).points_month == -3
    rebuild_totals(home.village_id)
    db.session.commit()
    assert charts_for(scope, today=today).points == kept


# --- kept fresh ---------------------------------------------------------------------------------


def test_a_death_recorded_through_events_updates_the_statistics_after_commit(db, inline_tasks):
    home = make_household(members=3)  # the head (b. 1968) and two born 1995 and 1996
    before = stats_of(home.village_id)
    assert before[("total", "people")] == 3 and before[("household_size", "3人户")] == 1
    son = next(p for p in home.members if p.id != home.head_id)
    events.record_event(events.EventInput("death", home.id, clock.today(), "测试", villager_id=son.id))
    after = stats_of(home.village_id)
    assert after[("total", "people")] == 2
    assert after[("household_size", "2人户")] == 1 and ("household_size", "3人户") not in after
    assert after[("gender", son.gender)] == before[("gender", son.gender)] - 1


def test_a_change_rolled_back_asks_for_no_refresh(db, inline_tasks):
    home = make_household(members=2)
    computed = db.session.scalar(select(RegisterStat.computed_at).where(RegisterStat.village_id == home.village_id).limit(1))
    home.members[1].health = "大病"
    db.session.flush()
    db.session.rollback()
    db.session.commit()  # nothing pending: must not hand off the forgotten village
    assert db.session.scalar(select(RegisterStat.computed_at).where(RegisterStat.village_id == home.village_id).limit(1)) == computed
    assert ("health", "大病") not in stats_of(home.village_id)


def test_a_refresh_queued_before_a_later_recount_is_skipped(db, inline_tasks):
    home = make_household()
    assert statistics.refresh_village(home.village_id, queued_at=0.0) is False  # one ran after "0"
    assert statistics.refresh_village(home.village_id) is True


def test_the_nightly_recount_moves_people_into_their_new_age_band(db, inline_tasks):
    home = make_household(members=1)  # the head, born 1968-05-04
    assert statistics.refresh_all(today=date(2028, 4, 30)) == 1
    assert stats_of(home.village_id)[("age_band", "36-59岁")] == 1
    # Ages count by month (privacy.age_on): the band changes on the 1st, not on the birthday.
    statistics.refresh_all(today=date(2028, 5, 1))
    assert stats_of(home.village_id)[("age_band", "60-79岁")] == 1


def test_the_nightly_recount_is_scheduled_and_the_tasks_are_registered(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert "stats.refresh_all" in {entry["task"] for entry in schedule.values()}
    assert {"stats.refresh", "stats.refresh_all"} <= set(app.extensions["celery"].tasks)


def test_skills_are_split_into_one_bucket_each():
    assert statistics.split_skills("木工、泥瓦匠，厨师 , 竹编") == {"木工", "泥瓦匠", "厨师", "竹编"}
    assert statistics.split_skills(None) == set()


# --- roll-up and small cells --------------------------------------------------------------------


def test_suppression_hides_small_cells_and_one_more_when_a_total_would_give_it_away():
    cells = suppress([("健康", 40), ("慢性病", 12), ("大病", 3), ("残疾", 7), ("长期卧床", 0)], exact=False)
    assert [c.shown for c in cells] == ["40", "12", "<5", "隐去", "0"]
    two_small = suppress([("男", 2), ("女", 4), ("未填", 30)], exact=False)
    assert [c.shown for c in two_small] == ["<5", "<5", "30"]
    assert [c.shown for c in suppress([("大病", 3), ("健康", 9)], exact=True)] == ["3", "9"]


def _village_with_health(name: str, sick: int, healthy: int):
    """A village of two households; ``sick`` of its people have 大病, the others are 健康."""
    village = make_village(name)
    people = sick + healthy
    homes = [make_household(village, members=people // 2), make_household(village, members=people - people // 2)]
    for i, person in enumerate(p for home in homes for p in home.members):
        person.health = "大病" if i < sick else "健康"
    db.session.commit()
    return village


def test_town_roll_up_sums_the_villages_and_suppresses_a_bucket_of_three(db, inline_tasks):
    east = _village_with_health("东坪村", sick=2, healthy=6)
    west = _village_with_health("西坪村", sick=1, healthy=9)
    town = east.parent
    view = charts_for(Scope(region=town))
    assert view.village_id is None and not view.exact and view.villages_counted == 2
    assert view.headline.people.shown == "18" and view.headline.households.shown == "<5"
    health = chart(view, "health")
    assert health["大病"] == "<5" and health["健康"] == "隐去"  # 3 sick: hidden, and the one cell that would reveal it
    assert "3" not in health.values()
    gender = chart(view, "gender")
    east_stats, west_stats = stats_of(east.id), stats_of(west.id)
    assert gender["男"] == str(east_stats[("gender", "男")] + west_stats[("gender", "男")])
    assert [line["name"] for line in view.parts] == ["东坪村", "西坪村"]
    # The village's own cadres see their exact numbers.
    own = charts_for(Scope(region=west))
    assert own.exact and chart(own, "health")["大病"] == "1" and own.headline.households.shown == "2"
    # A town account looking at one village still sees it suppressed: that is beyond the village.
    picked = charts_for(Scope(region=town), str(west.id))
    assert picked.village_id == west.id and not picked.exact and chart(picked, "health")["大病"] == "<5"


def test_a_village_scope_cannot_pick_another_village(db):
    from app.errors import NotFound

    mine, other = make_village("东坪村"), make_village("西坪村")
    for wrong in (other.id, "abc", str(mine.parent_id)):
        with pytest.raises(NotFound):
            charts_for(Scope(region=mine), wrong)


def test_a_county_roll_up_lists_its_towns_and_offers_villages_grouped_by_town(db, inline_tasks):
    east = make_village("东坪村", town="冷市镇")
    hill = make_village("山口村", town="梅城镇")
    for _ in range(3):
        make_household(east, members=2)
    make_household(hill, members=2)
    view = charts_for(Scope(region=east.parent.parent))
    assert view.title == "安化县（2个村汇总）" and view.headline.people.shown == "8"
    assert [(p["name"], p["is_village"], p["headline"].people.shown) for p in view.parts] == [
        ("冷市镇", False, "6"), ("梅城镇", False, "<5")
    ]
    assert view.choices == [("冷市镇", [(east.id, "东坪村")]), ("梅城镇", [(hill.id, "山口村")])]
