"""The records a build moves through ingest in: its key, each component's result, the build's result.

A build is one (precision, runtime, target) of a model (``BuildKey``). The build stage (``ingest.stages``) returns
a ``BuildResult``; the pipeline adds the task metric, the backend's device builds and the per-device estimates to
it, and ``ingest.record`` publishes it. Every field a stage adds is declared here, so nothing travels as an
untyped dict between stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ingest.backends.base import DeviceBuild
from registry.vocab import MEASURED_DEVICE, ONNX, PORTABLE_TARGET

BUILT, FAILED = "built", "failed"


class BuildKey(NamedTuple):
    """What a build is, within a version: (precision, runtime, target)."""

    precision: str
    runtime: str = ONNX
    target: str = PORTABLE_TARGET

    @property
    def label(self) -> str:
        """``w8a8`` for the portable ONNX build (as the summary always said), else ``w8a8/tflite`` (and
        ``/target`` for a chipset-specific one)."""
        if (self.runtime, self.target) == (ONNX, PORTABLE_TARGET):
            return self.precision
        target = None if self.target == PORTABLE_TARGET else self.target
        return "/".join(p for p in (self.precision, self.runtime, target) if p)


@dataclass
class ComponentResult:
    """One component of a built build: its files, how it was made, its fidelity to FP32 and its host profile."""

    files: list[str]
    details: dict[str, Any]
    fidelity: dict[str, Any]
    profile: dict[str, Any]
    synthetic_data: bool
    eval_samples: int
    input_shapes: dict[str, list[int]]
    optimize_key: str
    graph: str  # the ONNX graph whose cost the estimator reads (the build itself, or its FP32 source)

    @property
    def path(self) -> Path:
        """The file a runtime loads (the first; the others are its external data)."""
        return Path(self.files[0])


@dataclass
class BuildResult:
    """A build's outcome: ``built`` with its components, or ``failed`` with the error code, detail and hint."""

    key: BuildKey
    status: str
    components: dict[str, ComponentResult] = field(default_factory=dict)
    error: str | None = None
    detail: str | None = None
    hint: str | None = None
    traceback: str | None = None
    component: str | None = None  # the component that failed
    fidelity: dict[str, Any] | None = None  # a degenerate fidelity run, when that is why it failed
    events: list[str] = field(default_factory=list)
    ran: int = 0
    cached: int = 0
    seconds: float | None = None
    worker: str | None = None
    # added by the pipeline after the build stage
    accuracy: list[dict[str, Any]] = field(default_factory=list)
    evaluation_error: dict[str, Any] | None = None
    device_benchmarks: list[dict[str, Any]] = field(default_factory=list)
    device_evaluations: list[dict[str, Any]] = field(default_factory=list)
    device_builds: list[DeviceBuild] = field(default_factory=list)  # made by the backend for devices

    @property
    def built(self) -> bool:
        return self.status == BUILT

    @property
    def precision(self) -> str:
        return self.key.precision

    @property
    def runtime(self) -> str:
        return self.key.runtime

    @classmethod
    def failed(cls, key: BuildKey, failure: dict[str, Any], **extra: Any) -> BuildResult:
        """A failed build from ``ingest.stages.failure``'s dict (exceptions do not always survive pickling)."""
        return cls(
            key=key,
            status=FAILED,
            error=failure.get("error"),
            detail=failure.get("detail"),
            hint=failure.get("hint"),
            traceback=failure.get("traceback"),
            component=failure.get("component"),
            fidelity=failure.get("fidelity"),
            **extra,
        )

    def files(self) -> list[Path]:
        return [Path(f) for comp in self.components.values() for f in comp.files]

    def measured_on_device(self) -> bool:
        """Whether a backend measured this build, or one it compiled from it, on a device."""
        figures = [*self.device_benchmarks, *(b for d in self.device_builds for b in d.benchmarks)]
        return any(b.get("provenance") == MEASURED_DEVICE and b.get("latency_ms") for b in figures)

    def summary(self) -> dict[str, Any]:
        """The build in the ingest summary (JSON): status, error, timings, device builds, never file lists."""
        out: dict[str, Any] = {"status": self.status, "runtime": self.key.runtime, "target": self.key.target}
        for name in ("error", "detail", "hint", "component", "fidelity", "seconds", "worker", "evaluation_error"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["ran"], out["cached"] = self.ran, self.cached
        if self.accuracy:
            out["accuracy"] = self.accuracy
        if self.device_benchmarks:
            out["device_benchmarks"] = self.device_benchmarks
        if self.device_builds:
            out["device_builds"] = [d.summary() for d in self.device_builds]
        return out
