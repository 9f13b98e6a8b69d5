"""LiteRT (TFLite) builds, made on this host (extra ``tflite``): litert-torch converts each torch component to a
float ``.tflite`` (its FP32 source, made when the model is prepared), and ai-edge-quantizer makes each precision:

- ``float``: the converted model as is;
- ``fp16``: weights stored as float16 (float casting), computed in float32;
- ``w8a8``: static full-integer int8 (int8 weights per channel, int8 activations whose ranges cover every
  calibration sample); the leading ops stay float only when the held-out fidelity needs it
  (``ingest.converters.tflite_static``, recorded in the build). Int8 inputs and outputs are fed and read with their
  scale and zero point;
- ``mixed``: dynamic range: int8 weights, float activations quantized per inference by the kernels (no
  calibration; float inputs and outputs).

Builds run in the LiteRT interpreter (``ai_edge_litert``, XNNPACK on x86 CPUs). A model's tensors are named by
position (``args_0``, ``output_0``); they are fed and read under the FP32 ONNX names (``Interface``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.converters import Inputs, Interface, Outputs
from ingest.optimize.base import OptimizeResult
from registry.errors import InvalidInput, MissingExtra
from registry.vocab import TFLITE

EXTRA = "tflite"
SIGNATURE = "serving_default"
SCHEMES = {
    "float": "float32 (litert-torch conversion)",
    "fp16": "float16 weights (float casting), float32 compute",
    "w8a8": "static full-integer: int8 weights (per channel), int8 activations (calibrated)",
    "mixed": "dynamic range: int8 weights (per channel), activations quantized per inference",
}


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"TFLite (LiteRT) builds need {module.split('.')[0].replace('_', '-')}.",
            hint=f"pip install 'edge-model-registry[{EXTRA}]' (make setup installs it).",
        ) from exc


class TfliteConverter:
    runtime = TFLITE
    extra = EXTRA
    suffix = ".tflite"
    precisions: tuple[str, ...] = ("float", "fp16", "w8a8", "mixed")
    calibrated: frozenset[str] = frozenset({"w8a8"})
    # w8a8 2: ranges over every calibration sample, leading ops kept float when held-out fidelity needs it
    revisions: Mapping[str, str] = {"w8a8": "2"}

    # --- the FP32 source -------------------------------------------------------------------------------------
    def tool_version(self) -> str:
        """litert-torch's version ("" when it is not installed: the conversion then fails with MissingExtra)."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"litert-torch {version('litert-torch')}, ai-edge-quantizer {version('ai-edge-quantizer')}"
        except PackageNotFoundError:
            return ""

    def export(self, module: Any, example_inputs: Mapping[str, Any], out: Path) -> Path:
        """``module`` (eval mode) converted to a float ``.tflite`` under ``out``, at the example inputs' shapes."""
        import contextlib
        import io

        litert_torch = _require("litert_torch")
        path = out / "model.tflite"
        with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
            litert_torch.convert(module.eval(), tuple(example_inputs.values())).export(str(path))
        return path

    # --- builds ------------------------------------------------------------------------------------------------
    def optimize(
        self,
        src: Path,
        precision: str,
        out: Path,
        *,
        calibration: Sequence[Inputs] | None,
        options: Mapping[str, Any],
        interface: Interface | None,
    ) -> OptimizeResult:
        import shutil

        if precision not in self.precisions:
            raise InvalidInput(
                f"TFLite builds take precisions {', '.join(self.precisions)}, not {precision}.",
                hint="Pick one of those, or build it as onnx.",
            )
        path = out / "model.tflite"
        details: dict[str, Any] = {"runtime": TFLITE, "scheme": SCHEMES[precision], "tool": self.tool_version()}
        if precision == "float":
            shutil.copyfile(src, path)
        elif precision == "w8a8":
            details.update(_static_int8(src, path, calibration, interface, options))
        else:
            _quantize(src, precision, path)
        details["size_bytes"] = path.stat().st_size
        details["io"] = _io_types(path)
        return OptimizeResult(path=path, files=[path], details=details)

    def runner(self, path: Path, interface: Interface | None, threads: int = 0) -> Callable[[Inputs], Outputs]:
        interpreter_module = _require("ai_edge_litert.interpreter")
        interpreter = interpreter_module.Interpreter(model_path=str(path), num_threads=threads or None)
        runner = interpreter.get_signature_runner(SIGNATURE)
        inputs = _ordered(runner.get_input_details())
        outputs = _ordered(runner.get_output_details())
        out_names = list(interface.outputs) if interface and len(interface.outputs) == len(outputs) else outputs

        def run(feed: Inputs) -> Outputs:
            args = _feed(feed, inputs, interface)
            got = runner(**{n: _quantized(v, runner.get_input_details()[n]) for n, v in args.items()})
            details = runner.get_output_details()
            return {
                mine: _dequantized(got[theirs], details[theirs])
                for mine, theirs in zip(out_names, outputs, strict=False)
            }

        return run

    def run(self, path: Path, inputs: Sequence[Inputs], interface: Interface | None) -> list[Outputs]:
        run = self.runner(path, interface)
        return [run(feed) for feed in inputs]

    def run_own(self, path: Path, inputs: Sequence[Inputs]) -> list[Outputs]:
        """Outputs under the model's own names (``output_0``), for feeds under its own input names."""
        return self.run(path, inputs, None)

    def host_runner(self, path: Path, threads: int) -> Callable[[Inputs], object]:
        return self.runner(path, None, threads)

    def runtime_version(self) -> str:
        from importlib.metadata import version

        _require("ai_edge_litert.interpreter")
        return f"ai-edge-litert {version('ai-edge-litert')} (XNNPACK)"


def _ordered(details: Mapping[str, Any]) -> list[str]:
    """Tensor names in position order: ``args_0, args_1, ..., args_10`` (numeric, not lexical)."""
    return sorted(details, key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])


def _feed(feed: Inputs, names: list[str], interface: Interface | None) -> dict[str, np.ndarray]:
    """The model's own input names -> arrays: by name when they match, else by position (the FP32 ONNX order)."""
    if all(n in feed for n in names):
        return {n: np.asarray(feed[n]) for n in names}
    order = [n for n in interface.inputs if n in feed] if interface else list(feed)
    if len(order) < len(names):
        raise InvalidInput(f"The TFLite model takes {len(names)} inputs, got {len(order)} ({', '.join(feed)}).")
    return {mine: np.asarray(feed[theirs]) for mine, theirs in zip(names, order, strict=False)}


def _quantized(value: np.ndarray, detail: Mapping[str, Any]) -> np.ndarray:
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(value.dtype, np.integer):
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        quantized: np.ndarray = np.clip(np.round(value / scale) + zero, info.min, info.max).astype(dtype)
        return quantized
    same: np.ndarray = value.astype(dtype, copy=False)
    return same


def _dequantized(value: np.ndarray, detail: Mapping[str, Any]) -> np.ndarray:
    scale, zero = detail["quantization"]
    if np.issubdtype(value.dtype, np.integer) and scale:
        real: np.ndarray = ((value.astype(np.float32) - zero) * scale).astype(np.float32)
        return real
    return np.asarray(value)


def _io_types(path: Path) -> dict[str, Any]:
    interpreter = _require("ai_edge_litert.interpreter").Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner(SIGNATURE)
    return {
        kind: {n: np.dtype(d["dtype"]).name for n, d in details.items()}
        for kind, details in (("inputs", runner.get_input_details()), ("outputs", runner.get_output_details()))
    }


def _static_int8(
    src: Path, path: Path, calibration: Sequence[Inputs] | None, interface: Interface | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The w8a8 build (``ingest.converters.tflite_static``); returns what it records about how it was made."""
    from ingest.converters import tflite_static

    if not calibration:
        raise InvalidInput("A w8a8 TFLite build needs calibration samples.", hint="Give the recipe's calibration.")
    interpreter = _require("ai_edge_litert.interpreter").Interpreter(model_path=str(src))
    details = interpreter.get_signature_runner(SIGNATURE).get_input_details()
    names = _ordered(details)
    # each input at the model's own dtype: token ids stay integers, images become float32
    samples = [
        {n: v.astype(details[n]["dtype"], copy=False) for n, v in _feed(s, names, interface).items()}
        for s in calibration
    ]
    return tflite_static.quantize(src, path, samples, options, TfliteConverter().run_own)


def _quantize(src: Path, precision: str, path: Path) -> None:
    quantizer = _require("ai_edge_quantizer.quantizer")
    recipe = _require("ai_edge_quantizer.recipe")
    q = quantizer.Quantizer(str(src))
    if precision == "fp16":
        manager = _require("ai_edge_quantizer.recipe_manager").RecipeManager()
        manager.add_weight_only_config(
            regex=".*",
            operation_name=recipe.TFLOperationName.ALL_SUPPORTED,
            num_bits=16,
            algorithm_key=recipe.AlgorithmName.FLOAT_CASTING,
        )
        q.load_quantization_recipe(manager.get_quantization_recipe())
        result = q.quantize(enable_progress_bar=False, enable_progress_report=False)
    elif precision == "mixed":
        q.load_quantization_recipe(recipe.dynamic_wi8_afp32())
        result = q.quantize(enable_progress_bar=False, enable_progress_report=False)
    else:
        raise InvalidInput(f"No TFLite recipe for {precision}.")
    result.export_model(str(path))
