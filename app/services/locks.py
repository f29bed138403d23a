"""Named locks held until the end of the current transaction, for check-then-write limits.

A limit checked by reading before writing (a rule's cap per household and period; later the
store's redemption limits and stock) is only a limit if two requests cannot both read "room for
one more" and both write. Call ``hold(...)`` with the name of what is limited *before* the read
that decides; a second transaction asking for the same name waits until the first commits or
rolls back, and then reads what it wrote::

    locks.hold("points-cap", rule.id, household.id)
    so_far = ...sum...          # now current: nobody else can be between this read and our insert

A transaction that needs several names takes them with ``hold_all`` (sorted), so two of them
never wait on each other in a cycle.

- PostgreSQL: ``pg_advisory_xact_lock`` on a 64-bit hash of the name. Nothing is stored; the
  lock goes with the transaction, also when a request fails half-way.
- SQLite: locks are per database, and Python's sqlite3 opens a transaction only at the first
  write, so reads before it see no lock at all. ``hold`` starts the transaction with ``BEGIN
  IMMEDIATE`` (the write lock) if it has not begun yet; other writers wait (busy timeout) until
  this one ends. A transaction that has already written holds that lock anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text

from app.extensions import db


def hold(*name: object) -> None:
    """Hold the lock called ``name`` (its parts joined) until this transaction ends."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(name)})
    elif dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def hold_all(names: Iterable[tuple]) -> None:
    """Hold several locks, always in the same order, so two holders cannot deadlock."""
    for name in sorted(set(names), key=_key):
        hold(*name)


def _key(name: tuple) -> int:
    """A signed 64-bit number for the name (what PostgreSQL's advisory locks take)."""
    digest = hashlib.blake2b(":".join(map(str, name)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
