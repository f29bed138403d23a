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


def _engine(database_url: str):
    from sqlalchemy import create_engine

    return create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))


def test_old_history_is_rewritten_to_the_new_mask_and_birth_months(scratch_database, tmp_path):
    """Rows written under the old 6+4 mask with full birth dates come out of the upgrade holding
    only what the new mask and year-month show; everything else in them is left as it was."""
    from datetime import UTC, date, datetime

    from sqlalchemy import JSON, column, insert, select, table

    flask(scratch_database, tmp_path, "db", "upgrade", "0def943a4e33")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    regions = table("regions", *(column(c) for c in ("id", "level", "name", "path", "created_at", "updated_at")))
    events = table("register_events", column("id"), column("village_id"), column("kind"), column("occurred_on"),
                   column("before", JSON), column("after", JSON), column("recorded_by"), column("recorded_at"))  # fmt: skip
    audit = table("audit_log", column("id"), column("at"), column("actor"), column("action"), column("detail", JSON))
    old_head = {"id": 7, "name": "刘建华", "id_number": "430923********7078", "birth_date": "1958-03-20",
                "phone": "138****1234", "status": "current"}  # fmt: skip
    # Born the month before the row was written: its month and the row's date would narrow the day.
    baby = {"id": 8, "name": "张宝宝", "id_number": "430923********0015", "birth_date": "2026-02-20"}
    engine = _engine(scratch_database)
    with engine.begin() as conn:
        conn.execute(insert(regions).values(id=1, level="village", name="大苍村", path="/1/", created_at=now, updated_at=now))
        conn.execute(insert(events).values(
            id=1, village_id=1, kind="register", occurred_on=date(2026, 3, 1), before={}, recorded_by="测试",
            after={"household": {"id": 3, "number": "0101"}, "people": [old_head, baby]}, recorded_at=now))  # fmt: skip
        conn.execute(insert(events).values(
            id=2, village_id=1, kind="move_out", occurred_on=date(2026, 3, 2), recorded_by="测试", recorded_at=now,
            before={"people": {"7": old_head}}, after={"people": {"7": {**old_head, "status": "moved_out"}}}))  # fmt: skip
        conn.execute(insert(audit).values(id=1, at=now, actor="测试", action="register.villager_edit", detail={
            "before": {"id_number": "430923********7078", "birth_date": "1958-03-20"},
            "after": {"id_number": "430923********7078（已更换）", "birth_date": "1958-04-02"}}))  # fmt: skip
        conn.execute(insert(audit).values(id=2, at=now, actor="测试", action="login", detail={"ip": "10.0.0.1"}))
    flask(scratch_database, tmp_path, "db", "upgrade")
    with engine.connect() as conn:
        stored = {r.id: (r.before, r.after) for r in conn.execute(select(events))}
        details = {r.id: r.detail for r in conn.execute(select(audit))}
    engine.dispose()
    new_head = {**old_head, "id_number": "430923***********8", "birth_date": "1958-03"}
    new_baby = {**baby, "id_number": "430923***********5", "birth_date": None}
    assert stored[1] == ({}, {"household": {"id": 3, "number": "0101"}, "people": [new_head, new_baby]})
    assert stored[2] == ({"people": {"7": new_head}}, {"people": {"7": {**new_head, "status": "moved_out"}}})
    assert details[1] == {"before": {"id_number": "430923***********8", "birth_date": "1958-03"},
                          "after": {"id_number": "430923***********8（已更换）", "birth_date": "1958-04"}}  # fmt: skip
    assert details[2] == {"ip": "10.0.0.1"}
    everything = str(stored) + str(details)
    assert "7078" not in everything and "1958-03-20" not in everything and "2026-02" not in everything
