"""A user's own measurement of a build (``registry benchmark add``): a ``measured-device`` benchmark that names its
reporter, refused when absurd, and an anchor for the version's estimates (``registry.service.anchoring``)."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.devices import resolve_device
from registry.entities import BenchmarkReport, ReportedBenchmark
from registry.errors import BuildNotFound, ImplausibleMeasurement, InvalidInput
from registry.models import Benchmark, Build, Device, Version
from registry.service import audit, lookup
from registry.service.anchoring import current, reanchor_version
from registry.service.audit import LOCAL_ACTOR, Actor
from registry.service.convert import benchmark_info
from registry.vocab import ESTIMATED, MEASURED_DEVICE, PORTABLE_TARGET, normalize_precision, normalize_runtime

# A reported latency this many times the estimate (or this many times smaller) is refused unless forced.
ABSURD_FACTOR = 100.0


def _check_values(report: BenchmarkReport) -> None:
    if not math.isfinite(report.latency_ms) or report.latency_ms <= 0:
        raise InvalidInput(
            f"A latency must be a positive number of milliseconds, not {report.latency_ms}.",
            hint="Give --latency-ms as measured, e.g. --latency-ms 4.2.",
        )
    if report.memory_mb is not None and (not math.isfinite(report.memory_mb) or report.memory_mb <= 0):
        raise InvalidInput(f"Peak memory must be a positive number of MB, not {report.memory_mb}.")
    if not report.source.strip() or len(report.source) > 200:
        raise InvalidInput(
            "Say how the figure was measured in --source (1-200 characters).",
            hint="e.g. --source 'onnxruntime-qnn 1.22 on a Galaxy S24, 100 runs, median'.",
        )


def _build(session: Session, version: Version, chipset: str, precision: str, runtime: str) -> Build:
    builds = list(session.scalars(select(Build).where(Build.version_id == version.id)))
    match = [
        b
        for b in builds
        if b.precision == precision and b.runtime == runtime and b.target in (chipset, PORTABLE_TARGET)
    ]
    if not match:
        have = ", ".join(sorted({f"{b.precision}/{b.runtime}/{b.target}" for b in builds})) or "none"
        raise BuildNotFound(
            f"Version {version.version} has no {precision} {runtime} build for {chipset}.",
            hint=f"Its builds (precision/runtime/target): {have}.",
        )
    return sorted(match, key=lambda b: b.target == PORTABLE_TARGET)[0]  # a chipset-specific build first


def _estimate_ms(
    session: Session, version: Version, chipset: str, precision: str, runtime: str, comp: str | None
) -> float | None:
    """The estimator's own (unanchored) figure for this device, precision and runtime, from the graph features
    stored with the version's estimates (the same precision's first, else any)."""
    from registry.estimator.anchor import predict_log_latency

    rows = session.scalars(
        current(select(Benchmark))
        .join(Build, Build.id == Benchmark.build_id)
        .where(Build.version_id == version.id, Benchmark.provenance == ESTIMATED, Benchmark.component == comp)
        .order_by(Benchmark.id)
    ).all()
    ranked = sorted((r for r in rows if (r.details or {}).get("features")), key=lambda r: r.precision != precision)
    if not ranked:
        return None
    try:
        return math.exp(predict_log_latency(ranked[0].details["features"], chipset, precision, runtime))
    except InvalidInput:  # a runtime or precision the estimator does not model: nothing to compare with
        return None


def add_reported_benchmark(
    session: Session,
    model: str,
    version: str,
    report: BenchmarkReport,
    reporter: str,
    actor: Actor = LOCAL_ACTOR,
) -> ReportedBenchmark:
    """Record a user's measurement (``measured-device``, ``reported_by``) and re-anchor the version's estimates.
    Only flushes."""
    _check_values(report)
    model_row = lookup.get_model(session, model)
    version_row = lookup.get_version(session, model_row, version)
    chipset = resolve_device(session, report.device).chipset
    precision, runtime = normalize_precision(report.precision), normalize_runtime(report.runtime)
    build = _build(session, version_row, chipset, precision, runtime)
    estimate = _estimate_ms(session, version_row, chipset, precision, runtime, report.component)
    if estimate is not None and not report.force:
        ratio = report.latency_ms / estimate
        if ratio > ABSURD_FACTOR or ratio < 1 / ABSURD_FACTOR:
            raise ImplausibleMeasurement(
                f"{report.latency_ms:g} ms is {ratio:.3g}x the estimate ({estimate:.3g} ms) for {chipset}, "
                f"{precision}, {runtime}: refused as implausible.",
                hint="Check the unit (milliseconds) and the device; pass --force to record it anyway.",
            )
    row = Benchmark(
        model_id=model_row.id,
        build_id=build.id,
        device_chipset=chipset,
        precision=precision,
        runtime=runtime,
        component=report.component,
        provenance=MEASURED_DEVICE,
        source=report.source.strip(),
        latency_ms=report.latency_ms,
        peak_memory_mb=report.memory_mb,
        reported_by=reporter,
        compute_units={},
        details={
            "self_reported": True,
            "reported_by": reporter,
            "estimate_ms": round(estimate, 4) if estimate is not None else None,
            "forced": bool(report.force),
        },
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "benchmark.report",
        f"{model_row.slug}@{version_row.version}",
        after={
            "benchmark": row.id,
            "device": chipset,
            "precision": precision,
            "runtime": runtime,
            "latency_ms": report.latency_ms,
            "source": row.source,
            "forced": bool(report.force),
        },
    )
    anchored = reanchor_version(session, version_row)
    slugs = dict(session.execute(select(Device.chipset, Device.slug)).all())
    return ReportedBenchmark(
        benchmark=benchmark_info(row, slugs),
        estimate_ms=round(estimate, 4) if estimate is not None else None,
        anchored_estimates=anchored,
    )
