"""Signed provenance: DSSE envelopes over a version's in-toto statement (see registry.service.signing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, utcnow


class Signature(Base):
    """One signer's DSSE envelope for one version; re-signing with the same key replaces it."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="RESTRICT"), index=True)
    key_id: Mapped[str] = mapped_column(String(80))
    # sha256 of the signed payload (the statement's canonical JSON).
    statement_sha256: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("version_id", "key_id"),)
