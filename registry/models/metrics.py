"""Benchmarks and evaluations. Every row says where its figure came from (``provenance``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, utcnow

_PROVENANCE_CHECK = "provenance IN ('measured-device', 'measured-host', 'estimated', 'published')"


class Benchmark(Base):
    """Latency / memory / compute units of a build on a device.

    ``build_id`` is empty only for ``published`` figures, which describe a third party's build of the same
    model; ``device_chipset`` is empty only for ``measured-host`` figures, whose machine is in ``source``.
    """

    __tablename__ = "benchmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"), index=True)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="RESTRICT"), index=True)
    device_chipset: Mapped[str | None] = mapped_column(ForeignKey("devices.chipset", ondelete="RESTRICT"))
    precision: Mapped[str] = mapped_column(String(16))
    runtime: Mapped[str] = mapped_column(String(32))
    component: Mapped[str | None] = mapped_column(String(64))
    provenance: Mapped[str] = mapped_column(String(20))
    # measured-device: the job id; measured-host: the host CPU; estimated: estimator name@version;
    # published: the source release.
    source: Mapped[str] = mapped_column(String(300))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    latency_p90_ms: Mapped[float | None] = mapped_column(Float)
    peak_memory_mb: Mapped[float | None] = mapped_column(Float)
    error_pct: Mapped[float | None] = mapped_column(Float)
    compute_units: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An estimate re-derived later (e.g. anchored on a measurement) is superseded, never deleted: the newer row's
    # id and when. Only rows without ``superseded_at`` are current.
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("benchmarks.id", ondelete="RESTRICT"), default=None)
    # A user's own measurement (``registry benchmark add``): the reporter (API token name, or "local").
    reported_by: Mapped[str | None] = mapped_column(String(100), default=None)

    __table_args__ = (
        CheckConstraint(_PROVENANCE_CHECK, name="provenance"),
        CheckConstraint("build_id IS NOT NULL OR provenance = 'published'", name="build_unless_published"),
        Index("ix_benchmarks_device_latency", "device_chipset", "latency_ms"),
    )


class Evaluation(Base):
    """An accuracy or fidelity figure of a build on a dataset, with its FP32 reference."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"), index=True)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="RESTRICT"), index=True)
    device_chipset: Mapped[str | None] = mapped_column(ForeignKey("devices.chipset", ondelete="RESTRICT"))
    precision: Mapped[str] = mapped_column(String(16))
    runtime: Mapped[str] = mapped_column(String(32))
    component: Mapped[str | None] = mapped_column(String(64))
    provenance: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300))
    dataset: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    # "accuracy" (a task metric) or "fidelity" (agreement with the FP32 outputs).
    kind: Mapped[str] = mapped_column(String(16), default="accuracy")
    value: Mapped[float] = mapped_column(Float)
    reference_value: Mapped[float | None] = mapped_column(Float)
    sample_count: Mapped[int] = mapped_column(Integer)
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    # The value's scale (registry.vocab.EVALUATION_UNITS): fraction, percent, cosine, dB or score.
    unit: Mapped[str] = mapped_column(String(16), default="score", server_default="score")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(_PROVENANCE_CHECK, name="provenance"),
        CheckConstraint("kind IN ('accuracy', 'fidelity')", name="kind"),
        CheckConstraint("unit IN ('fraction', 'percent', 'cosine', 'dB', 'score')", name="unit"),
        CheckConstraint("build_id IS NOT NULL OR provenance = 'published'", name="build_unless_published"),
    )
