"""Anchored estimates in the catalog: every estimate of a version re-derived from the model's real figures.

Anchors are the version's ``measured-device`` benchmarks (AI Hub profiles, users' reports) and the model's
``published`` ones (``registry import-published``). ``reanchor_version`` writes a new ``estimated`` row for each
estimate whose anchored figure changed and marks the old row superseded (``superseded_at``, ``superseded_by``):
nothing is deleted. The arithmetic is ``registry.estimator.anchor``'s, on the graph features the estimator stores
with each estimate (``details.features``); an estimate written without them (before anchoring existed) is anchored
only by figures of its own precision and runtime, through its build's estimate on the anchor's chipset.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.estimator.anchor import ANCHOR_PROVENANCES, Anchor, Anchoring, anchor_estimate
from registry.models import Benchmark, Build, Version
from registry.vocab import ESTIMATED


def current(query: Any) -> Any:
    """Only benchmarks not superseded."""
    return query.where(Benchmark.superseded_at.is_(None))


def _usable(row: Benchmark, runtimes: Iterable[str], chipsets: set[str]) -> bool:
    from registry.errors import InvalidInput
    from registry.estimator.model import precision_class

    if row.device_chipset not in chipsets or row.runtime not in runtimes or not row.latency_ms or row.latency_ms <= 0:
        return False
    try:
        precision_class(row.precision)
    except InvalidInput:
        return False
    return True


def version_anchors(session: Session, version: Version) -> list[Anchor]:
    """The real figures that anchor a version's estimates: its builds' device measurements and the model's
    published figures (they describe the same model, whichever version)."""
    from registry.devices import load_device_specs
    from registry.estimator.predict import load_params

    build_ids = select(Build.id).where(Build.version_id == version.id)
    rows = session.scalars(
        current(select(Benchmark))
        .where(
            Benchmark.provenance.in_(ANCHOR_PROVENANCES),
            or_(
                Benchmark.build_id.in_(build_ids),
                (Benchmark.build_id.is_(None)) & (Benchmark.model_id == version.model_id),
            ),
        )
        .order_by(Benchmark.id)
    )
    runtimes = set(load_params()["runtime"])
    chipsets = {s.chipset for s in load_device_specs()}
    return [
        Anchor(
            chipset=str(r.device_chipset),
            precision=r.precision,
            runtime=r.runtime,
            component=r.component,
            latency_ms=float(r.latency_ms or 0),
            provenance=r.provenance,
            source=r.source,
            benchmark_id=r.id,
            reported_by=r.reported_by,
        )
        for r in rows
        if _usable(r, runtimes, chipsets)
    ]


def _unchanged(row: Benchmark, anchoring: Anchoring) -> bool:
    was = (row.details or {}).get("anchored")
    if not was:
        return False
    ids = sorted(a.get("benchmark_id") or 0 for a in was.get("anchors", []))
    return ids == sorted(a.benchmark_id or 0 for a in anchoring.anchors) and row.latency_ms == anchoring.latency_ms


def _anchored_row(row: Benchmark, anchoring: Anchoring, estimator_version: str) -> Benchmark:
    details = dict(row.details or {})
    details["estimator_version"] = estimator_version
    details["anchored"] = anchoring.to_json()
    details["supersedes"] = row.id
    return Benchmark(
        model_id=row.model_id,
        build_id=row.build_id,
        device_chipset=row.device_chipset,
        precision=row.precision,
        runtime=row.runtime,
        component=row.component,
        provenance=ESTIMATED,
        source=anchoring.source(estimator_version),
        latency_ms=anchoring.latency_ms,
        latency_p90_ms=None,
        peak_memory_mb=row.peak_memory_mb,
        error_pct=anchoring.error_pct,
        compute_units=dict(row.compute_units or {}),
        details=details,
    )


def reanchor_version(session: Session, version: Version) -> int:
    """Re-derive every current estimate of a version from its anchors; returns how many were superseded.
    A second call with the same anchors changes nothing. Only flushes."""
    from registry.estimator.predict import estimator_version

    session.flush()  # rows just added (a publish's measurements) must be seen by the queries below
    anchors = version_anchors(session, version)
    if not anchors:
        return 0
    estimates = session.scalars(
        current(select(Benchmark))
        .join(Build, Build.id == Benchmark.build_id)
        .where(Build.version_id == version.id, Benchmark.provenance == ESTIMATED)
        .order_by(Benchmark.id)
    ).all()
    est_version = estimator_version()
    now = datetime.now(UTC)
    changed = 0
    unanchored = {(r.build_id, r.component, r.device_chipset): _unanchored(r) for r in estimates}
    for row in estimates:
        x = (row.details or {}).get("features")
        if row.device_chipset is None:
            continue
        if x:
            anchoring = anchor_estimate(
                x,
                row.device_chipset,
                row.precision,
                row.runtime,
                row.component,
                anchors,
                calibrated=bool((row.details or {}).get("calibrated_device", True)),
            )
        else:
            anchoring = _same_build_anchoring(row, unanchored, anchors)
        if anchoring is None or _unchanged(row, anchoring):
            continue
        new = _anchored_row(row, anchoring, est_version)
        session.add(new)
        session.flush()
        row.superseded_at = now
        row.superseded_by = new.id
        changed += 1
    session.flush()
    return changed


def _unanchored(row: Benchmark) -> float:
    was = (row.details or {}).get("anchored") or {}
    return float(was.get("unanchored_latency_ms") or row.latency_ms or 0.0)


def _same_build_anchoring(
    row: Benchmark, unanchored: dict[tuple[int | None, str | None, str | None], float], anchors: list[Anchor]
) -> Anchoring | None:
    """An estimate written without graph features (before anchoring existed): only anchors of its own precision and
    runtime apply, each through the same build's unanchored estimate on the anchor's chipset (same graph, so the
    residual is the anchor over that estimate)."""
    import math
    import statistics

    from registry.estimator.anchor import choose_anchors, level_error_pct, mirrored_chipset

    same = [a for a in anchors if (a.precision, a.runtime, a.component) == (row.precision, row.runtime, row.component)]
    usable = [a for a in same if unanchored.get((row.build_id, row.component, mirrored_chipset(a.chipset)), 0) > 0]
    level, chosen = choose_anchors(usable, str(row.device_chipset), row.precision, row.runtime)
    base = _unanchored(row)
    if level != "same" or base <= 0:
        return None
    shifts = [
        math.log(a.latency_ms / unanchored[(row.build_id, row.component, mirrored_chipset(a.chipset))]) for a in chosen
    ]
    shift = statistics.median(shifts)
    band = level_error_pct("same", len({mirrored_chipset(a.chipset) for a in chosen}))
    if not (row.details or {}).get("calibrated_device", True):
        band = row.error_pct  # anchoring corrects the model's term, not an uncalibrated device's
    return Anchoring(
        latency_ms=round(base * math.exp(shift), 4),
        unanchored_latency_ms=base,
        level="same",
        error_pct=band if band is not None else float(row.error_pct or 0.0),
        log_shift=shift,
        anchors=tuple(chosen),
    )


def reanchor_model(session: Session, model_id: int) -> int:
    """``reanchor_version`` for every version of a model (a published figure anchors them all)."""
    versions = session.scalars(select(Version).where(Version.model_id == model_id).order_by(Version.id)).all()
    return sum(reanchor_version(session, v) for v in versions)


def benchmark_history(session: Session, build_id: int, *, include_superseded: bool = True) -> list[Any]:
    """A build's benchmarks, superseded estimates included (each names the row that replaced it)."""
    from registry.errors import BuildNotFound
    from registry.models import Device
    from registry.service.convert import benchmark_info

    if session.get(Build, build_id) is None:
        raise BuildNotFound(f"No build with id {build_id}.")
    query = select(Benchmark).where(Benchmark.build_id == build_id)
    if not include_superseded:
        query = current(query)
    slugs = dict(session.execute(select(Device.chipset, Device.slug)).all())
    return [benchmark_info(b, slugs) for b in session.scalars(query.order_by(Benchmark.id))]
