"""The gunicorn under test: start it on a free port, wait for it, warm its pages, always stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.settings import ROOT, VENV_BIN, WORKER_CLASS, WORKER_THREADS, WORKERS, WSGI_APP, BenchError, log

# gunicorn, as production would run it on a 2-core host:
# - sync workers: a request is short and CPU-bound (a cache hit is served from the worker's memory,
#   with at most one Redis GET per village per second and no query), so threads or gevent would
#   only add switching while the GIL serialises the work; sync is also what a WSGI app on a small
#   box is normally given behind a buffering proxy;
# - 4 workers (2 per core): a worker waiting on Redis or PostgreSQL must not leave a core idle,
#   but more workers than that only fight wrk, Redis and PostgreSQL (all on the same 2 cores here)
#   for the CPU. Measured on a quiet moment of the 2-core box, before the per-worker page cache
#   tier (household page req/s, p99): 2 workers 1101 req/s, 283 ms (cores idle while both wait on
#   Redis); 3: 1769, 30 ms; 4: 1793, 29 ms; 5: 1646, 29 ms; 8: 998, 43 ms. BENCH_WORKERS overrides;
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
