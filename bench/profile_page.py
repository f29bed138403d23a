"""Per-request cost of GET /h/<code> in-process (no HTTP server, no wrk), for `make bench` failures.

Runs the production app through Flask's test client against the database and Redis the last
`make bench` left behind (cwt_bench, Redis db 14), so no other load on the machine distorts a
ratio: it reports CPU time per request, the SQL statements and Redis commands each request
issues, for /livez, the cached household page (the steady state) and a freshly built one (what
every page costs once after any award in the village bumps the village version), then a cProfile
of the cached path.

    .venv/bin/python bench/profile_page.py            # after bash bench/run.sh
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The settings (and the data key) of the last `bash bench/run.sh`, written by bench/dataset.py.
_env_file = Path(os.environ.get("TMPDIR", "/tmp")) / "cwt_bench.env"
if _env_file.exists():
    for _line in _env_file.read_text().splitlines():
        _name, _, _value = _line.partition("=")
        os.environ.setdefault(_name, _value)
os.environ.setdefault("APP_ENV", "production")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/" + os.environ.get("BENCH_DB", "cwt_bench"))
os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
os.environ.setdefault("SECRET_KEY", "profile-only")
if not os.environ.get("DATA_ENCRYPTION_KEY"):
    from cryptography.fernet import Fernet

    os.environ["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()

import logging  # noqa: E402

import redis  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import HouseholdCode  # noqa: E402

ROUNDS = int(os.environ.get("PROFILE_ROUNDS", "3"))

counts = {"sql": 0, "redis": 0}
_execute_command = redis.Redis.execute_command


def _counting_execute_command(self, *args, **kwargs):
    counts["redis"] += 1
    return _execute_command(self, *args, **kwargs)


redis.Redis.execute_command = _counting_execute_command


def measure(client, paths: list[str], label: str) -> dict:
    """CPU and wall time per request, SQL statements and Redis commands per request."""
    counts.update(sql=0, redis=0)
    walls = []
    cpu0 = time.process_time()
    for path in paths:
        t0 = time.perf_counter()
        resp = client.get(path)
        walls.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise SystemExit(f"{path}: {resp.status_code}")
    cpu = time.process_time() - cpu0
    n = len(paths)
    walls.sort()
    row = {
        "label": label,
        "n": n,
        "cpu_us": cpu / n * 1e6,
        "wall_p50_us": statistics.median(walls) * 1e6,
        "wall_p99_us": walls[int(0.99 * (n - 1))] * 1e6,
        "sql": counts["sql"] / n,
        "redis": counts["redis"] / n,
    }
    print(
        f"{label:<44}{n:>7}{row['cpu_us']:>10.0f}{row['wall_p50_us']:>10.0f}{row['wall_p99_us']:>10.0f}"
        f"{row['sql']:>8.1f}{row['redis']:>8.1f}"
    )
    return row


def main() -> None:
    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counts.__setitem__("sql", counts["sql"] + 1))
        codes = list(db.session.scalars(select(HouseholdCode.code).where(HouseholdCode.status == "active")))
        db.session.remove()
    if not codes:
        raise SystemExit("no household codes: run bash bench/run.sh first")
    pages = [f"/h/{c}" for c in codes]
    client = app.test_client()

    print(f"{len(codes)} codes; CPU and wall time in µs per request; SQL statements and Redis commands per request\n")
    print(f"{'':<44}{'n':>7}{'cpu':>10}{'wall p50':>10}{'wall p99':>10}{'sql':>8}{'redis':>8}")
    for p in pages:  # make sure every page is cached (no-op after a bench run)
        client.get(p)
    measure(client, ["/livez"] * len(pages) * ROUNDS, "GET /livez")
    measure(client, pages * ROUNDS, "GET /h/<code>, cached (steady state)")
    # What one award costs: it bumps the village version, so every page is rebuilt once.
    from app.models import Household
    from app.services import page_cache

    with app.app_context():
        village_id = db.session.scalar(select(Household.village_id).limit(1))
        page_cache.bump_village(village_id)
        db.session.remove()
    measure(client, pages, "GET /h/<code>, rebuilt after a version bump")

    print("\ncProfile of the cached path (top 30 by internal time):")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(ROUNDS):
        for p in pages:
            client.get(p)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


if __name__ == "__main__":
    main()
