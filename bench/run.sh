#!/usr/bin/env bash
# `make bench`: household page vs /livez on gunicorn + PostgreSQL + Redis. See bench/README.md.
# Exit 0: budgets met; 1: a budget failed; 2: the benchmark could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
    echo "[bench] no .venv: run 'make dev-deps' first (or use 'make bench')" >&2
    exit 2
fi
command -v wrk >/dev/null || { echo "[bench] wrk is not installed (apt-get install wrk)" >&2; exit 2; }

export PG_URL="${PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
# The driver recreates this database and flushes this Redis db on every run.
export BENCH_DB="${BENCH_DB:-cwt_bench}"
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}"

# -m from the repo root: the driver imports its siblings as bench.settings, bench.server, ...
# exec: signals reach the driver directly; it stops gunicorn on any exit (finally + handlers).
# `timeout` is the last resort so a wedged run can never hang `make bench` (a normal run takes 1.5–2 min).
exec timeout --foreground --signal=TERM --kill-after=15 "${BENCH_TIMEOUT:-240}" .venv/bin/python -m bench.household_page "$@"
