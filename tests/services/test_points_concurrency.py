"""Concurrent awards on the production stack: no lost total, no double entry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.models import PointsEntry
from app.services import standings
from tests.conftest import production_stack
from tests.helpers import award, make_household

pytestmark = pytest.mark.skipif(not production_stack(), reason="concurrency needs PostgreSQL (SQLite serialises writers)")


def run_parallel(app, household_id, jobs):
    from app.extensions import db
    from app.models import Household

    def one(job):
        with app.app_context():
            household = db.session.get(Household, household_id)
            try:
                return award(household, job["points"], key=job.get("key")).id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, jobs))


def test_concurrent_awards_to_one_household_keep_exact_totals(app, db):
    household = make_household()
    run_parallel(app, household.id, [{"points": 1 + i % 3} for i in range(40)])
    expected = sum(1 + i % 3 for i in range(40))
    db.session.expire_all()
    assert standings.totals_for("household", [household.id])[household.id]["all"] == expected


def test_concurrent_retries_with_one_key_store_one_entry(app, db):
    household = make_household()
    ids = run_parallel(app, household.id, [{"points": 5, "key": "double-click"} for _ in range(16)])
    assert len(set(ids)) == 1
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 1
    assert standings.totals_for("household", [household.id])[household.id]["all"] == 5
