"""torch -> ONNX for one zoo component: the dynamo exporter first, the legacy (TorchScript) exporter as fallback.

After export the graph is cleaned up: constant folding and dead-code removal (the onnxscript optimizer),
shape inference, stripped per-node stack traces / doc strings (they carry absolute source paths, so the
same module exported from two checkouts would hash differently), and the ONNX checker. Graph inputs are
named after the keys of ``example_inputs`` and outputs after ``component.output_names``.

Output bytes are deterministic for the same module, inputs, opset and tool versions (the content-hash stage
cache relies on it). A model larger than ~1.8 GB is written with one ``<name>.onnx.data`` external data
file beside it; smaller models are a single self-contained ``<name>.onnx``.

``Component.exporters`` may reorder the exporters (the legacy exporter is ~10x faster on plain CNNs; zoo
models that set it have their legacy export checked against torch in tests). Every export is checked once
against torch on the example inputs with onnxruntime (``verify=True``); an exporter whose ONNX disagrees
is treated as failed and the next one is tried.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from ingest.errors import ExportFailed

if TYPE_CHECKING:
    import onnx
    import torch

    from ingest.zoo.base import Component

EXPORTERS: Final = ("dynamo", "legacy")
EXTERNAL_DATA_THRESHOLD: Final = 1_800_000_000  # bytes of initializers; protobuf caps a message at 2 GB
VERIFY_RTOL: Final = 1e-2  # of the output's largest magnitude: catches wrong graphs, not float noise
VERIFY_ATOL: Final = 1e-3
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ExportResult:
    path: Path  # the .onnx file
    files: list[Path]  # the model first, then its external data file if any
    exporter: str  # "dynamo" | "legacy"
    seconds: float  # export + cleanup + save
    opset: int = 18
    errors: dict[str, str] = field(default_factory=dict)  # exporters tried before the one that worked
    max_abs_err: float | None = None  # ONNX vs torch on the example inputs (None when verify=False)
    dropped_inputs: list[str] = field(default_factory=list)  # example inputs the graph never reads (pruned)
    verify_seconds: float | None = None  # the onnxruntime-vs-torch check, not included in ``seconds``


def export_onnx(
    component: Component,
    out_dir: Path,
    opset: int = 18,
    *,
    exporters: Sequence[str] | None = None,
    verify: bool = True,
) -> ExportResult:
    """Export ``component`` to ``out_dir/<component.name>.onnx``; raise ExportFailed if every exporter fails."""
    order = tuple(exporters or component.exporters or EXPORTERS)
    unknown = [e for e in order if e not in EXPORTERS]
    if unknown:
        raise ExportFailed(f"unknown exporter(s) {unknown}", hint=f"Use one of {list(EXPORTERS)}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    component.module.eval()
    errors: dict[str, str] = {}
    for name in order:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"export-{name}-", dir=out_dir) as scratch:
            try:
                raw = _RUNNERS[name](component, Path(scratch), opset)
                model = _cleanup(raw, component, name)
                path, files = _save(model, out_dir, component.name)
            except Exception as exc:  # every exporter failure is reported, not raised one by one
                errors[name] = _first_line(exc)
                continue
        seconds = time.perf_counter() - started
        max_err = None
        if verify:
            checked = time.perf_counter()
            try:
                max_err = _verify(component, path)
            except Exception as exc:
                errors[name] = _first_line(exc)
                for f in files:  # never leave a graph that disagrees with torch where a caller looks
                    f.unlink(missing_ok=True)
                continue
            verify_seconds = round(time.perf_counter() - checked, 3)
        return ExportResult(
            path=path,
            files=files,
            exporter=name,
            seconds=round(seconds, 3),
            verify_seconds=verify_seconds if verify else None,
            opset=opset,
            errors=errors,
            max_abs_err=max_err,
            dropped_inputs=_dropped_inputs(path, component),
        )
    detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
    raise ExportFailed(
        f"component {component.name!r} did not export to ONNX opset {opset} ({detail})",
        hint="Check that the module runs on its example inputs in eval mode with plain tensor inputs/outputs; "
        "replace data-dependent Python control flow or unsupported ops, or try another opset.",
        extra={"component": component.name, "opset": opset, "errors": errors},
    )


def _first_line(exc: BaseException) -> str:
    """``Type: first line`` of the innermost cause (the dynamo exporter wraps the real reason twice)."""
    inner = exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
    text = _ANSI.sub("", str(inner)).strip() or type(inner).__name__
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), text)
    prefix = type(exc).__name__ if inner is exc else f"{type(exc).__name__} <- {type(inner).__name__}"
    return f"{prefix}: {line[:300]}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporters print progress and warnings; keep ingest logs readable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


def _args(component: Component) -> tuple[Any, ...]:
    return tuple(component.example_inputs.values())


def _export_dynamo(component: Component, scratch: Path, opset: int) -> onnx.ModelProto:
    import onnx
    import torch

    path = scratch / "dynamo.onnx"
    with _quiet(), torch.no_grad():
        program = torch.onnx.export(
            component.module,
            _args(component),
            dynamo=True,
            input_names=list(component.example_inputs),
            output_names=list(component.output_names),
            opset_version=opset,
            dynamic_shapes=_dynamic_shapes(component),
            optimize=True,
            verify=False,
            report=False,
        )
        if program is None:  # pragma: no cover - only when f is given
            raise RuntimeError("torch.onnx.export returned no program")
        program.save(str(path), external_data=True)
    return onnx.load(str(path), load_external_data=True)


def _dynamic_shapes(component: Component) -> Any:
    """``dynamic_shapes`` keyed by input name, as the positional tuple torch.export matches against the args
    (the keys of ``example_inputs`` need not equal forward()'s parameter names)."""
    shapes = component.dynamic_shapes
    if isinstance(shapes, dict) and shapes and set(shapes) <= set(component.example_inputs):
        return tuple(shapes.get(name) for name in component.example_inputs)
    return shapes


def _dynamic_axes(component: Component) -> dict[str, dict[int, str]] | None:
    """torch.export-style ``dynamic_shapes`` ({input: {axis: Dim}}) as the legacy exporter's dynamic_axes."""
    if not component.dynamic_shapes:
        return None
    axes: dict[str, dict[int, str]] = {}
    for input_name, spec in component.dynamic_shapes.items():
        if isinstance(spec, dict):
            axes[input_name] = {int(ax): str(getattr(dim, "__name__", dim)) for ax, dim in spec.items()}
    return axes or None


def _export_legacy(component: Component, scratch: Path, opset: int) -> onnx.ModelProto:
    import onnx
    import torch

    path = scratch / "legacy.onnx"
    with _quiet(), torch.no_grad():
        torch.onnx.export(
            component.module,
            _args(component),
            str(path),
            dynamo=False,
            input_names=list(component.example_inputs),
            output_names=list(component.output_names),
            opset_version=opset,
            dynamic_axes=_dynamic_axes(component),
            do_constant_folding=True,
        )
    return onnx.load(str(path), load_external_data=True)


_RUNNERS: Final = {"dynamo": _export_dynamo, "legacy": _export_legacy}


def _initializer_bytes(model: onnx.ModelProto) -> int:
    return sum(len(t.raw_data) for t in model.graph.initializer)


def _cleanup(model: onnx.ModelProto, component: Component, exporter: str) -> onnx.ModelProto:
    import onnx

    _check_io_names(model, component, exporter)
    if exporter == "legacy" and _initializer_bytes(model) < EXTERNAL_DATA_THRESHOLD:
        # the dynamo path already ran the onnxscript optimizer (optimize=True)
        with contextlib.suppress(Exception), _quiet():
            import onnxscript.optimizer

            model = onnxscript.optimizer.optimize(model)
    for node in model.graph.node:
        node.doc_string = ""
        del node.metadata_props[:]
    model.graph.doc_string = ""
    model.doc_string = ""
    if _initializer_bytes(model) < EXTERNAL_DATA_THRESHOLD:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
        onnx.checker.check_model(model, full_check=False)
    return model


def _check_io_names(model: onnx.ModelProto, component: Component, exporter: str) -> None:
    got_in = [i.name for i in model.graph.input]
    want_in = list(component.example_inputs)
    if got_in != [n for n in want_in if n in got_in]:
        # an input the graph never reads may be pruned (see ExportResult.dropped_inputs); anything else is wrong
        raise RuntimeError(f"{exporter} exporter gave inputs {got_in}, expected (a subset of) {want_in} in order")
    got_out = [o.name for o in model.graph.output]
    if got_out != list(component.output_names):
        raise RuntimeError(
            f"{exporter} exporter gave outputs {got_out}, expected {component.output_names} "
            "(output_names must list every tensor forward() returns, in order)"
        )


def _save(model: onnx.ModelProto, out_dir: Path, name: str) -> tuple[Path, list[Path]]:
    import onnx

    path = out_dir / f"{name}.onnx"
    data = out_dir / f"{name}.onnx.data"
    for stale in (path, data):
        stale.unlink(missing_ok=True)
    tmp = out_dir / f".{name}.onnx.tmp"
    if _initializer_bytes(model) >= EXTERNAL_DATA_THRESHOLD:
        onnx.save_model(
            model,
            str(tmp),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data.name,
            size_threshold=1024,
        )
        onnx.checker.check_model(str(tmp))
        os.replace(tmp, path)
        return path, [path, data]
    onnx.save_model(model, str(tmp))
    os.replace(tmp, path)
    return path, [path]


def _dropped_inputs(path: Path, component: Component) -> list[str]:
    import onnx

    kept = {i.name for i in onnx.load(str(path), load_external_data=False).graph.input}
    return [name for name in component.example_inputs if name not in kept]


def _verify(component: Component, path: Path) -> float:
    """Run the ONNX file on the example inputs and compare with torch; raise when they disagree."""
    import onnxruntime as ort
    import torch

    with torch.no_grad():
        expected = component.module(*_args(component))
    flat = _flatten(expected)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    taken = {i.name for i in session.get_inputs()}
    feeds = {k: v.detach().cpu().numpy() for k, v in component.example_inputs.items() if k in taken}
    got = session.run(None, feeds)
    if len(got) != len(flat):
        raise RuntimeError(f"ONNX gave {len(got)} outputs, torch {len(flat)}")
    worst = 0.0
    for out_name, ref, val in zip(component.output_names, flat, got, strict=True):
        ref_np = ref.detach().cpu().float().numpy()
        val_np = np.asarray(val, dtype=np.float32)
        if ref_np.shape != val_np.shape:
            raise RuntimeError(f"output {out_name!r}: ONNX shape {val_np.shape}, torch {tuple(ref_np.shape)}")
        err = float(np.max(np.abs(ref_np - val_np))) if ref_np.size else 0.0
        scale = float(np.max(np.abs(ref_np))) if ref_np.size else 0.0
        if not np.isfinite(err) or err > VERIFY_ATOL + VERIFY_RTOL * max(scale, 1.0):
            raise RuntimeError(f"output {out_name!r} differs from torch by {err:.3g} (scale {scale:.3g})")
        worst = max(worst, err)
    return worst


def _flatten(value: Any) -> list[torch.Tensor]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flatten(v)]
    if hasattr(value, "to_tuple"):  # transformers ModelOutput
        return [t for v in value.to_tuple() for t in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flatten(v)]
    return []
