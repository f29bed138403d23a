"""Pages that show personal data put their read on the record before they are sent (A3)."""

from __future__ import annotations

from flask import g

from app.services import audit_reads


def audited(page: str, action: str, *, villagers=(), households=(), target: str | None = None) -> str:
    """The rendered ``page``, once one audit row names everyone it shows (``audit_reads``).

    Rendered first, recorded second: the record's commit would otherwise expire the rows the
    template reads, and a page whose read could not be recorded is never sent."""
    audit_reads.record_read(g.account.actor, action, villagers=villagers, households=households, target=target)
    return page
