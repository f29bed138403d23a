"""history keeps no more than the mask: rewrite stored ID masks and birth dates

Revision ID: c41d0e9a7b12
Revises: 0def943a4e33
Create Date: 2026-12-02 01:40:00

The ID mask used to keep the last four characters (``430923********7078``); with the birth date
beside it that gave the whole number back. It now keeps the region and the check character only
(``430923***********8``), and history keeps the birth date as year and month. Rows written before
hold the old mask and full dates in register_events.before/after, audit_log.detail and
notifications.data: this rewrites them, the old mask into the new one (derived from it: the
first six and the last character) and every ``birth_date`` to YYYY-MM, or to nothing for a baby
born in the month the row was written or the month before (with the row's date the month would
narrow the day, as ``app.privacy.birth_month`` says). A full 18-character ID number found
anywhere in those documents (there should be none) is masked too.

There is no way back: the hidden digits are gone on purpose, so downgrade leaves the rows as they
are (the older code reads them: they are still strings and dates of the same shape).

The audit log is append-only for the application (an ORM hook refuses updates); this revision
writes through plain SQL on purpose, because a record of who did what must not keep the numbers.
"""
import re
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c41d0e9a7b12"
down_revision = "0def943a4e33"
branch_labels = None
depends_on = None

_OLD_MASK = re.compile(r"(?<![0-9])([0-9]{6})\*{8}[0-9]{3}([0-9Xx])(?![0-9])")
_FULL_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{11}([0-9Xx])(?![0-9])")
_BIRTH = re.compile(r"^([0-9]{4})-([0-9]{2})(-[0-9]{2})?")
# table, JSON columns, the column saying when the row was written
_DOCUMENTS = (
    ("register_events", ("before", "after"), "recorded_at"),
    ("audit_log", ("detail",), "at"),
    ("notifications", ("data",), "created_at"),
)
_BATCH = 500


def _is_id_number(number: str) -> bool:
    """GB 11643 check character, so that other long numbers in a document are left alone."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(number[:17]))
    return "10X98765432"[total % 11] == number[17].upper()


def _masked(m: re.Match) -> str:
    return m.group(1) + "*" * 11 + m.group(2).upper()


def _text(value: str) -> str:
    value = _OLD_MASK.sub(_masked, value)
    return _FULL_ID.sub(lambda m: _masked(m) if _is_id_number(m.group()) else m.group(), value)


def _birth(value: str, written: date | None) -> str | None:
    found = _BIRTH.match(value)
    if not found:
        return value
    year, month = int(found.group(1)), int(found.group(2))
    if written is not None and (written.year * 12 + written.month) - (year * 12 + month) < 2:
        return None
    return value[: found.start(3)] + value[found.end(3) :] if found.group(3) else value


def _clean(value, written: date | None, key: str = ""):
    """The same document with masks narrowed and birth dates cut to the month."""
    if isinstance(value, dict):
        return {k: _clean(v, written, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, written, key) for v in value]
    if isinstance(value, str):
        if key.endswith("birth_date"):
            value = _birth(value, written)
            if value is None:
                return None
        return _text(value)
    return value


def _day(value) -> date | None:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else None


def upgrade():
    bind = op.get_bind()
    for name, columns, written_at in _DOCUMENTS:
        table = sa.table(name, sa.column("id", sa.BigInteger), sa.column(written_at),
                         *(sa.column(c, sa.JSON) for c in columns))  # fmt: skip
        last = 0
        while True:
            rows = bind.execute(
                sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                written, changed = _day(getattr(row, written_at)), {}
                for column in columns:
                    value = getattr(row, column)
                    cleaned = _clean(value, written)
                    if cleaned != value:
                        changed[column] = cleaned
                if changed:
                    bind.execute(table.update().where(table.c.id == row.id).values(**changed))
            last = rows[-1].id


def downgrade():
    pass  # the hidden digits and days are gone on purpose; the rewritten rows suit the old code too
