"""Settings of a `make bench` run (from the environment), its budgets, and what every module shares.

Settings: PG_URL (server to use; its database name is replaced by BENCH_DB), BENCH_DB,
BENCH_REDIS_URL, BENCH_WORKERS, BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_WARMUP,
BENCH_CALLBACK_USERS;
for experiments only, BENCH_WORKER_CLASS, BENCH_WORKER_THREADS, BENCH_REUSE and BENCH_APP.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"

PG_URL = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = os.environ.get("BENCH_DB", "cwt_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
# Rounds alternate /livez and the page; the median round is reported, so a burst of noise from
# a neighbour on a shared machine cannot decide the verdict on its own. Five, not three: on this
# VM single rounds of the same code range over ±20% (the page's ratio 0.72–1.06, the SCAN's p99
# 17–23 ms), and with three one slow round and one middling one settle the verdict.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARMUP = os.environ.get("BENCH_WARMUP", "3s")
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "1"))
# For experiments only: reuse the database, Redis and keys of the previous run (skips ~30 s).
REUSE = os.environ.get("BENCH_REUSE") == "1"
# For experiments only: another WSGI app to serve, as gunicorn's "module:callable".
WSGI_APP = os.environ.get("BENCH_APP", "wsgi:app")

# bench/callback.py: how many followers send the SCAN events of the "followers" pass (about a
# village's WeChat users; each one's contact is written at most once a minute). The "newcomers"
# pass sends every event from someone never seen before (an identity row inserted per request).
CALLBACK_USERS = int(os.environ.get("BENCH_CALLBACK_USERS", "1500"))

# Budgets: ARCHITECTURE.md, "Performance budgets" (2 cores, production stack).
MIN_RATIO = 0.8
MAX_P99_MS = 50.0
CALLBACK_MAX_P99_MS = 20.0


class BenchError(RuntimeError):
    """The benchmark could not be run (as opposed to a budget that failed)."""


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def verdict(checks: list[tuple[str, bool]], name: str, details: list[str] = ()) -> int:
    """Print PASS/FAIL per check and the overall line; 0 when every check passed, else 1."""
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    for line in list(details)[:10]:
        print(f"      {line}")
    failed = not all(ok for _, ok in checks)
    print()
    print(f"{name} {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


def run(main) -> None:
    """Exit with ``main()``'s code; 2 when the benchmark itself could not run."""
    import sys

    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"[bench] error: {exc}", file=sys.stderr)
        sys.exit(2)
