"""The audit log: ``record`` one write in one call; ``list_events`` for ``registry audit`` and ``GET /v1/audit``.

Every write path records here, in the same transaction as the write itself, so an event exists exactly when
the change does. Other features (e.g. benchmarks added later) call ``record(session, actor, ...)`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_serializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent
from registry.vocab import ADMIN


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a token's scope, id and name and the client's address; or the local operator."""

    scope: str = ADMIN
    token_id: int | None = None
    token_name: str | None = None
    client: str | None = None


# Whoever opens the catalog database directly (the CLI and SDK without a URL) can already change anything.
LOCAL_ACTOR = Actor(scope=ADMIN, token_name="local", client="local")


class AuditEventInfo(BaseModel):
    id: int
    at: datetime
    action: str
    target: str
    token_id: int | None = None
    token_name: str | None = None
    client: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @field_serializer("at")
    def _utc(self, value: datetime) -> str:
        from registry.entities import utc_iso

        return utc_iso(value)


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit event to the session's transaction (flushed with the change it describes)."""
    session.add(
        AuditEvent(
            action=action,
            target=target[:200],
            token_id=actor.token_id,
            token_name=actor.token_name,
            client=(actor.client or "")[:100] or None,
            before=before,
            after=after,
        )
    )
    session.flush()


def list_events(
    session: Session,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
    target: str | None = None,
) -> list[AuditEventInfo]:
    """The newest events first; ``before_id`` pages back, ``action`` and ``target`` filter (target: prefix)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if target:
        query = query.where(AuditEvent.target.startswith(target, autoescape=True))
    return [
        AuditEventInfo(
            id=r.id,
            at=r.at,
            action=r.action,
            target=r.target,
            token_id=r.token_id,
            token_name=r.token_name,
            client=r.client,
            before=r.before,
            after=r.after,
        )
        for r in session.scalars(query)
    ]
