"""One converter per runtime: how a build of that runtime is made from its FP32 source, run and profiled.

``ingest.stages`` builds every (precision, runtime) the same way through ``converter(runtime)``: ``optimize``
the runtime's FP32 source for a precision, ``run`` it on the evaluation inputs (fidelity to the FP32 ONNX
reference), and time it on this host with ``host_runner`` (``ingest.profile_host``). Adding a runtime is a new
module here, registered in ``CONVERTERS`` (docs/ingest.md lists the other files it touches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from registry.errors import InvalidInput
from registry.vocab import ONNX, TFLITE

Inputs = Mapping[str, np.ndarray]
Outputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class Interface:
    """The FP32 ONNX component's input and output names, in order: a build of another runtime whose tensors
    are named otherwise is fed and read by position under these names."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


class Converter(Protocol):
    runtime: str
    extra: str  # the optional dependency group that installs it
    suffix: str  # the file a runtime loads: ".onnx", ".tflite"
    precisions: tuple[str, ...]  # what it can make
    calibrated: frozenset[str]  # the precisions whose optimize step takes calibration samples
    # precision -> the revision of how this converter makes it, part of the optimize stage's key when given:
    # a changed recipe rebuilds that precision's cached builds (and only those)
    revisions: Mapping[str, str]

    def tool_version(self) -> str:
        """What makes its builds, with versions (part of the stage keys); "" when it is not installed."""
        ...

    def export(self, module: Any, example_inputs: Mapping[str, Any], out: Path) -> Path:
        """The FP32 source of a torch component (eval mode) under ``out``, at the example inputs' shapes. The ONNX
        export has its own stage (``ingest.zoo_pipeline.export_component``: exporters, opsets, external data)."""
        ...

    def optimize(
        self,
        src: Path,
        precision: str,
        out: Path,
        *,
        calibration: Sequence[Inputs] | None,
        options: Mapping[str, Any],
        interface: Interface | None,
    ) -> Any:
        """The ``precision`` build of the FP32 source ``src`` under ``out`` (an ``OptimizeResult``)."""
        ...

    def runner(self, path: Path, interface: Interface | None) -> Callable[[Inputs], Outputs]:
        """The build loaded once; each call runs one input dict and returns its outputs, named as the FP32 ONNX
        names them (a task metric's runner)."""
        ...

    def run(self, path: Path, inputs: Sequence[Inputs], interface: Interface | None) -> list[Outputs]:
        """One dict of outputs (named as the FP32 ONNX names them) per input dict."""
        ...

    def host_runner(self, path: Path, threads: int) -> Callable[[Inputs], object]:
        """A loaded model on this host's CPU with ``threads`` threads; calling it runs one inference."""
        ...

    def runtime_version(self) -> str:
        """The runtime that runs it here, e.g. "onnxruntime 1.20.1"."""
        ...


def converter(runtime: str) -> Converter:
    """The converter for ``runtime`` (its heavy imports happen when it is used, not here)."""
    if runtime == ONNX:
        from ingest.converters.onnx import OnnxConverter

        return OnnxConverter()
    if runtime == TFLITE:
        from ingest.converters.tflite import TfliteConverter

        return TfliteConverter()
    raise InvalidInput(
        f"Runtime '{runtime}' is not built on this host.",
        hint=f"Host builds: {', '.join(HOST_RUNTIMES)}; the qai-hub backend compiles the others.",
    )


HOST_RUNTIMES = (ONNX, TFLITE)
