"""Real Celery worker and beat processes, on the production stack only.

They build their own Flask app from the environment (tasks/worker.py), exactly as in
production: same PostgreSQL and Redis as the tests, the test secrets, the sandbox on the live
test server, and a queue of this test session's own, so tasks left over from other runs (or from
other sessions sharing the Redis database) never reach it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, production_stack
from tests.push_helpers import Sandbox

ROOT = Path(__file__).resolve().parents[2]
# ``celery`` as ``python -m celery`` would start it, on the suite's clock when TEST_CLOCK is set.
_CELERY_ON_TEST_CLOCK = "from tests.timetravel import start_from_env; start_from_env(); from celery.__main__ import main; main()"
VISIBILITY_TIMEOUT = 5  # seconds before a dead worker's unacknowledged task is handed out again
READY_WITHIN = 60

needs_worker = pytest.mark.skipif(
    not production_stack(),
    reason="a real Celery worker needs the production stack (PostgreSQL + Redis); "
    "the embedded stack runs tasks in-process, covered by test_inline.py",
)


class CeleryProcess:
    """A ``celery -A tasks.worker …`` subprocess in its own process group, logging to a file."""

    READY = ""  # the log line that says it is up

    def __init__(self, env: dict, name: str):
        self.env, self.name = env, name
        self.log = Path(tempfile.mkstemp(prefix=f"celery-{name}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self):
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _CELERY_ON_TEST_CLOCK, "-A", "tasks.worker", *self.command()],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + READY_WITHIN
        while self.READY not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"celery {self.name} did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool child) at once: no goodbyes."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown, then SIGKILL if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class Worker(CeleryProcess):
    """``celery -A tasks.worker worker`` reading only this session's queue."""

    READY = " ready."

    def __init__(self, env: dict, queue: str, name: str):
        super().__init__(env, name)
        self.queue = queue

    def command(self) -> list[str]:
        return [
            "worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "-Q", self.queue,
            "-n", f"{self.name}@%h", "--without-mingle", "--without-gossip",
        ]  # fmt: skip


class Beat(CeleryProcess):
    """``celery -A tasks.worker beat``: sends tasks/schedule.py's jobs to this session's queue
    (``CELERY_TASK_DEFAULT_QUEUE`` in its environment), keeping its state under ``directory``."""

    READY = "beat: Starting..."

    def __init__(self, env: dict, directory: Path):
        super().__init__(env, "beat")
        self.schedule_file = directory / "celerybeat-schedule"

    def command(self) -> list[str]:
        return ["beat", "--loglevel=INFO", "--schedule", str(self.schedule_file)]

    def sent(self) -> list[str]:
        """The schedule entries beat has sent so far, in order, one per sending."""
        return re.findall(r"Scheduler: Sending due task (\S+) \(", self.output())


@pytest.fixture(scope="session")
def celery_queue(app):
    """This session's own queue: the test app sends there, the workers read only there."""
    celery = app.extensions["celery"]
    saved = celery.conf.task_default_queue
    queue = f"cwt-test-{uuid.uuid4().hex[:12]}"
    celery.conf.task_default_queue = queue
    yield queue
    celery.conf.task_default_queue = saved
    if production_stack():
        with celery.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


@pytest.fixture(scope="session")
def worker_env(app, live_server, celery_queue) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "MP_", "APP_ENV"))}
    env.update(
        DATABASE_URL=os.environ["TEST_DATABASE_URL"],
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        SECRET_KEY="test-secret",
        DATA_ENCRYPTION_KEY=TEST_KEY,
        INSTANCE_PATH=os.environ["INSTANCE_PATH"],
        # Sandbox mode: the worker's WeChat client calls PUBLIC_BASE_URL/sandbox, the live server.
        PUBLIC_BASE_URL=live_server,
        CELERY_TASK_DEFAULT_QUEUE=celery_queue,
        # The session's Redis keys, so workers read the marks and sets this test process wrote.
        CACHE_KEY_PREFIX=app.config["CACHE_KEY_PREFIX"],
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        PUSH_RETRY_BASE_SECONDS="0.2",
        # Beat (tests/tasks/test_beat.py) writes contacts every second, not every half minute.
        CONTACTS_FLUSH_SECONDS="1",
        WECHAT_HTTP_TIMEOUT="15",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def start_worker(worker_env, celery_queue, request):
    """Start workers on demand; every one started is stopped when the test ends."""
    started: list[Worker] = []

    def start(name: str = "w") -> Worker:
        worker = Worker(worker_env, celery_queue, f"cwt-{name}-{uuid.uuid4().hex[:6]}").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    failed = getattr(request.node, "rep_call", None)
    for worker in started:
        if failed is not None and failed.failed:
            print(f"--- {worker.name} log ---\n{worker.output()[-4000:]}")
        worker.log.unlink(missing_ok=True)


@pytest.fixture
def start_beat(worker_env, tmp_path, request):
    """Start beat (at most one: it is the only scheduler); it is stopped when the test ends."""
    started: list[Beat] = []

    def start() -> Beat:
        assert not started, "beat runs once per deployment, and once per test"
        started.append(Beat(worker_env, tmp_path).start())
        return started[0]

    yield start
    for beat in started:
        beat.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- beat log ---\n{beat.output()[-4000:]}")
        beat.log.unlink(missing_ok=True)


@pytest.fixture
def sandbox(live_server, db, app, celery_queue) -> Sandbox:
    """A fresh sandbox and an empty session queue."""
    box = Sandbox(live_server)
    box.reset()
    if production_stack():
        with app.extensions["celery"].connection_for_write() as conn:
            conn.default_channel.queue_purge(celery_queue)
    return box


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
