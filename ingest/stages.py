"""The per-(model, precision, runtime) build stage: optimize -> fidelity to FP32 -> host profile, per component.

``run_build(job)`` is a plain top-level function of a picklable ``BuildTask``, so the same code runs in this
process, in a process pool or on a Dask worker. It never raises for a build that cannot be made: the result
says ``failed`` with the error code, detail and hint, so one build's failure never stops the others. The runtime's
converter (``ingest.converters``) makes, runs and profiles the build; fidelity is always against the FP32 ONNX.
Every stage is cached by content (``ingest.stagecache``); ``cached_only=True`` answers from the cache alone
(or ``None``), which lets the parent skip starting workers when nothing changed.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.builds import BuildKey, BuildResult, ComponentResult
from ingest.stagecache import StageCache, stage_key
from registry.errors import RegistryError
from registry.vocab import ONNX

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class BuildTask:
    slug: str
    precision: str
    components: dict[str, str]  # component -> the runtime's FP32 source (the FP32 ONNX for onnx)
    digests: dict[str, str]  # component -> content key of that source
    calibration: dict[str, list[Inputs]]
    eval: dict[str, list[Inputs]]
    synthetic: bool
    cache_root: str
    profile_runs: int = 20
    options: dict[str, Any] = field(default_factory=dict)
    # "calibration/<component>", "eval/<component>", "first/<component>" (the first eval sample) -> digest_samples
    # of those samples, when the caller computed them once for all precisions
    sample_digests: dict[str, str] = field(default_factory=dict)
    accept_degenerate: bool = False  # publish a build whose fidelity run was degenerate, its figures marked so
    runtime: str = ONNX
    reference: dict[str, str] = field(default_factory=dict)  # component -> FP32 ONNX, when not ``components``
    interfaces: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)  # FP32 ONNX names

    @property
    def key(self) -> BuildKey:
        return BuildKey(self.precision, self.runtime)

    def samples_digest(self, kind: str, component: str, samples: Sequence[Mapping[str, Any]]) -> str:
        known = self.sample_digests.get(f"{kind}/{component}")
        return known if known is not None else digest_samples(samples)


def digest_samples(samples: Sequence[Mapping[str, Any]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for sample in samples:
        for name in sorted(sample):
            arr = np.ascontiguousarray(sample[name])
            h.update(f"{name}{arr.dtype}{arr.shape}".encode())
            h.update(arr.tobytes())
    return h.hexdigest()[:32]


def failure(exc: BaseException, **extra: Any) -> dict[str, Any]:
    """A failed build as data (exceptions do not always survive pickling between processes)."""
    if isinstance(exc, RegistryError):
        return {"status": "failed", "error": exc.code, "detail": exc.detail, "hint": exc.hint, **extra}
    return {
        "status": "failed",
        "error": "stage_failed",
        "detail": f"{type(exc).__name__}: {str(exc).strip()[:500]}",
        "hint": "An unexpected error in a stage; the run log has the traceback.",
        "traceback": traceback.format_exc(limit=8),
        **extra,
    }


class _CacheMiss(Exception):
    pass


def _cached(cache: StageCache, stage: str, key: str, work: Any, cached_only: bool) -> tuple[dict[str, Any], bool]:
    if cached_only:
        found = cache.cached(stage, key)
        if found is None:
            raise _CacheMiss(stage)
        return found, True
    return cache.run(stage, key, work)


def run_build(job: BuildTask, cached_only: bool = False) -> BuildResult | None:
    """Build one (precision, runtime) of one model (every component). ``None`` only with ``cached_only`` on a miss."""
    started = time.perf_counter()
    cache = StageCache(Path(job.cache_root))
    events: list[str] = []
    ran = cached = 0
    components: dict[str, ComponentResult] = {}
    tag = job.precision if job.runtime == ONNX else f"{job.precision}/{job.runtime}"
    for name, src in job.components.items():
        try:
            result, counts = _build_component(job, name, Path(src), cache, cached_only, events)
        except _CacheMiss:
            return None
        except Exception as exc:  # recorded for this build, never raised across the pool
            events.append(f"{tag}/{name}: failed: {exc}")
            return BuildResult.failed(job.key, failure(exc, component=name), events=events, ran=ran, cached=cached)
        ran, cached = ran + counts[0], cached + counts[1]
        if isinstance(result, dict):
            return BuildResult.failed(job.key, {**result, "component": name}, events=events, ran=ran, cached=cached)
        components[name] = result
    return BuildResult(
        key=job.key,
        status="built",
        worker=f"{socket.gethostname()}:{os.getpid()}",
        components=components,
        events=events,
        ran=ran,
        cached=cached,
        seconds=round(time.perf_counter() - started, 3),
    )


def _build_component(
    job: BuildTask, name: str, src: Path, cache: StageCache, cached_only: bool, events: list[str]
) -> tuple[ComponentResult | dict[str, Any], tuple[int, int]]:
    """The component's build, or its failure as a ``failure`` dict (deterministic failures are cached too)."""
    from ingest.converters import Interface, converter
    from ingest.errors import DegenerateFidelity
    from ingest.fidelity import compare, degenerate_reasons, run_model
    from ingest.profile_host import profile

    conv = converter(job.runtime)
    tag = job.precision if job.runtime == ONNX else f"{job.precision}/{job.runtime}"
    io = job.interfaces.get(name)
    interface = Interface(*io) if io else None
    reference_path = Path(job.reference.get(name, src))
    calib = job.calibration.get(name) or []
    evals = job.eval.get(name) or []
    calibrated = job.precision in conv.calibrated
    use_calib = calib if calibrated else []
    options = {**job.options, "measure_fidelity": False} if not calibrated else dict(job.options)
    counts = [0, 0]
    runtime_key: dict[str, Any] = {} if job.runtime == ONNX else {"runtime": job.runtime}
    if job.precision in conv.revisions:
        runtime_key["recipe"] = conv.revisions[job.precision]
    from ingest.optimize.static import NPU_BY_DEFAULT

    okey = stage_key(
        "optimize",
        source=job.digests[name],
        precision=job.precision,
        synthetic=job.synthetic,
        calibration=job.samples_digest("calibration", name, use_calib) if use_calib else digest_samples([]),
        options=options,
        **runtime_key,
        # the QNN layout is the ONNX default for these precisions: builds cached under the CPU default are rebuilt
        **({"default_target": "npu"} if job.runtime == ONNX and job.precision in NPU_BY_DEFAULT else {}),
    )

    def work(out: Path) -> dict[str, Any]:
        t = time.perf_counter()
        try:
            result = conv.optimize(
                src, job.precision, out, calibration=use_calib or None, options=options, interface=interface
            )
        except RegistryError as exc:  # deterministic for this key: cached, so a re-run does not retry it
            return failure(exc)
        events.append(f"{tag}/{name}: optimized in {time.perf_counter() - t:.2f}s")
        return {"path": str(result.path), "files": [str(f) for f in result.files], "details": result.details}

    opt, was = _cached(cache, "optimize", okey, work, cached_only)
    counts[was] += 1
    if opt.get("status") == "failed":
        return opt, (counts[0], counts[1])
    built = Path(opt["path"])
    if not evals:
        raise ValueError(f"no evaluation inputs for component {name}")
    fkey = stage_key(
        "fidelity", built=okey, source=job.digests[name], eval=job.samples_digest("eval", name, evals), checks=2
    )

    def fid(_out: Path) -> dict[str, Any]:
        t = time.perf_counter()
        reference, candidate = run_model(reference_path, evals), conv.run(built, evals, interface)
        result: dict[str, Any] = dict(compare(reference, candidate))
        reasons = degenerate_reasons(reference, candidate, result, is_reference=job.precision == "float")
        if reasons:
            result["degenerate"] = reasons
        events.append(f"{tag}/{name}: fidelity in {time.perf_counter() - t:.2f}s")
        return result

    fidelity, was = _cached(cache, "fidelity", fkey, fid, cached_only)
    counts[was] += 1
    if fidelity.get("degenerate") and not job.accept_degenerate:
        exc = DegenerateFidelity(
            f"{tag}/{name}: degenerate fidelity run: {'; '.join(fidelity['degenerate'])}.",
            extra={"fidelity": fidelity},
        )
        return {**failure(exc), "fidelity": fidelity}, (counts[0], counts[1])
    pkey = stage_key("profile", built=okey, runs=job.profile_runs, inputs=job.samples_digest("first", name, evals[:1]))

    def host(_out: Path) -> dict[str, Any]:
        t = time.perf_counter()
        prof = profile(built, evals[:1], threads=(1, "all"), runs=job.profile_runs, max_seconds=60, runtime=job.runtime)
        events.append(f"{tag}/{name}: host profile in {time.perf_counter() - t:.2f}s")
        return {
            "cpu": prof.cpu,
            "runtime": prof.runtime_version,
            "memory_method": prof.memory_method,
            "results": [vars(r) for r in prof.results],
        }

    prof, was = _cached(cache, "profile", pkey, host, cached_only)
    counts[was] += 1
    component = ComponentResult(
        files=opt["files"],
        details=opt["details"],
        fidelity=fidelity,
        profile=prof,
        synthetic_data=job.synthetic,
        eval_samples=len(evals),
        input_shapes={k: list(np.shape(v)) for k, v in evals[0].items()},
        optimize_key=okey,
        graph=str(built if job.runtime == ONNX else reference_path),
    )
    return component, (counts[0], counts[1])
