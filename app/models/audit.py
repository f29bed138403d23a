"""Audit log (A3): append-only record of writes and of reads of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow
from app.models.points import BigId


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    # Indexed: household and person timelines look up the corrections made to one target.
    target: Mapped[str | None] = mapped_column(String(64), index=True)
    village_id: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_log_village_at", "village_id", "at"),)


class AuditSubject(db.Model):
    """Whom an audit row is about, one line per person or household: a list page's single read
    record names everyone it showed here, so "who looked at 刘建华?" is an indexed lookup."""

    __tablename__ = "audit_subjects"

    audit_id: Mapped[int] = mapped_column(BigId, ForeignKey("audit_log.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "villager" or "household"
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)

    __table_args__ = (Index("ix_audit_subjects_kind_subject", "kind", "subject_id"),)


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
@event.listens_for(AuditSubject, "before_update")
@event.listens_for(AuditSubject, "before_delete")
def _audit_is_append_only(_mapper, _connection, target: AuditLog | AuditSubject):
    """The audit trail is evidence: nothing rewrites or removes a row."""
    ident = target.id if isinstance(target, AuditLog) else target.audit_id
    raise PermissionError(f"audit row {ident} is append-only")
