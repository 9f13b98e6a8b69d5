"""The audit log: one row per write, with who (token id and name, client address), when, and before/after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # publish, blob.upload, alias.set, alias.delete, version.deprecate/yank/restore, token.create/revoke, ...
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)  # model@version, model:alias, blob sha256, token id
    token_id: Mapped[int | None]  # None: a local (in-process) write, or an anonymous one
    token_name: Mapped[str | None] = mapped_column(String(100))
    client: Mapped[str | None] = mapped_column(String(100))  # the client's address, or "local"
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
