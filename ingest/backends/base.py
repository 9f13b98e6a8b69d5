"""What a backend does for the pipeline: make device builds of a portable build, and measure them on devices.

The pipeline hands every backend the same ``DeviceRequest`` (the precision's portable ONNX per component, the
devices, the runtimes asked for, the evaluation inputs) and gets ``DeviceBuild``s back: one per (runtime,
target) the backend made, each with its ``measured-device`` benchmarks and evaluations (with job ids), or its
error. A ``DeviceBuild`` of runtime ``onnx`` / target ``any`` is the portable build the pipeline already made:
its figures attach to that build. A backend that cannot measure a device returns no figure for it, never a
placeholder; the local backend returns no device build at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from registry.vocab import ONNX, PORTABLE_TARGET


@dataclass
class DeviceBuild:
    """One (precision, runtime, target) build as a backend made it, with what its devices measured."""

    precision: str
    runtime: str
    target: str  # "any" for portable runtimes, the chipset for chipset-specific ones
    files: list[Path] = field(default_factory=list)
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def portable(self) -> bool:
        """The portable ONNX build the pipeline made itself (its figures attach to that build)."""
        return (self.runtime, self.target) == (ONNX, PORTABLE_TARGET)

    def summary(self) -> dict[str, Any]:
        """One line of the ingest summary: what was made where, and what failed."""
        out: dict[str, Any] = {
            "runtime": self.runtime,
            "target": self.target,
            "status": "failed" if self.error else "built",
            "devices": [b["device"] for b in self.benchmarks],
            **{k: self.details[k] for k in ("device_errors", "reattached_jobs", "compile_jobs") if k in self.details},
        }
        if self.error:
            out["error"] = self.error
        return out

    def manifest_entry(self, root: Path) -> dict[str, Any]:
        """The publish-manifest build dict, file paths relative to ``root``; each file's component is the name
        of the folder it sits in (``model`` for a single-file model)."""
        return {
            "precision": self.precision,
            "runtime": self.runtime,
            "target": self.target,
            "files": [
                {
                    "path": f.resolve().relative_to(root.resolve()).as_posix(),
                    "component": None if f.parent.name == "model" else f.parent.name,
                }
                for f in self.files
            ],
            "details": self.details,
            "benchmarks": self.benchmarks,
            "evaluations": self.evaluations,
        }


@dataclass(frozen=True)
class DeviceRequest:
    """What the pipeline gives a backend for one precision of one model."""

    slug: str
    precision: str
    model_files: Mapping[str | None, Path]  # component (None for a single-file model) -> the portable ONNX build
    devices: tuple[str, ...]
    runtimes: tuple[str, ...] = ()  # empty: the backend's default
    calibration: Sequence[Mapping[str, np.ndarray]] | None = None  # single-component models only
    eval_inputs: Sequence[Mapping[str, np.ndarray]] | None = None
    reference: Path | None = None  # the FP32 ONNX the evaluation outputs are compared with


class Backend(Protocol):
    name: str

    def preflight(self, devices: Sequence[str]) -> None:
        """Fail now, before any work, if the backend cannot serve ``devices`` (unreachable, no token, a device
        it does not offer)."""
        ...

    def device_builds(self, request: DeviceRequest) -> list[DeviceBuild]:
        """The builds made for ``request.devices`` and measured there; empty when the backend measures no device.
        Raises a ``RegistryError`` only when nothing could be made for the precision at all."""
        ...
