#!/usr/bin/env bash
# `make bench`: the household page vs /livez, then the WeChat callback (SCAN events), each on
# gunicorn + PostgreSQL + Redis, then the charts at county scale (bench/charts.py), then the
# household page's first paint on weak 4G in headless Chromium (bench/first_paint.py). See bench/README.md.
#   bash bench/run.sh                  all four
#   bash bench/run.sh callback         only one (household_page | callback | charts | first_paint)
# Exit 0: every budget met; 1: a budget failed; 2: a benchmark could not run (the worst of the runs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
    echo "[bench] no .venv: run 'make dev-deps' first (or use 'make bench')" >&2
    exit 2
fi
command -v wrk >/dev/null || { echo "[bench] wrk is not installed (apt-get install wrk)" >&2; exit 2; }

export PG_URL="${PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
# Each driver recreates this database and flushes this Redis db at its start.
export BENCH_DB="${BENCH_DB:-cwt_bench}"
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}"

benches=("$@")
[[ ${#benches[@]} -gt 0 ]] || benches=(household_page callback charts first_paint)

# A driver stops its gunicorn on any exit (finally + signal handlers + PR_SET_PDEATHSIG); this
# shell passes TERM/HUP on to the running one and waits for its cleanup. Ctrl-C reaches it directly.
child=""
trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null && wait "$child"; exit 2' TERM HUP
worst=0
for bench in "${benches[@]}"; do
    case "$bench" in household_page | callback | charts | first_paint) ;; *) echo "[bench] unknown benchmark: $bench" >&2; exit 2 ;; esac
    # -m from the repo root: the drivers import their siblings as bench.settings, bench.server, ...
    # `timeout` is the last resort so a wedged run can never hang `make bench` (a run takes 2–3.5 min).
    rc=0
    timeout --foreground --signal=TERM --kill-after=15 "${BENCH_TIMEOUT:-420}" .venv/bin/python -m "bench.$bench" &
    child=$!
    wait "$child" || rc=$?
    child=""
    if (( rc > 2 )); then  # timed out (124) or killed: that run could not finish; stop here
        echo "[bench] $bench did not finish (exit $rc)" >&2
        worst=2
        break
    fi
    if (( rc > worst )); then worst=$rc; fi
    echo
done
exit "$worst"
