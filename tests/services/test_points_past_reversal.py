"""Reversing an entry dated in an earlier month (or year): the correction counts where the
mistake counted, so that month goes back and the current month, the year and the ranking of
the current month do not move. The kept totals must equal a recomputation from the ledger."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import PointsTotal
from app.services import standings
from app.services.points import reverse_entry
from app.services.totals import rebuild_totals
from tests.helpers import award, make_household, make_village


def _kept(village_id: int) -> dict:
    rows = db.session.execute(select(PointsTotal.subject, PointsTotal.subject_id, PointsTotal.period, PointsTotal.points))
    return {(s, i, p): n for s, i, p, n in rows if n}


def test_reversing_last_months_entry_restores_that_month_and_leaves_this_one(db, travel):
    travel("2026-05-10")
    village = make_village()
    household = make_household(village, "0101", members=2)
    son = household.members[1]
    march = award(household, 6, villager=son, on=date(2026, 3, 5), reason="三月记错的一笔")
    award(household, 4, on=date(2026, 5, 2))
    reverse_entry(march.id, reason="三月那笔记错了", recorded_by="村会计")

    now = standings.totals_for("household", [household.id])[household.id]
    in_march = standings.totals_for("household", [household.id], date(2026, 3, 20))[household.id]
    assert now == {"month": 4, "year": 4, "all": 4}
    assert in_march["month"] == 0
    assert standings.totals_for("villager", [son.id], date(2026, 3, 20))[son.id] == {"month": 0, "year": 0, "all": 0}
    assert standings.totals_for("villager", [son.id])[son.id]["month"] == 0  # the reversal is not May's
    kept = _kept(village.id)
    rebuild_totals(village.id)
    db.session.commit()
    assert _kept(village.id) == kept  # what the ledger adds up to


def test_reversing_last_years_entry_leaves_this_year_alone(db, travel):
    travel("2026-01-08")
    household = make_household()
    december = award(household, 5, on=date(2025, 12, 28))
    award(household, 3)
    reverse_entry(december.id, reason="去年底记错", recorded_by="村会计")
    assert standings.totals_for("household", [household.id])[household.id] == {"month": 3, "year": 3, "all": 3}
    last_year = standings.totals_for("household", [household.id], date(2025, 12, 31))[household.id]
    assert last_year["year"] == 0 and last_year["month"] == 0
