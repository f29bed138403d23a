"""The data a `make bench` run serves: a fresh database and Redis db, the demo village, its codes."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.settings import BENCH_DB, PG_URL, REDIS_URL, REUSE, ROOT, VENV_BIN, BenchError, log

# The run's settings and throwaway keys, for bench/profile_page.py (and BENCH_REUSE=1).
ENV_FILE = Path(tempfile.gettempdir()) / "cwt_bench.env"


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
    # The export guards spreadsheet cells: a code starting with "-" (base64url) comes out as "'-…".
    codes = [row["户码"].strip().removeprefix("'") for row in rows if row.get("户码", "").strip()]
    if not codes:
        raise BenchError("households export gave no 户码 column / no codes")
    return codes


def prepare(instance: Path) -> tuple[dict, list[str]]:
    """Steps 1 to 3 (or the last run's state with BENCH_REUSE=1): the app's environment and codes."""
    if REUSE and ENV_FILE.exists():
        env = app_env(instance, bench_database_url())
        env.update(line.split("=", 1) for line in ENV_FILE.read_text().splitlines())
        log(f"BENCH_REUSE=1: reusing {env['DATABASE_URL']} and {REDIS_URL} as the last run left them")
    else:
        database_url = recreate_database()
        flush_redis()
        log(f"database {database_url} recreated, {REDIS_URL} flushed")
        env = app_env(instance, database_url)
        save_env(env)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load", timeout=300)
    codes = household_codes(env)
    log(f"{len(codes)} household codes")
    return env, codes
