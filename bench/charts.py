"""Charts and dashboard at county scale: p99 under 200 ms (ARCHITECTURE.md, "Performance budgets").

`bash bench/run.sh charts`. On a fresh PostgreSQL database (BENCH_DB) it lays out a county of
500 villages (20 towns × 25) with the kept rows these pages read: every village's register
statistics, its monthly points rows, and 250,000 households' points totals beside them in the same
table. The villagers and the ledger themselves are not built: the pages never read them (the
test ``tests/admin/test_charts.py::test_the_charts_page_reads_no_register_or_ledger_table``
records every statement to prove it), so their size cannot change these timings.

Requests go through the Flask app in this process one at a time (no gunicorn, no network), as a
county admin (roll-up of 500 villages), a town admin (25 villages) and a village cadre.
"""

from __future__ import annotations

import os
import time
from datetime import date

from bench.dataset import recreate_database
from bench.settings import BenchError, log, run, verdict

BUDGET_MS = 200.0
TOWNS, VILLAGES_PER_TOWN, HOUSEHOLDS_PER_VILLAGE = 20, 25, 500
REQUESTS = int(os.environ.get("BENCH_CHARTS_REQUESTS", "200"))


def build(db, today: date) -> dict:
    """The county's regions, statistics and kept points rows; returns the accounts' regions."""
    from sqlalchemy import insert, text

    from app.models import PointsTotal, Region, RegisterStat
    from app.services.statistics import DIMENSIONS
    from app.services.statistics_rollup import _months

    county = Region(level="county", name="安化县", path="/")
    db.session.add(county)
    db.session.flush()
    county.path = f"/{county.id}/"
    villages, towns = [], []
    for t in range(TOWNS):
        town = Region(level="town", name=f"第{t + 1}镇", parent_id=county.id, path="/")
        db.session.add(town)
        db.session.flush()
        town.path = f"{county.path}{town.id}/"
        towns.append(town)
        for v in range(VILLAGES_PER_TOWN):
            village = Region(level="village", name=f"第{t + 1}镇{v + 1}村", parent_id=town.id, path="/")
            db.session.add(village)
            db.session.flush()
            village.path = f"{town.path}{village.id}/"
            villages.append(village)
    stats, totals = [], []
    months = _months(today)
    for i, village in enumerate(villages):
        stats += [{"village_id": village.id, "dimension": "total", "bucket": b, "count": n}
                  for b, n in (("households", HOUSEHOLDS_PER_VILLAGE), ("people", 2000))]  # fmt: skip
        for d in DIMENSIONS:
            buckets = list(d.order) or [f"{d.title}{k}" for k in range(25)]
            stats += [{"village_id": village.id, "dimension": d.key, "bucket": b, "count": (i + k) % 40}
                      for k, b in enumerate(buckets)]  # fmt: skip
        for period in [*months, str(today.year), "all"]:
            totals.append({"subject": "village", "subject_id": village.id, "period": period,
                           "village_id": village.id, "group_id": None, "points": 300 + i})  # fmt: skip
            totals.append({**totals[-1], "subject": "v_deduct", "points": -20})
    db.session.execute(insert(RegisterStat), stats)
    db.session.execute(insert(PointsTotal), totals)
    # Households' totals share the table (the village rows are found by index, not by scanning).
    db.session.execute(text("INSERT INTO villager_groups (village_id, number, name, created_at, updated_at) "
                            "SELECT id, 1, '1组', now(), now() FROM regions WHERE level = 'village'"))  # fmt: skip
    db.session.execute(
        text(
            "INSERT INTO points_totals (subject, subject_id, period, village_id, group_id, points, updated_at) "
            "SELECT 'household', g.village_id * 1000 + h, p, g.village_id, g.id, (h * 7) % 90, now() "
            "FROM villager_groups g, generate_series(1, :n) h, unnest(CAST(:periods AS text[])) p"
        ),
        {"n": HOUSEHOLDS_PER_VILLAGE, "periods": [months[-1], str(today.year), "all"]},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"county_admin": county, "town_admin": towns[0], "cadre": villages[0]}


def signed_in(app, account):
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(admin_id=account.id, admin_epoch=account.session_epoch, admin_seen=int(time.time()))
    return client


def timed(client, url: str) -> list[float]:
    for _ in range(10):  # warm-up
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code}")
    return sorted(times)


def main() -> int:
    os.environ["DATABASE_URL"] = recreate_database()
    os.environ.pop("REDIS_URL", None)
    from cryptography.fernet import Fernet
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import accounts
    from app.services.validators import local_today

    app = create_app({"SECRET_KEY": "bench", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                      "PASSWORD_HASH_FAST": True})  # fmt: skip
    checks, rows = [], []
    with app.app_context():
        upgrade()
        started = time.monotonic()
        regions = build(db, local_today())
        log(f"county of {TOWNS * VILLAGES_PER_TOWN} villages laid out in {time.monotonic() - started:.0f} s")
        for role, region in regions.items():
            account = accounts.create_account(
                accounts.AccountInput(role.replace("_", ""), role, role, region.id, "bench-pass-2026", None),
                created_by="bench",
            )
            account.totp_secret, account.totp_enabled = "JBSWY3DPEHPK3PXP", True
            db.session.commit()
            client = signed_in(app, account)
            for url in ("/admin/charts", "/admin/"):
                times = timed(client, url)
                p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99) - 1]
                rows.append(f"{role:13} {url:14} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
                checks.append((f"{role} {url}: p99 {p99:.1f} ms < {BUDGET_MS:.0f} ms", p99 < BUDGET_MS))
    for row in rows:
        print(row)
    return verdict(checks, "charts")


if __name__ == "__main__":
    run(main)
