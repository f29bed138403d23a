"""Append-only audit trail (A3). Callers add the row inside their own transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert

from app.extensions import db
from app.models import AuditLog


def record(actor: str, action: str, *, target: str | None = None, village_id: int | None = None, **detail):
    """Add an audit row to the current session; the caller's commit makes it durable."""
    db.session.add(AuditLog(actor=actor, action=action, target=target, village_id=village_id, detail=detail))


def record_many(rows: Sequence[dict]) -> None:
    """Several audit rows (``record``'s arguments as dicts, ``detail`` a dict) in one INSERT."""
    if rows:
        db.session.execute(insert(AuditLog), [{"detail": {}, "target": None, "village_id": None, **r} for r in rows])
