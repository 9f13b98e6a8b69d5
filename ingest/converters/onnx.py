"""ONNX builds: ``ingest.optimize`` per precision on the FP32 ONNX export, run and profiled with onnxruntime."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ingest.converters import Inputs, Interface, Outputs
from registry.vocab import ONNX


class OnnxConverter:
    runtime = ONNX
    extra = "ml"
    suffix = ".onnx"
    precisions: tuple[str, ...] = ("float", "fp16", "w8a8", "w8a16", "w4a16", "mixed")
    calibrated: frozenset[str] = frozenset({"w8a8", "w8a16", "mixed"})
    revisions: Mapping[str, str] = {}

    def tool_version(self) -> str:
        from ingest.stagecache import tool_versions

        return ", ".join(f"{k} {v}" for k, v in sorted(tool_versions().items()))

    def export(self, module: Any, example_inputs: Mapping[str, Any], out: Path) -> Path:
        raise NotImplementedError("the ONNX export is ingest.zoo_pipeline.export_component")

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
        from ingest.optimize import optimize

        return optimize(src, precision, out, calibration=calibration, options=options)

    def runner(self, path: Path, interface: Interface | None) -> Callable[[Inputs], Outputs]:
        from ingest.evaluate import runner

        run = runner(path)
        return lambda feed: run(dict(feed))

    def run(self, path: Path, inputs: Sequence[Inputs], interface: Interface | None) -> list[Outputs]:
        from ingest.fidelity import run_model

        return run_model(path, inputs)

    def host_runner(self, path: Path, threads: int) -> Callable[[Inputs], object]:
        from ingest.fidelity import make_session

        session = make_session(path, threads=threads)
        return lambda feed: session.run(None, dict(feed))

    def runtime_version(self) -> str:
        import onnxruntime

        return f"onnxruntime {onnxruntime.__version__}"
