"""The evaluate stage: a zoo model's real task metric, run on the FP32 ONNX build and on every build (per-component
runners of the build's runtime), recorded with dataset, sample count, metric, value and the FP32 reference value.
Cached by the builds' content keys, so a re-run evaluates nothing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.stagecache import StageCache, stage_key
from ingest.stages import failure
from registry.vocab import MEASURED_HOST, ONNX

if TYPE_CHECKING:
    from ingest.builds import BuildResult
    from ingest.pipeline import IngestReport, Prepared
    from ingest.zoo.base import Runner


def runner(path: Path) -> Runner:
    """Run an ONNX file on CPU: inputs the graph does not take are dropped (exporters prune unused ones)."""
    from ingest.fidelity import make_session

    session = make_session(path, threads=0)
    names = [o.name for o in session.get_outputs()]
    takes = {i.name for i in session.get_inputs()}

    def run(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        feed = {k: v for k, v in inputs.items() if k in takes}
        return dict(zip(names, session.run(names, feed), strict=True))

    return run


def _runner(prep: Prepared, runtime: str, name: str, path: Path) -> Runner:
    if runtime == ONNX:
        return runner(path)
    from ingest.converters import Interface, converter

    conv, io = converter(runtime), prep.io_names.get(name)
    interface = Interface(*io) if io else None
    return conv.runner(path, interface)


def _metric(
    prep: Prepared,
    label: str,
    paths: dict[str, Path],
    keys: dict[str, str],
    cache: StageCache,
    runtime: str = ONNX,
) -> Any:
    metric = prep.task_metric
    assert metric is not None
    key = stage_key(
        "evaluate",
        model=prep.source.slug,
        recipe=prep.recipe_hash,
        builds=keys,
        dataset=metric.dataset,
        metric=metric.metric,
    )

    def work(_out: Path) -> dict[str, Any]:
        started = time.perf_counter()
        value, count = metric.evaluate({name: _runner(prep, runtime, name, p) for name, p in paths.items()})
        return {"value": float(value), "samples": int(count), "seconds": round(time.perf_counter() - started, 3)}

    result, cached = cache.run("evaluate", key, work)
    return result, cached, label


def evaluate_builds(prep: Prepared, builds: list[BuildResult], cache_root: Path, report: IngestReport) -> None:
    """Add ``accuracy`` evaluations to each build (``evaluation_error`` when the metric fails)."""
    metric = prep.task_metric
    assert metric is not None
    cache = StageCache(cache_root)
    try:
        ref, cached, _ = _metric(prep, "fp32", dict(prep.source.components), {"fp32": str(prep.digests)}, cache)
    except Exception as exc:
        for build in builds:
            build.evaluation_error = failure(exc)
        return
    _count(report, cached)
    for build in builds:
        paths = {name: comp.path for name, comp in build.components.items()}
        keys = {name: comp.optimize_key for name, comp in build.components.items()}
        try:
            got, cached, _ = _metric(prep, build.key.label, paths, keys, cache, build.runtime)
        except Exception as exc:
            build.evaluation_error = failure(exc)
            continue
        _count(report, cached)
        engine = "onnxruntime CPU" if build.runtime == ONNX else f"{build.runtime} on this host"
        build.accuracy = [
            {
                "dataset": metric.dataset,
                "metric": metric.metric,
                "kind": "accuracy",
                "value": got["value"],
                "reference_value": ref["value"],
                "sample_count": max(1, got["samples"]),
                "higher_is_better": metric.higher_is_better,
                "provenance": MEASURED_HOST,
                "source": f"{engine}; reference: the FP32 ONNX export",
                "component": None,
                "details": {"seconds": got["seconds"], "reference_samples": ref["samples"]},
            }
        ]


def _count(report: IngestReport, cached: bool) -> None:
    if cached:
        report.cached_stages += 1
    else:
        report.ran_stages += 1
