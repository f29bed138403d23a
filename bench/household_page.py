"""`make bench`: the household page against a trivial JSON endpoint, on the production stack.

Run it from the repository root as ``.venv/bin/python -m bench.household_page`` (bench/run.sh does).
One run, start to finish, on this machine only (127.0.0.1):

1. drop and recreate the database ``cwt_bench`` and flush Redis db 14, so every run starts from
   the same state (and the test suite's ``test`` database is never touched);
2. ``flask db upgrade`` and ``flask demo load`` (大苍村, 436 households) with ``APP_ENV=production``,
   fresh secrets and a temporary instance directory (bench/dataset.py);
3. read every household code from ``flask households export --format csv`` (户码 column);
4. start gunicorn (sync workers, see GUNICORN_ARGS in bench/server.py) with ``wsgi:app`` on a free
   port, wait for ``/livez``;
5. warm up: fetch every household page once (pages are cached per village version, in each
   worker's memory and in Redis; that is the design, so the steady state is the cache-hit path),
   then a short wrk pass on both endpoints so every worker has its connections open;
6. wrk ``-t2 -c32 -d15s --latency`` on ``GET /livez``, then on ``GET /h/<code>`` spread over all
   436 codes (bench/latency.lua), with the CPU each one cost (bench/measure.py);
7. print the table and the budgets (ARCHITECTURE.md, "Performance budgets"): throughput ratio
   ≥ 0.8 and household page p99 < 50 ms. Exit 1 if a budget fails, 2 if the run itself failed.

gunicorn is always stopped on exit (finally + SIGTERM/SIGINT/SIGHUP handlers, and
PR_SET_PDEATHSIG should this driver be killed outright). Settings come from the environment:
see bench/settings.py and bench/README.md.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

from bench.dataset import prepare
from bench.measure import errors, wrk
from bench.server import free_port, start_gunicorn, stop_gunicorn, wait_ready, warm_pages
from bench.settings import (
    CONNECTIONS,
    DURATION,
    MAX_P99_MS,
    MIN_RATIO,
    ROUNDS,
    THREADS,
    WARMUP,
    WORKER_CLASS,
    WORKER_THREADS,
    WORKERS,
    WSGI_APP,
    BenchError,
    log,
    run,
    verdict,
)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def main() -> int:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="cwt-bench-"))
    gunicorn = None
    try:
        env, codes = prepare(tmp / "instance")

        page_paths = tmp / "pages.txt"
        page_paths.write_text("".join(f"/h/{c}\n" for c in codes))
        livez_paths = tmp / "livez.txt"
        livez_paths.write_text("/livez\n")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = start_gunicorn(env, port, tmp / "gunicorn.log")
        wait_ready(base, gunicorn)

        started = time.monotonic()
        slowest = warm_pages(base, [f"/h/{c}" for c in codes])
        log(
            f"warm-up: {len(codes)} pages built and cached in {time.monotonic() - started:.1f}s "
            f"(slowest cold page {slowest:.0f} ms)"
        )
        wrk(base, livez_paths, WARMUP, latency=False)
        wrk(base, page_paths, WARMUP, latency=False)
        log(f"warm-up: {WARMUP} of wrk on each endpoint")

        rounds = []
        for n in range(1, ROUNDS + 1):
            log(f"round {n}/{ROUNDS}: wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency  GET /livez")
            livez = wrk(base, livez_paths, DURATION, pgid=gunicorn.pid)
            log(f"round {n}/{ROUNDS}: same, GET /h/<code> over {len(codes)} codes")
            page = wrk(base, page_paths, DURATION, pgid=gunicorn.pid)
            rounds.append((livez, page))
            log(f"round {n}/{ROUNDS}: ratio {page['rps'] / livez['rps']:.3f}, page p99 {page['p99_us'] / 1000:.2f} ms")
        rounds.sort(key=lambda pair: pair[1]["rps"] / pair[0]["rps"])
        livez, page = rounds[len(rounds) // 2]

        if gunicorn.poll() is not None:
            raise BenchError("gunicorn died during the run")
        worker_trouble = [
            line
            for line in (tmp / "gunicorn.log").read_text(errors="replace").splitlines()
            if re.search(r"WORKER TIMEOUT|Traceback|ERROR|CRITICAL", line)
        ]
    finally:
        stop_gunicorn(gunicorn)
        shutil.rmtree(tmp, ignore_errors=True)

    return report(livez, page, len(codes), worker_trouble)


def report(livez: dict, page: dict, n_codes: int, worker_trouble: list[str]) -> int:
    ms = lambda us: us / 1000  # noqa: E731
    print()
    print(
        f"村务通 household page benchmark: gunicorn {WORKERS} {WORKER_CLASS} workers"
        f"{f' × {WORKER_THREADS} threads' if WORKER_THREADS > 1 else ''} on PostgreSQL + Redis, "
        f"{os.cpu_count()} CPUs, wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}, median of {ROUNDS} rounds"
    )
    if WSGI_APP != "wsgi:app":
        print(f"EXPERIMENT: app {WSGI_APP}")
    print()
    print(
        f"{'endpoint':<27}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'errors':>7}{'worker CPU':>12}{'redis CPU':>11}{'others':>8}"
    )
    for name, r in (("GET /livez", livez), (f"GET /h/<code> ({n_codes} codes)", page)):
        print(
            f"{name:<27}{int(r['requests']):>9}{r['rps']:>8.0f}{ms(r['p50_us']):>8.2f}"
            f"{ms(r['p90_us']):>8.2f}{ms(r['p99_us']):>8.2f}{ms(r['max_us']):>8.1f}{errors(r):>7}"
            f"{r['gunicorn_us_per_req']:>8.0f} µs{r['redis_us_per_req']:>8.0f} µs{r['other_cores']:>8.2f}"
        )
    print("  worker CPU / redis CPU: CPU time per request of the gunicorn processes / of redis-server;")
    print("  others: cores' worth of CPU used by unrelated processes during the run (0 on a quiet box).")
    ratio = page["rps"] / livez["rps"] if livez["rps"] else 0.0
    cpu_ratio = livez["gunicorn_us_per_req"] / page["gunicorn_us_per_req"] if page["gunicorn_us_per_req"] else 0.0
    p99 = ms(page["p99_us"])
    print()
    print(f"throughput ratio {ratio:.3f}; worker-CPU ratio (livez CPU/req ÷ page CPU/req) {cpu_ratio:.3f}")
    if max(livez["other_cores"], page["other_cores"]) > 0.25:
        print("WARNING: other processes used the CPU during the run; figures are pessimistic and noisy.")
    print()
    checks = [
        (f"throughput ratio household/livez = {ratio:.3f} (budget ≥ {MIN_RATIO})", ratio >= MIN_RATIO),
        (f"household page p99 = {p99:.2f} ms (budget < {MAX_P99_MS:.0f} ms)", p99 < MAX_P99_MS),
        (
            f"no socket errors or non-2xx responses ({errors(livez)} + {errors(page)})",
            errors(livez) == 0 and errors(page) == 0,
        ),
        (f"no worker timeouts or tracebacks in the gunicorn log ({len(worker_trouble)})", not worker_trouble),
    ]
    if os.environ.get("BENCH_VERBOSE"):
        print("\n--- wrk /livez ---\n" + livez["raw"] + "\n--- wrk /h/<code> ---\n" + page["raw"])
    return verdict(checks, "BENCH", worker_trouble)


if __name__ == "__main__":
    run(main)
