"""Serializing concurrent writers of one model, so racing publishes, alias moves and lifecycle changes are
idempotent instead of failing on a unique constraint.

PostgreSQL: a transaction-scoped advisory lock per model slug. SQLite: the database's write lock, taken now
(SQLite has one writer at a time; taking it up front means the checks that follow see every committed write).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_model(session: Session, slug: str) -> None:
    """Hold the write lock for ``slug`` until the session's transaction ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"model:{slug}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif dialect == "sqlite":
        # A write that changes nothing still begins the write transaction (waits up to the busy timeout).
        session.execute(text("UPDATE models SET slug = slug WHERE id = -1"))
