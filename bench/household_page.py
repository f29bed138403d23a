"""`make bench`: the household page against a trivial JSON endpoint, on the production stack.

One run, start to finish, on this machine only (127.0.0.1):

1. drop and recreate the database ``cwt_bench`` and flush Redis db 14, so every run starts from
   the same state (and the test suite's ``test`` database is never touched);
2. ``flask db upgrade`` and ``flask demo load`` (大苍村, 436 households) with ``APP_ENV=production``,
   fresh secrets and a temporary instance directory;
3. read every household code from ``flask households export --format csv`` (户码 column);
4. start gunicorn (sync workers, see GUNICORN_ARGS below) with ``wsgi:app`` on a free port, wait for
   ``/livez``;
5. warm up: fetch every household page once (pages are cached per village version in Redis; that
   is the design, so the steady state is the cache-hit path), then a short wrk pass on both
   endpoints so every worker has its connections open;
6. wrk ``-t2 -c32 -d15s --latency`` on ``GET /livez``, then on ``GET /h/<code>`` spread over all
   436 codes (bench/latency.lua);
7. print the table and the budgets (ARCHITECTURE.md, "Performance budgets"): throughput ratio
   ≥ 0.8 and household page p99 < 50 ms. Exit 1 if a budget fails, 2 if the run itself failed.

gunicorn is always stopped on exit (finally + SIGTERM/SIGINT/SIGHUP handlers, and
PR_SET_PDEATHSIG should this driver be killed outright). Settings come from
the environment: PG_URL (server to use; its database name is replaced by BENCH_DB), BENCH_DB,
BENCH_REDIS_URL, BENCH_WORKERS, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS.
"""

from __future__ import annotations

import csv
import io
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"

PG_URL = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = os.environ.get("BENCH_DB", "cwt_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
DURATION = os.environ.get("BENCH_DURATION", "15s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARMUP = os.environ.get("BENCH_WARMUP", "3s")
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "1"))
# For experiments only: reuse the database, Redis and keys of the previous run (skips ~30 s).
REUSE = os.environ.get("BENCH_REUSE") == "1"
# For experiments only: another WSGI app, e.g. bench.variants:app (see bench/variants.py).
WSGI_APP = os.environ.get("BENCH_APP", "wsgi:app")

# Budgets: ARCHITECTURE.md, "Performance budgets" (2 cores, production stack).
MIN_RATIO = 0.8
MAX_P99_MS = 50.0

# gunicorn, as production would run it on a 2-core host:
# - sync workers: a request is short and CPU-bound (a cache hit is two Redis GETs, no query), so
#   threads or gevent would only add switching while the GIL serialises the work; sync is also
#   what a WSGI app on a small box is normally given behind a buffering proxy;
# - 4 workers (2 per core): a worker waiting on its Redis round trip must not leave a core idle,
#   but more workers than that only fight wrk, Redis and PostgreSQL (all on the same 2 cores here)
#   for the CPU. Measured on a quiet moment of the 2-core box (household page req/s, p99):
#   2 workers 1101 req/s, 283 ms (cores idle while both wait on Redis); 3: 1769, 30 ms;
#   4: 1793, 29 ms; 5: 1646, 29 ms; 8: 998, 43 ms. BENCH_WORKERS overrides;
# - no access log (gunicorn's default; a per-request write a production box ships elsewhere);
# - no control socket (gunicorn >= 24 opens one in ~/.gunicorn by default; it would clash with
#   another gunicorn on the same machine, e.g. `make run`).
GUNICORN_ARGS = [
    "--workers",
    str(WORKERS),
    "--worker-class",
    WORKER_CLASS,
    "--threads",
    str(WORKER_THREADS),
    "--no-control-socket",
    "--log-level",
    "warning",
]


class BenchError(RuntimeError):
    """The benchmark could not be run (as opposed to a budget that failed)."""


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------- setup


def bench_database_url() -> str:
    parts = urlsplit(PG_URL)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, f"/{BENCH_DB}", "", ""))


def recreate_database() -> str:
    """Drop and create BENCH_DB on the PG_URL server; return its URL."""
    import psycopg
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", BENCH_DB) or BENCH_DB in ("test", "postgres"):
        raise BenchError(f"refusing to drop database {BENCH_DB!r}")
    parts = urlsplit(PG_URL)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    return bench_database_url()


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    db_index = client.connection_pool.connection_kwargs.get("db", 0)
    if int(db_index) in (0, 15):  # 0: anyone's default; 15: the test suite's (Makefile)
        raise BenchError(f"refusing to flush Redis db {db_index}; set BENCH_REDIS_URL to a bench-only db")
    client.flushdb()


def app_env(instance: Path, database_url: str) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=os.urandom(32).hex(),
        DATA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        INSTANCE_PATH=str(instance),
        FLASK_APP="wsgi",
        PYTHONUNBUFFERED="1",
    )
    return env


ENV_FILE = Path(tempfile.gettempdir()) / "cwt_bench.env"


def save_env(env: dict) -> None:
    """Keep the run's settings (throwaway keys of a synthetic database) for bench/profile_page.py."""
    names = ("APP_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_ENCRYPTION_KEY")
    ENV_FILE.unlink(missing_ok=True)
    fd = os.open(ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(f"{n}={env[n]}\n" for n in names)


def flask(env: dict, *args: str, timeout: float = 180) -> bytes:
    cmd = [str(VENV_BIN / "flask"), *args]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace")[-4000:])
        raise BenchError(f"`flask {' '.join(args)}` failed (exit {proc.returncode})")
    log(f"flask {' '.join(args)}: {time.monotonic() - started:.1f}s")
    return proc.stdout


def household_codes(env: dict) -> list[str]:
    data = flask(env, "households", "export", "--format", "csv", "--by", "bench")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    codes = [row["户码"].strip() for row in rows if row.get("户码", "").strip()]
    if not codes:
        raise BenchError("households export gave no 户码 column / no codes")
    return codes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, logfile: Path) -> subprocess.Popen:
    cmd = [
        str(VENV_BIN / "gunicorn"),
        *GUNICORN_ARGS,
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(logfile),
        WSGI_APP,
    ]
    log("gunicorn " + " ".join(cmd[1:]))
    # Own process group, so the whole tree (arbiter + workers) can be stopped together; and told
    # to stop if this driver dies without its cleanup running (SIGKILL).
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def stop_gunicorn(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited early (exit {proc.returncode})")
        try:
            if get(base + "/livez", timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError("gunicorn did not answer /livez within 30 s")


def warm_pages(base: str, paths: list[str]) -> float:
    """Fetch every household page once (fills the page cache); return the slowest fetch in ms."""

    def fetch(path: str) -> float:
        started = time.perf_counter()
        status, body = get(base + path, timeout=30)
        if status != 200 or b"<html" not in body[:2000].lower():
            raise BenchError(f"warm-up: GET {path} gave {status}")
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return max(pool.map(fetch, paths))


# --------------------------------------------------------------------------- CPU accounting
#
# The budgets are about throughput on 2 cores, and this machine may be shared: so beside wrk's
# figures the run reports the CPU the gunicorn workers spent per request (which no other load can
# inflate much) and how much CPU the rest of the machine took while wrk ran.

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _group_cpu_seconds(pgid: int) -> float:
    """utime + stime of every live process in process group ``pgid`` (gunicorn + its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is state; [2] is pgrp; [11], [12] utime, stime
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def _machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLK_TCK, total / CLK_TCK


def _redis_cpu_seconds() -> float:
    import redis

    info = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def cpu_snapshot(pgid: int) -> dict:
    busy, total = _machine_cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "gunicorn": _group_cpu_seconds(pgid),
        "redis": _redis_cpu_seconds(),
        "wrk": children.ru_utime + children.ru_stime,
        "busy": busy,
        "total": total,
    }


def cpu_delta(before: dict, after: dict, requests: float) -> dict:
    d = {k: after[k] - before[k] for k in before}
    other = d["busy"] - d["gunicorn"] - d["redis"] - d["wrk"]
    return {
        "gunicorn_us_per_req": d["gunicorn"] / requests * 1e6 if requests else 0.0,
        "redis_us_per_req": d["redis"] / requests * 1e6 if requests else 0.0,
        "machine_busy_pct": 100 * d["busy"] / d["total"] if d["total"] else 0.0,
        "other_cores": other / (d["total"] / (os.cpu_count() or 1)) if d["total"] else 0.0,
    }


# --------------------------------------------------------------------------- wrk

BENCH_LINE = re.compile(r"^BENCH (.*)$", re.M)


def wrk(base: str, paths_file: Path, duration: str, latency: bool = True, pgid: int | None = None) -> dict:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "5s"]
    if latency:
        cmd.append("--latency")
    cmd += ["-s", str(BENCH / "latency.lua"), base, "--", str(paths_file)]
    seconds = _seconds(duration)
    before = cpu_snapshot(pgid) if pgid else None
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    after = cpu_snapshot(pgid) if pgid else None
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise BenchError(f"wrk failed (exit {proc.returncode})")
    match = BENCH_LINE.search(proc.stdout)
    if not match:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise BenchError("wrk output has no BENCH line (bench/latency.lua done())")
    fields = dict(kv.split("=", 1) for kv in match.group(1).split())
    result = {k: float(v) for k, v in fields.items()}
    result["raw"] = BENCH_LINE.sub("", proc.stdout).rstrip()
    if before:
        result.update(cpu_delta(before, after, result["requests"]))
    return result


def _seconds(duration: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", duration)
    if not m:
        raise BenchError(f"bad duration {duration!r}")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def errors(r: dict) -> int:
    # Sync gunicorn workers close the connection after every response (no keep-alive); wrk
    # reconnects and does not count that as an error. Anything counted here is real.
    return int(r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["non2xx"])


# --------------------------------------------------------------------------- main


def main() -> int:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk)")

    tmp = Path(tempfile.mkdtemp(prefix="cwt-bench-"))
    gunicorn = None
    try:
        if REUSE and ENV_FILE.exists():
            env = app_env(tmp / "instance", bench_database_url())
            env.update(line.split("=", 1) for line in ENV_FILE.read_text().splitlines())
            log(f"BENCH_REUSE=1: reusing {env['DATABASE_URL']} and {REDIS_URL} as the last run left them")
        else:
            database_url = recreate_database()
            flush_redis()
            log(f"database {database_url} recreated, {REDIS_URL} flushed")
            env = app_env(tmp / "instance", database_url)
            save_env(env)
            flask(env, "db", "upgrade")
            flask(env, "demo", "load", timeout=300)
        codes = household_codes(env)
        log(f"{len(codes)} household codes")

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

        log(f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency  GET /livez")
        livez = wrk(base, livez_paths, DURATION, pgid=gunicorn.pid)
        log(f"wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency  GET /h/<code> over {len(codes)} codes")
        page = wrk(base, page_paths, DURATION, pgid=gunicorn.pid)

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
        f"{os.cpu_count()} CPUs, wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}"
    )
    if WSGI_APP != "wsgi:app":
        print(f"EXPERIMENT: app {WSGI_APP}, BENCH_VARIANT={os.environ.get('BENCH_VARIANT', '')}")
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
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    for line in worker_trouble[:10]:
        print(f"      {line}")
    if os.environ.get("BENCH_VERBOSE"):
        print("\n--- wrk /livez ---\n" + livez["raw"] + "\n--- wrk /h/<code> ---\n" + page["raw"])
    failed = not all(ok for _, ok in checks)
    print()
    print("BENCH FAIL" if failed else "BENCH PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"[bench] error: {exc}", file=sys.stderr)
        sys.exit(2)
