"""One wrk run and what it cost: wrk's own figures (via bench/latency.lua) plus CPU accounting.

The budgets are about throughput on 2 cores, and this machine may be shared: so beside wrk's
figures the run reports the CPU the gunicorn workers spent per request (which no other load can
inflate much) and how much CPU the rest of the machine took while wrk ran.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

from bench.settings import BENCH, CONNECTIONS, REDIS_URL, THREADS, BenchError

CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------- CPU accounting


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


def wrk(
    base: str,
    paths_file: Path,
    duration: str,
    latency: bool = True,
    pgid: int | None = None,
    script: str = "latency.lua",
    script_args: tuple[str, ...] = (),
) -> dict:
    """One wrk run with ``script`` (bench/latency.lua, or bench/callback.lua for the callback)."""
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "5s"]
    if latency:
        cmd.append("--latency")
    cmd += ["-s", str(BENCH / script), base, "--", str(paths_file), *script_args]
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
        raise BenchError(f"wrk output has no BENCH line (bench/{script} done())")
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
