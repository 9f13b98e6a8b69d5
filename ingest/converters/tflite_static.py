"""w8a8 LiteRT builds: static full-integer int8 whose activation ranges cover every calibration sample, with the
leading ops kept float only when the held-out fidelity asks for it.

Two things held the zoo MobileNetV2's int8 build under cosine 0.98 (docs/ingest.md, "LiteRT (TFLite) builds"):

- Ranges. ai-edge-quantizer's calibrator keeps a moving average (factor 0.95) of each tensor's per-sample
  min/max, so the first samples weigh most and the ranges stay narrower than what other inputs reach (clipped):
  more samples made it worse (cosine 0.972 with 16, 0.964 with 64). Here a range is the min/max over all the
  calibration samples, as onnxruntime's MinMax takes it; that alone gave 0.978, the ONNX w8a8 build's figure.
- Amplification. What is lost early is amplified by every later layer: in float, the random-weight MobileNetV2
  turns input noise 50 dB under the signal into logits 21 dB under theirs. So when the all-int8 build's cosine to
  the float build on held-out calibration samples is under ``min_cosine``, the leading ops are kept float, up to
  one more weighted op (convolution, fully connected) per try, until it is met or they would hold more than
  ``MAX_FLOAT_SHARE`` of the model's multiply-accumulates (not tried when it is more than ``SEARCH_WINDOW`` under:
  thousandths are all they win back). What was kept float is recorded in the build.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.fidelity import compare
from ingest.optimize.calibration import split
from registry.errors import require

EXTRA: Final = "tflite"
SIGNATURE: Final = "serving_default"
MIN_COSINE: Final = 0.98  # issue 20's fidelity target for a w8a8 LiteRT build
# MobileNetV2 in XNNPACK here: its first 3 weighted ops kept float (7% of the MACs) ran as fast as all-int8
# (2.1x float), the first 4 (13%) at 1.7x float.
MAX_FLOAT_SHARE: Final = 0.10
MAX_TRIES: Final = 12
HOLDOUT_FRACTION: Final = 0.25
# Leading float ops win back thousandths (MobileNetV2: 0.975 -> 0.980 held out); an all-int8 build further than
# this under the floor is not rescued by them (tiny-llama: 0.48 with 0 to 19 float ops), so none are tried.
SEARCH_WINDOW: Final = 0.05
TIME_BUDGET_S: Final = 300.0
WEIGHTED: Final = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "CONV_2D_TRANSPOSE", "BATCH_MATMUL"})
RANGES: Final = "min/max over every calibration sample"

Feed = Mapping[str, np.ndarray]
Runner = Callable[[Path, Sequence[Feed]], list[dict[str, np.ndarray]]]


@dataclass(frozen=True)
class Op:
    """One operator of the float model, in execution order."""

    index: int
    kind: str  # the TFLite operator name, e.g. CONV_2D
    scope: str  # ai-edge-quantizer's scope for it (its output tensor names): what a recipe's regex matches
    macs: int

    def kept(self) -> dict[str, Any]:
        """How the build records it, as the ONNX mixed build records its float nodes: ``{"node": "2
        MobileNetV2ConvLayer_first_conv/ReLU6_activation", "op_type": "CONV_2D"}`` (its index in the graph and the
        last two scopes of its first output tensor's name)."""
        scopes = [part.rsplit(".", 1)[-1] for part in self.scope.split(";")[0].split("/") if part]
        name = "/".join(scopes[-2:])[-80:]
        return {"node": name if self.index < 0 else f"{self.index} {name}", "op_type": self.kind}


@dataclass(frozen=True)
class Candidate:
    float_ops: tuple[Op, ...]
    float_share: float
    cosine: float | None  # on the held-out samples, against the float build; None when nothing was held out
    path: Path


def quantize(src: Path, path: Path, samples: Sequence[Feed], options: Mapping[str, Any], run: Runner) -> dict[str, Any]:
    """The w8a8 build of the float ``src`` at ``path``; returns what the build records about how it was made.

    ``samples`` are feeds under the model's own input names and dtypes; ``run`` runs a ``.tflite`` on feeds.
    Options (the ONNX w8a8 build's names): ``min_cosine`` (default 0.98), ``holdout_fraction`` (0.25).
    """
    floor = float(options.get("min_cosine", MIN_COSINE))
    budget = MAX_FLOAT_SHARE
    fit, held = split([dict(s) for s in samples], float(options.get("holdout_fraction", HOLDOUT_FRACTION)))
    held_out = held if held is not fit else []
    ranges = calibrate(src, fit)
    ops = operators(src)
    total = max(sum(op.macs for op in ops), 1)
    reference = run(src, held_out) if held_out else []
    deadline = time.perf_counter() + TIME_BUDGET_S
    tried: list[Candidate] = []
    for prefix in prefixes(ops):
        share = sum(op.macs for op in prefix) / total
        if prefix and (share > budget or len(tried) >= MAX_TRIES or time.perf_counter() > deadline):
            break
        out = path.with_name(f"{path.stem}.try{len(tried)}{path.suffix}")
        _export(src, out, ranges, prefix)
        cosine = compare(reference, run(out, held_out))["cosine"] if held_out else None
        tried.append(Candidate(prefix, share, cosine, out))
        if cosine is None or cosine >= floor or cosine < floor - SEARCH_WINDOW:
            break
    chosen = tried[-1] if tried[-1].cosine is None or tried[-1].cosine >= floor else _best(tried)
    chosen.path.replace(path)
    for candidate in tried:
        candidate.path.unlink(missing_ok=True)
    return describe(chosen, tried, floor, budget, len(fit), len(held_out))


def calibrate(src: Path, samples: Sequence[Feed]) -> dict[str, Any]:
    """Each tensor's range: the min and max over every sample (not ai-edge-quantizer's moving average)."""
    calibrator = require("ai_edge_quantizer.calibrator", EXTRA)
    qsv_utils = require("ai_edge_quantizer.utils.qsv_utils", EXTRA)
    manager = require("ai_edge_quantizer.recipe_manager", EXTRA).RecipeManager()
    manager.load_quantization_recipe(require("ai_edge_quantizer.recipe", EXTRA).static_wi8_ai8())
    calib = calibrator.Calibrator(src.read_bytes(), num_threads=1, qsv_update_func=qsv_utils.min_max_update)
    calib.calibrate({SIGNATURE: [dict(s) for s in samples]}, manager)
    ranges: dict[str, Any] = calib.get_model_qsvs()
    return ranges


def operators(src: Path) -> list[Op]:
    """The main subgraph's operators in execution order after its virtual INPUT op, with their multiply-accumulates
    (weighted ops: output elements x weights per output channel; other ops: output elements)."""
    fb = require("ai_edge_quantizer.utils.tfl_flatbuffer_utils", EXTRA)
    model = fb.read_model(src)
    graph = model.subgraphs[0]
    # the model's inputs are quantized by a virtual INPUT op: kept float with the ops after it, the model takes floats
    feed, _ = fb.get_subgraph_input_output_operators(graph)
    ops = [Op(-1, "INPUT", fb.get_op_scope(feed, graph.tensors), 0)]
    for index, op in enumerate(graph.operators):
        kind = fb.TFL_OP_CODE_TO_NAME.get(model.operatorCodes[op.opcodeIndex].builtinCode, "CUSTOM")
        kind = getattr(kind, "value", kind)
        outputs = [graph.tensors[i] for i in op.outputs if i >= 0]
        elements = sum(int(np.prod(t.shape)) if t.shape is not None else 0 for t in outputs)
        shapes = [[] if i < 0 or graph.tensors[i].shape is None else list(graph.tensors[i].shape) for i in op.inputs]
        ops.append(Op(index, str(kind), fb.get_op_scope(op, graph.tensors), _macs(str(kind), elements, shapes)))
    return ops


def _macs(kind: str, elements: int, inputs: Sequence[Sequence[int]]) -> int:
    """Output elements x the products summed into each: a convolution's or fully connected layer's weights per
    output channel, a batch matmul's inner dimension; 1 for other ops."""
    if kind not in WEIGHTED or len(inputs) < 2 or not inputs[1] or not inputs[0]:
        return elements
    if kind == "BATCH_MATMUL":
        return elements * int(inputs[0][-1])
    weight = inputs[1]
    channels = weight[3] if kind == "DEPTHWISE_CONV_2D" and len(weight) > 3 else weight[0]
    return elements * int(np.prod(weight)) // max(int(channels), 1)


def prefixes(ops: Sequence[Op]) -> list[tuple[Op, ...]]:
    """The ops to keep float, try by try: none, then every op up to and including the 1st, 2nd, ... weighted op."""
    cuts = [i + 1 for i, op in enumerate(ops) if op.kind in WEIGHTED]
    return [(), *(tuple(ops[:cut]) for cut in cuts)]


def _export(src: Path, out: Path, ranges: Mapping[str, Any], float_ops: Sequence[Op]) -> None:
    quantizer = require("ai_edge_quantizer.quantizer", EXTRA)
    recipe = require("ai_edge_quantizer.recipe", EXTRA)
    manager = require("ai_edge_quantizer.recipe_manager", EXTRA).RecipeManager()
    manager.load_quantization_recipe(recipe.static_wi8_ai8())
    for op in float_ops:
        manager.add_quantization_config(
            regex=f"^{re.escape(op.scope)}$",
            operation_name=recipe.TFLOperationName.ALL_SUPPORTED,
            algorithm_key=recipe.AlgorithmName.NO_QUANTIZE,
        )
    q = quantizer.Quantizer(str(src))
    q.load_quantization_recipe(manager.get_quantization_recipe())
    q.quantize(dict(ranges), enable_progress_bar=False, enable_progress_report=False).export_model(
        str(out), overwrite=True
    )
    repair_signature(out)


def repair_signature(path: Path) -> int:
    """Point the signature at the tensors the graph really takes and gives; returns how many entries moved.

    ai-edge-quantizer requantizes an output whose range differs from its producer's (a KV cache's present keys and
    values, also read by the attention) into a new graph output through a QUANTIZE op, but leaves the SignatureDef
    naming the intermediate tensor. LiteRT's signature runner then reads a tensor that XNNPACK never materializes
    ("Tensor data is null"): the build would not run in an app. Each such entry is moved to the graph output
    that QUANTIZE op makes (and an input to the graph input requantized into it)."""
    fb = require("ai_edge_litert.tools.flatbuffer_utils", EXTRA)
    quantize_op = require("ai_edge_litert.schema_py_generated", EXTRA).BuiltinOperator.QUANTIZE
    model = fb.read_model(str(path))
    moved = 0
    for sig in model.signatureDefs or []:
        graph = model.subgraphs[sig.subgraphIndex]
        outputs, inputs = set(graph.outputs), set(graph.inputs)
        quantize = [
            op
            for op in graph.operators
            if fb.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex]) == quantize_op
            and len(op.inputs) == 1
            and len(op.outputs) == 1
        ]
        into = {int(op.inputs[0]): int(op.outputs[0]) for op in quantize if int(op.outputs[0]) in outputs}
        from_ = {int(op.outputs[0]): int(op.inputs[0]) for op in quantize if int(op.inputs[0]) in inputs}
        for entry in sig.outputs or []:
            if entry.tensorIndex not in outputs and entry.tensorIndex in into:
                entry.tensorIndex, moved = into[entry.tensorIndex], moved + 1
        for entry in sig.inputs or []:
            if entry.tensorIndex not in inputs and entry.tensorIndex in from_:
                entry.tensorIndex, moved = from_[entry.tensorIndex], moved + 1
    if moved:
        fb.write_model(model, str(path))
    return moved


def _best(tried: Sequence[Candidate]) -> Candidate:
    """The highest held-out cosine; the fewer float ops on a tie."""
    return max(tried, key=lambda c: (c.cosine if c.cosine is not None else -2.0, -len(c.float_ops)))


def describe(
    chosen: Candidate, tried: Sequence[Candidate], floor: float, budget: float, fitted: int, held_out: int
) -> dict[str, Any]:
    """What the build records: the scheme in words, the calibration, what was kept float and why."""
    weighted = [op for op in chosen.float_ops if op.kind in WEIGHTED]
    real = [op for op in chosen.float_ops if op.index >= 0]
    scheme = f"static full-integer: int8 weights (per channel), int8 activations ({RANGES})"
    if chosen.float_ops:
        scheme += (
            f"; the first {len(weighted)} weighted ops ({len(real)} ops, {chosen.float_share:.1%} of the "
            f"multiply-accumulates) kept float32, inputs float32"
        )
    met = chosen.cosine is None or chosen.cosine >= floor
    return {
        "scheme": scheme,
        "calibration": {"ranges": RANGES, "samples": fitted, "held_out_samples": held_out},
        "kept_float": [op.kept() for op in chosen.float_ops],
        "float_mac_share": round(chosen.float_share, 4),
        "held_out_cosine": chosen.cosine,
        "min_cosine": floor,
        "max_float_share": budget,
        "min_cosine_met": met if held_out else None,
        "tried": [
            {
                "float_ops": sum(op.index >= 0 for op in c.float_ops),
                "float_mac_share": round(c.float_share, 4),
                "held_out_cosine": c.cosine,
            }
            for c in tried
        ],
    }
