"""Anchored estimates in the catalog (SQLite and PostgreSQL): a user's report, a device measurement published with
the builds, and Qualcomm's published figures each re-derive the version's estimates on every device; the old
estimates are superseded, not deleted; absurd reports are refused."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.embedded import EmbeddedCatalog
from registry.entities import BenchmarkReport
from registry.errors import BuildNotFound, ImplausibleMeasurement, InvalidInput
from registry.estimator.anchor import level_cap, level_shrink
from registry.estimator.graphcost import analyze_onnx
from registry.estimator.predict import benchmarks_from_summaries, estimator_version
from registry.models import Benchmark
from registry.service.anchoring import benchmark_history, reanchor_version
from registry.service.catalog import show_model
from registry.service.lookup import get_model, get_version
from registry.service.publish import publish_directory
from registry.service.published import import_published
from registry.service.reports import add_reported_benchmark
from tests.estimator.test_estimate import small_onnx  # noqa: F401  (fixture)
from tests.helpers import write_publish_dir

SD8G3 = "qualcomm-snapdragon-8gen3"
N_DEVICES = 29


def _publish(
    catalog: EmbeddedCatalog, root: Path, onnx: Path, slug: str = "mobilenet-v2", extra: Any = (), features: bool = True
) -> None:
    summary = analyze_onnx(onnx).summary()
    builds = []
    for precision in ("float", "w8a8"):
        benchmarks = benchmarks_from_summaries({None: summary}, precision)
        for b in benchmarks if not features else []:  # as the estimator wrote them before anchoring existed
            del b["details"]["features"]
        if precision == "float":
            benchmarks += list(extra)
        builds.append({"precision": precision, "runtime": "onnx", "benchmarks": benchmarks})
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(root, slug=slug, builds=builds))


def _current(catalog: EmbeddedCatalog, slug: str = "mobilenet-v2") -> dict[str, list[Any]]:
    with catalog.session() as s:
        detail = show_model(s, slug)
    return {b.precision: b.benchmarks for b in detail.builds}


def _report(latency: float, **kw: Any) -> BenchmarkReport:
    args: dict[str, Any] = dict(
        device="Samsung Galaxy S24", precision="fp32", runtime="onnx", latency_ms=latency, source="my app, 50 runs"
    )
    return BenchmarkReport(**(args | kw))


def test_a_users_report_anchors_every_estimate_and_supersedes_the_old(
    catalog: EmbeddedCatalog,
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    _publish(catalog, tmp_path / "pub", small_onnx)
    before = _current(catalog)
    assert len(before["float"]) == N_DEVICES and not any(b.anchored_on for b in before["float"])
    plain = {(p, b.device): b.latency_ms for p, bs in before.items() for b in bs}
    measured = 2.5 * plain[("float", SD8G3)]
    with catalog.session() as s:
        out = add_reported_benchmark(s, "mobilenet-v2", "1.0.0", _report(measured), reporter="alice")
    assert out.benchmark.provenance == "measured-device" and out.benchmark.reported_by == "alice"
    assert out.benchmark.details["self_reported"] is True
    assert out.anchored_estimates == 2 * N_DEVICES  # float: same precision and runtime; w8a8: same runtime
    after = _current(catalog)
    version = estimator_version()
    for precision, level in (("float", "same"), ("w8a8", "runtime")):
        estimates = [b for b in after[precision] if b.provenance == "estimated"]
        assert len(estimates) == N_DEVICES
        for b in estimates:
            assert b.anchor_level == level and "reported by alice: my app, 50 runs" in (b.anchored_on or "")
            assert b.source.startswith(f"estimator {version} anchored on reported by alice")
            # across precision the residual carries in part (validated factor), up to the validated cap
            k, cap = level_shrink(level, 1), level_cap(level, 1)
            shift = min(k * math.log(2.5), cap if cap is not None else math.inf)
            assert b.latency_ms == pytest.approx(math.exp(shift) * plain[(precision, b.device)], rel=1e-2)  # rounding
            assert b.details["anchored"]["shrink"] == k and b.details["anchored"]["cap"] == cap
            assert b.details["anchored"]["unanchored_latency_ms"] == pytest.approx(plain[(precision, b.device)])
    s24 = next(b for b in after["float"] if b.provenance == "estimated" and b.device == SD8G3)
    assert s24.latency_ms == pytest.approx(measured, rel=1e-3)
    # superseded, not deleted: the old rows are kept and name their successor
    with catalog.session() as s:
        total = s.scalar(select(func.count()).select_from(Benchmark).where(Benchmark.provenance == "estimated"))
        assert total == 4 * N_DEVICES
        history = benchmark_history(s, s24.build_id or 0)
        old = next(b for b in history if b.superseded_by == s24.id)
        assert old.latency_ms == pytest.approx(plain[("float", SD8G3)]) and old.anchored_on is None
        # the same anchors again change nothing
        assert reanchor_version(s, get_version(s, get_model(s, "mobilenet-v2"), "1.0.0")) == 0


def test_absurd_or_unmatched_reports_are_refused_and_store_nothing(
    catalog: EmbeddedCatalog,
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    _publish(catalog, tmp_path / "pub", small_onnx)
    estimate = next(b.latency_ms for b in _current(catalog)["float"] if b.device == SD8G3) or 0.0

    def count() -> int:
        with catalog.session() as s:
            return int(s.scalar(select(func.count()).select_from(Benchmark)) or 0)

    n = count()
    for bad, error in (
        (_report(150 * estimate), ImplausibleMeasurement),
        (_report(estimate / 150), ImplausibleMeasurement),
        (_report(0.0), InvalidInput),
        (_report(-3.0, force=True), InvalidInput),
        (_report(1.0, runtime="tflite"), BuildNotFound),
        (_report(1.0, source=" "), InvalidInput),
    ):
        with pytest.raises(error) as caught, catalog.session() as s:
            add_reported_benchmark(s, "mobilenet-v2", "1.0.0", bad, reporter="bob")
        assert caught.value.hint
    assert count() == n
    with catalog.session() as s:
        forced = add_reported_benchmark(s, "mobilenet-v2", "1.0.0", _report(150 * estimate, force=True), "bob")
    assert forced.benchmark.details["forced"] is True and count() == n + 1 + 2 * N_DEVICES


def test_a_device_measurement_published_with_the_builds_anchors_them(
    catalog: EmbeddedCatalog,
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    profile = {
        "device": "sd8g3",
        "provenance": "measured-device",
        "source": "Qualcomm AI Hub profile (inference job jp4k2)",
        "latency_ms": 0.9,
        "details": {"job_id": "jp4k2"},
    }
    _publish(catalog, tmp_path / "pub", small_onnx, slug="hub-model", extra=[profile])
    current = _current(catalog, "hub-model")
    estimates = [b for bs in current.values() for b in bs if b.provenance == "estimated"]
    assert len(estimates) == 2 * N_DEVICES
    assert [b for b in estimates if "inference job jp4k2" not in (b.anchored_on or "")] == []
    s24 = next(b for b in current["float"] if b.provenance == "estimated" and b.device == SD8G3)
    assert s24.latency_ms == pytest.approx(0.9, rel=1e-3)


def test_import_published_anchors_the_zoo_model_it_maps_to(
    catalog: EmbeddedCatalog,
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    from registry.estimator.fit import _default_perf

    _publish(catalog, tmp_path / "pub", small_onnx)
    with catalog.session() as s:
        report = import_published(s, _default_perf())
    assert report.anchored_estimates == 2 * N_DEVICES
    current = _current(catalog)
    float_estimates = [b for b in current["float"] if b.provenance == "estimated"]
    assert all(b.anchor_level == "same" for b in float_estimates)
    assert all("quic/ai-hub-models v0.46.1 job" in (b.anchored_on or "") for b in float_estimates)
    # the float onnx figure published for the Galaxy S24 is the anchored estimate there
    with catalog.session() as s:
        published = s.scalars(
            select(Benchmark).where(
                Benchmark.provenance == "published",
                Benchmark.device_chipset == SD8G3,
                Benchmark.precision == "float",
                Benchmark.runtime == "onnx",
            )
        ).all()
    s24 = next(b for b in float_estimates if b.device == SD8G3)
    assert s24.latency_ms == pytest.approx(sorted(p.latency_ms for p in published)[len(published) // 2], rel=0.05)
    with catalog.session() as s:
        assert import_published(s, _default_perf()).anchored_estimates == 0  # twice: nothing new


def test_estimates_written_before_anchoring_are_anchored_through_their_own_build(
    catalog: EmbeddedCatalog,
    tmp_path: Path,
    small_onnx: Path,  # noqa: F811
) -> None:
    _publish(catalog, tmp_path / "pub", small_onnx, features=False)
    plain = {(p, b.device): b.latency_ms or 0.0 for p, bs in _current(catalog).items() for b in bs}
    with catalog.session() as s:
        out = add_reported_benchmark(s, "mobilenet-v2", "1.0.0", _report(4 * plain[("float", SD8G3)]), "carol")
    assert out.anchored_estimates == N_DEVICES  # float only: without graph features only the same level applies
    after = _current(catalog)
    assert all(b.anchored_on is None for b in after["w8a8"])
    for b in (b for b in after["float"] if b.provenance == "estimated"):
        assert b.anchor_level == "same" and b.latency_ms == pytest.approx(4 * plain[("float", b.device)], rel=1e-2)
