"""Schema migrations (O5): every revision upgrades, downgrades to nothing and upgrades again, on
the stack under test, and the upgraded schema is exactly what the models declare."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, production_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scratch_database(tmp_path):
    """A database of this test's own: a SQLite file, or a fresh PostgreSQL database."""
    if not production_stack():
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    import psycopg

    url = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    base, _, _ = url.rpartition("/")
    name = f"cwt_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"{base}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def flask(database_url: str, instance: Path, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi", "INSTANCE_PATH": str(instance),
           "DATA_ENCRYPTION_KEY": TEST_KEY, "SECRET_KEY": "migrations"}  # fmt: skip
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_upgrade_downgrade_upgrade_and_no_drift(scratch_database, tmp_path):
    flask(scratch_database, tmp_path, "db", "upgrade")
    flask(scratch_database, tmp_path, "db", "downgrade", "base")
    flask(scratch_database, tmp_path, "db", "upgrade")
    # Autogenerate against the upgraded database finds nothing the models declare differently.
    out = flask(scratch_database, tmp_path, "db", "check")
    assert "No new upgrade operations detected" in out
