"""Back-office sessions kept in the database (A1).

Flask's session is a signed cookie: signing stops forgery, but a copy of the cookie stays valid
for as long as its contents say so, and anyone holding it can read it. So the cookie carries only
a random session id; the row behind it is what makes the session live. Logging out deletes the
row, and a cookie saved before that is refused afterwards. The database (not Redis) holds the
rows so the embedded SQLite install behaves exactly like PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Account, AdminSession
from app.services import clock

IDLE = timedelta(minutes=30)
_TOUCH_EVERY = timedelta(minutes=1)  # seen_at is kept to the minute: no write on every request
# The cookie's own clock enforces IDLE to the second; the row, a minute coarser, never ends a
# session earlier than that.
_STALE = IDLE + _TOUCH_EVERY


def start(account: Account) -> str:
    """A new session for ``account``; sweeps every session idle past ``IDLE`` (one DELETE)."""
    now = clock.now()
    db.session.execute(delete(AdminSession).where(AdminSession.seen_at < now - _STALE))
    sid = secrets.token_urlsafe(32)
    db.session.add(AdminSession(id=sid, account_id=account.id, created_at=now, seen_at=now))
    db.session.commit()
    return sid


def live(sid: str | None, account_id: int) -> tuple[Account, AdminSession] | None:
    """The account and its session if ``sid`` is a live session of ``account_id`` (one query),
    its last activity refreshed; ``None`` when it was ended, swept or idle too long."""
    if not sid or not isinstance(sid, str):
        return None
    found = db.session.execute(
        select(Account, AdminSession)
        .join(AdminSession, AdminSession.account_id == Account.id)
        .where(AdminSession.id == sid, Account.id == account_id)
    ).first()
    if found is None:
        return None
    account, row = found
    now = clock.now()
    seen = row.seen_at if row.seen_at.tzinfo else row.seen_at.replace(tzinfo=now.tzinfo)  # SQLite: naive UTC
    if now - seen > _STALE:
        return None
    if now - seen > _TOUCH_EVERY:
        row.seen_at = now
        db.session.commit()
    return account, row


def end(sid: str | None) -> None:
    """Forget the session: its cookie, wherever a copy of it is, no longer signs anyone in."""
    if sid and isinstance(sid, str):
        db.session.execute(delete(AdminSession).where(AdminSession.id == sid))
        db.session.commit()


def hold_totp_secret(row: AdminSession, secret: str | None) -> None:
    """Keep (or drop) the TOTP secret being enrolled on the server, encrypted at rest."""
    row.pending_totp = secret
    db.session.commit()
