"""A real gunicorn started from the project root as ``make run`` starts it (it reads
./gunicorn.conf.py itself), on the embedded default in a folder of the test's own."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(instance: Path, *flags: str) -> Iterator[str]:
    """Serve ``wsgi:app`` with one worker; yields its base URL once /livez answers.

    --no-control-socket: gunicorn's default one in ~/.gunicorn would clash with another gunicorn
    on this machine (bench/server.py says the same)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "APP_ENV")}
    env["INSTANCE_PATH"] = str(instance)
    cmd = [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket", *flags, "wsgi:app"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # the app's import takes a few seconds on a busy machine
            try:
                requests.get(base + "/livez", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
