"""Turn an FP32 ONNX model into one precision's build: float, fp16, w8a8, w8a16, w4a16 or mixed.

``optimize(src, precision, out_dir, calibration=..., options=...)`` writes ``out_dir/<name>.onnx`` (plus one
``.data`` file for models above the protobuf limit) and returns an ``OptimizeResult`` whose ``details``
say how it was made and, when calibration samples were given, how close it stays to FP32.

One module per precision (``floating``, ``fp16``, ``w8a8``, ``w8a16``, ``w4a16``, ``mixed``); each
declares the ``OPTIONS`` it accepts, and an unknown option is an error rather than silently ignored.
Heavy dependencies (onnx, onnxruntime, onnxconverter-common) are imported when a model is optimized.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np

from ingest.optimize import calibration, floating, fp16, graph, mixed, w4a16, w8a8, w8a16
from ingest.optimize.base import Job, OptimizeResult
from registry.errors import InvalidInput
from registry.vocab import normalize_precision

__all__ = ["COMMON_OPTIONS", "OptimizeResult", "optimize", "options_for"]

COMMON_OPTIONS: Final = frozenset({"name", "measure_fidelity"})
_MODULES: Final[dict[str, ModuleType]] = {
    "float": floating,
    "fp16": fp16,
    "w8a8": w8a8,
    "w8a16": w8a16,
    "w4a16": w4a16,
    "mixed": mixed,
}
# Precisions that need no fidelity run here: float is the reference; the static ones measure it themselves
# on the held-out calibration slice.
_NAME_RE: Final = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_NOT_MEASURED_HERE: Final = frozenset({"float", "w8a8", "w8a16", "mixed"})


def options_for(precision: str) -> frozenset[str]:
    """The option names ``optimize`` accepts for ``precision``."""
    module = _MODULES[normalize_precision(precision)]
    accepted: frozenset[str] = COMMON_OPTIONS | module.OPTIONS
    return accepted


def optimize(
    src: Path,
    precision: str,
    out_dir: Path,
    *,
    calibration: Sequence[Mapping[str, np.ndarray]] | None = None,
    options: Mapping[str, Any] | None = None,
) -> OptimizeResult:
    """Optimize the FP32 ONNX model at ``src`` to ``precision``, writing into ``out_dir``.

    ``calibration`` holds one input dict per sample; w8a8, w8a16 and mixed need it (part is held out to
    choose the calibration method and measure error), the others use it only to report fidelity.
    Raises InvalidModelFile, CalibrationMismatch, UnsupportedPrecision or InvalidInput with a hint.
    """
    started = time.perf_counter()
    precision = normalize_precision(precision)
    options = dict(options or {})
    unknown = sorted(set(options) - options_for(precision))
    if unknown:
        raise InvalidInput(
            f"Unknown option(s) for precision '{precision}': {', '.join(unknown)}.",
            hint=f"Accepted: {', '.join(sorted(options_for(precision)))}.",
        )
    src = Path(src).resolve()
    out_dir = Path(out_dir).resolve()
    name = str(options.get("name") or src.stem)
    if not _NAME_RE.match(name) or name.startswith("."):
        raise InvalidInput(f"Invalid output name {name!r}.", hint="Use letters, digits, '.', '_' or '-'.")
    out_path = out_dir / f"{name}.onnx"
    if out_path == src:
        raise InvalidInput(f"The output '{out_path}' would overwrite the source model.", hint="Use another out_dir.")
    model = graph.load(src)
    source_opset = graph.onnx_opset(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".optimize-", dir=out_dir) as tmp:
        scratch = Path(tmp)
        job = Job(src, out_path, scratch, precision, model, calibration, options)
        produced, details = _MODULES[precision].run(job)
        if precision not in _NOT_MEASURED_HERE and calibration and options.get("measure_fidelity", True):
            details["fidelity"] = _fidelity(src, produced, job)
        produced_model = graph.load(produced)
        files = graph.save(produced_model, out_path)
    size = graph.size_on_disk(files)
    float_size = graph.total_size(src)
    details.update(
        precision=precision,
        source_opset=source_opset,
        opset=graph.onnx_opset(produced_model),
        size_bytes=size,
        float_size_bytes=float_size,
        size_ratio=round(size / float_size, 4) if float_size else None,
        seconds=round(time.perf_counter() - started, 2),
    )
    return OptimizeResult(out_path, files, details)


def _fidelity(src: Path, produced: Path, job: Job) -> dict[str, float]:
    from ingest import fidelity

    samples = calibration.check(job.calibration, graph.input_specs(job.model), precision=job.precision)
    return fidelity.compare(fidelity.run_model(src, samples), fidelity.run_model(produced, samples))
