"""Numbered pages over one table (newest-first lists: ledger history, the inbox)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db


def page_of(model, where: tuple, order_by: tuple, page: int, size: int) -> tuple[list, int, int, int]:
    """``(rows, page, pages, total)``; the page number is clamped into range, never an error."""
    total = db.session.scalar(select(func.count()).select_from(model).where(*where))
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        select(model).where(*where).order_by(*order_by).offset((page - 1) * size).limit(size)
    ).all()
    return list(rows), page, pages, total
