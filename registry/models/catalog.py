"""Model -> version -> build -> build file -> blob, and aliases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, utcnow
from registry.vocab import ACTIVE


class Model(Base):
    """A named family such as ``yolov8``, with its model card."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(64), index=True)
    domain: Mapped[str] = mapped_column(String(64), index=True)
    license: Mapped[str] = mapped_column(String(64), index=True)
    source_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    # "real" (upstream weights), "trained-here" (trained by us on bundled data) or "random".
    weights: Mapped[str] = mapped_column(String(20), default="real")
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[Version]] = relationship(back_populates="model", lazy="raise_on_sql")
    aliases: Mapped[list[Alias]] = relationship(back_populates="model", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("weights IN ('real', 'trained-here', 'random')", name="weights"),)


class ModelName(Base):
    """Another name a model answers to, such as the family name ``yolov8`` for ``yolov8n`` (its default member).

    A name is never also a model's slug; resolve, show and pull accept it wherever a slug is accepted."""

    __tablename__ = "model_names"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"), index=True)


class Version(Base):
    """An immutable release of a model. Its builds and bytes never change once published."""

    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"))
    version: Mapped[str] = mapped_column(String(64))
    major: Mapped[int]
    minor: Mapped[int]
    patch: Mapped[int]
    prerelease: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # sha256 over the sorted (precision, runtime, target, path, sha256, size) of every file: the identity
    # of the version's bytes. Publishing the same digest again is a no-op; a different one is refused.
    content_digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model: Mapped[Model] = relationship(back_populates="versions", lazy="raise_on_sql")
    builds: Mapped[list[Build]] = relationship(back_populates="version", lazy="raise_on_sql")

    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        CheckConstraint("status IN ('active', 'deprecated', 'yanked')", name="status"),
    )


class Alias(Base):
    """A movable name (``stable``) pointing at one version of a model."""

    __tablename__ = "aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    model: Mapped[Model] = relationship(back_populates="aliases", lazy="raise_on_sql")
    version: Mapped[Version] = relationship(lazy="raise_on_sql")

    __table_args__ = (UniqueConstraint("model_id", "name"),)


class Build(Base):
    """One optimized artifact set of a version for one (precision, runtime, target)."""

    __tablename__ = "builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="RESTRICT"))
    precision: Mapped[str] = mapped_column(String(16))
    runtime: Mapped[str] = mapped_column(String(32))
    # A chipset id for chipset-specific runtimes, "any" for portable ones.
    target: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What loads it (registry.compat): minimum runtime versions per axis and the facts behind them.
    requirements: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # Its inputs and outputs: name, shape and dtype of each tensor (per component).
    interface: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    mlflow_model_name: Mapped[str | None] = mapped_column(String(200))
    mlflow_model_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[Version] = relationship(back_populates="builds", lazy="raise_on_sql")
    files: Mapped[list[BuildFile]] = relationship(
        back_populates="build", lazy="raise_on_sql", order_by="BuildFile.path"
    )

    __table_args__ = (
        UniqueConstraint("version_id", "precision", "runtime", "target"),
        Index("ix_builds_lookup", "version_id", "precision", "target"),
    )


class Blob(Base):
    """The bytes of one file, addressed by sha256 and stored once."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("size >= 0", name="size_nonnegative"),)


class BuildFile(Base):
    """A file of a build: a relative path, optionally a component (``unet``), and its blob."""

    __tablename__ = "build_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(400))
    component: Mapped[str | None] = mapped_column(String(64))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256", ondelete="RESTRICT"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)

    build: Mapped[Build] = relationship(back_populates="files", lazy="raise_on_sql")

    __table_args__ = (UniqueConstraint("build_id", "path"),)
