"""A rule's cap holds when awards under it race (issue 9, item 6), on both stacks.

Each award checks the sum so far and then inserts; without a lock, parallel requests all read
the same sum and all insert. Threads with their own sessions stand in for parallel requests.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import PointsEntry, PointsRule
from app.services import clock, standings
from app.services.points import AwardInput, award_points
from app.services.points_many import award_many
from tests.helpers import make_household

RACERS = 16
CAP_MESSAGE = "“清扫屋场”本月每户最多4分"


def capped_rule(db, household) -> PointsRule:
    rule = PointsRule(
        village_id=household.village_id,
        category="环境卫生",
        item="清扫屋场",
        points=1,
        cap_points=4,
        cap_period="month",
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def by_rule(household_id: int, rule_id: int, key: str) -> AwardInput:
    return AwardInput(
        household_id=household_id, points=None, reason="", occurred_on=clock.today(), recorded_by="测试",
        rule_id=rule_id, idempotency_key=key, confirmed=True,  # the races are about caps, not repeats
    )  # fmt: skip


def race(app, jobs):
    """Run every job at once (each in its own app context and session); return results or errors."""
    from app.extensions import db

    start = threading.Barrier(len(jobs))

    def one(job):
        with app.app_context():
            start.wait()
            try:
                return job()
            except ValidationError as error:
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, jobs))


def stored_points(db, rule_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.rule_id == rule_id)
    )


def test_parallel_awards_under_a_monthly_cap_store_exactly_the_cap(app, db):
    household = make_household()
    rule_id, household_id = capped_rule(db, household).id, household.id  # plain ids: threads share no objects
    results = race(app, [lambda i=i: award_points(by_rule(household_id, rule_id, f"k{i}")).entry.id for i in range(RACERS)])
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == RACERS - 4
    assert all(CAP_MESSAGE in r.message for r in refused)
    assert stored_points(db, rule_id) == 4
    assert standings.totals_for("household", [household_id])[household_id]["month"] == 4


def test_parallel_bulk_awards_under_a_cap_store_exactly_the_cap(app, db):
    first = make_household(number="0101")
    second = make_household(first.village, number="0102")
    rule_id, ids = capped_rule(db, first).id, (first.id, second.id)
    # Half the batches name the households in the other order: locks must not deadlock.
    order = [ids, ids[::-1]]
    jobs = [lambda i=i: award_many([by_rule(h, rule_id, f"b{i}-{h}") for h in order[i % 2]]) for i in range(8)]
    results = race(app, jobs)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 4 and all(CAP_MESSAGE in r.message for r in refused)
    assert stored_points(db, rule_id) == 8
    totals = standings.totals_for("household", list(ids))
    assert (totals[ids[0]]["month"], totals[ids[1]]["month"]) == (4, 4)


def test_a_double_click_at_the_cap_returns_the_stored_entry_not_a_refusal(app, db):
    household = make_household()
    rule_id, household_id = capped_rule(db, household).id, household.id
    for i in range(3):
        award_points(by_rule(household_id, rule_id, f"earlier{i}"))
    results = race(app, [lambda: award_points(by_rule(household_id, rule_id, "one-click")).entry.id for _ in range(8)])
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert stored_points(db, rule_id) == 4
