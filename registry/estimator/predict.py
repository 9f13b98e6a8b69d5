"""Predict latency, peak memory and the compute-unit split of an ONNX graph on a catalog device.

Reads only package data (``data/params.json``, written by ``python -m registry.estimator.fit``); after the graph
is analysed once, each device costs a few arithmetic operations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput
from registry.estimator.model import device_share, features, log_latency, precision_class
from registry.vocab import ESTIMATED, ONNX, PRECOMPILED_QNN_ONNX, TFLITE

# ONNX ops the Qualcomm QNN HTP (NPU) backend runs, from the onnxruntime QNN execution provider's documented
# op-support list (docs/execution-providers/QNN-ExecutionProvider.md, "Supported ONNX operators"); a documented
# table, not a measurement. Ops outside it fall back to the CPU in the onnx runtime. Shape-only ops are folded.
NPU_OPS = frozenset(
    {
        "Abs",
        "Add",
        "And",
        "ArgMax",
        "ArgMin",
        "Asin",
        "Atan",
        "AveragePool",
        "BatchNormalization",
        "Cast",
        "Ceil",
        "Clip",
        "Concat",
        "Conv",
        "ConvTranspose",
        "Cos",
        "CumSum",
        "DepthToSpace",
        "DequantizeLinear",
        "Div",
        "Einsum",
        "Elu",
        "Equal",
        "Erf",
        "Exp",
        "Expand",
        "Flatten",
        "Floor",
        "Gather",
        "GatherElements",
        "GatherND",
        "Gelu",
        "Gemm",
        "GlobalAveragePool",
        "GlobalMaxPool",
        "Greater",
        "GreaterOrEqual",
        "GridSample",
        "HardSigmoid",
        "HardSwish",
        "Identity",
        "InstanceNormalization",
        "LayerNormalization",
        "LeakyRelu",
        "Less",
        "LessOrEqual",
        "Log",
        "LogSoftmax",
        "LpNormalization",
        "LRN",
        "MatMul",
        "Max",
        "MaxPool",
        "Mean",
        "Min",
        "Mod",
        "Mul",
        "Neg",
        "Not",
        "Or",
        "Pad",
        "Pow",
        "PRelu",
        "QuantizeLinear",
        "Reciprocal",
        "ReduceMax",
        "ReduceMean",
        "ReduceMin",
        "ReduceProd",
        "ReduceSum",
        "ReduceL2",
        "Relu",
        "Reshape",
        "Resize",
        "Round",
        "ScatterND",
        "Sigmoid",
        "Sign",
        "Sin",
        "Slice",
        "Softmax",
        "SpaceToDepth",
        "Split",
        "Sqrt",
        "Squeeze",
        "Sub",
        "Sum",
        "Tanh",
        "Tile",
        "TopK",
        "Transpose",
        "Unsqueeze",
        "Upsample",
        "Where",
        "Xor",
        "Shape",
        "Constant",
        "ConstantOfShape",
        "Range",
        "MatMulNBits",
        "GroupNormalization",
        "RMSNormalization",
        "SimplifiedLayerNormalization",
        "Softplus",
        "Mish",
    }
)
OP_TABLE_SOURCE = "documented op-support table (onnxruntime QNN execution provider, HTP backend)"


@cache
def load_params() -> dict[str, Any]:
    text = resources.files("registry.estimator.data").joinpath("params.json").read_text(encoding="utf-8")
    params: dict[str, Any] = json.loads(text)
    return params


def estimator_version() -> str:
    return str(load_params()["estimator_version"])


def device_term(
    params: Mapping[str, Any], chipset: str, pclass: str, arch: str | None, runtime: str, x: Mapping[str, float]
) -> tuple[float, float, bool]:
    """(log-scale device share for this graph, runtime and precision class, error_pct, calibrated) for a chipset;
    uncalibrated chipsets get the median share of the calibrated ones of the same NPU architecture (else of all)
    and the validated error of that fallback."""
    import statistics

    from registry.devices import load_device_specs

    devices: Mapping[str, Any] = params["device"]

    def share(d: Mapping[str, Any]) -> float:
        return device_share(d, x, runtime, pclass)

    if chipset in devices:
        return share(devices[chipset]), float(devices[chipset]["error_pct"]), True
    arch_of = {s.chipset: s.npu_arch for s in load_device_specs()}
    same = [c for c in devices if arch and arch_of.get(c) == arch]
    pool = same or list(devices)
    term = statistics.median(share(devices[c]) for c in pool)
    return term, float(params["uncalibrated_error_pct"]), False


def compute_units(summary: Mapping[str, Any], runtime: str, pclass: str, chipset: str | None = None) -> dict[str, Any]:
    """The compute-unit split: the published layer shares for this runtime and precision (all calibration models),
    the op types of this graph that the documented NPU op table does not cover (they run on the CPU), and how often
    published profiles of graphs like this one (with or without transformer ops) ran layers on the CPU on this
    chipset, runtime and precision."""
    from registry.estimator.model import has_transformer_ops

    params = load_params()
    table = params["compute_units"].get(runtime, {}).get(pclass)
    by_op: Mapping[str, Any] = summary.get("by_op", {})
    fallback = sorted(op for op in by_op if op not in NPU_OPS)
    fallback_nodes = sum(int(by_op[op]) for op in fallback)
    total = max(int(summary.get("node_count", 0)), 1)
    kind = "transformer" if has_transformer_ops(summary) else "other"
    seen = params.get("cpu_fallback", {}).get(chipset or "", {}).get(runtime, {}).get(pclass, {})
    cpu_share = seen.get(kind)
    if runtime in (TFLITE, PRECOMPILED_QNN_ONNX) or runtime.startswith("qnn"):
        primary = "NPU"
    else:
        primary = "NPU" if fallback_nodes / total < 0.5 else "CPU"
    if primary == "NPU" and cpu_share is not None and cpu_share >= 0.5:
        primary = "NPU+CPU"
    return {
        "primary": primary,
        "published_layer_share": table,
        "published_source": "median layer shares of published AI Hub profiles for this runtime and precision",
        "fallback_ops": fallback,
        "fallback_nodes": fallback_nodes,
        "npu_node_share": round(1 - fallback_nodes / total, 4),
        "op_table": OP_TABLE_SOURCE,
        "published_cpu_fallback_share": cpu_share,
        "published_cpu_fallback_of": f"{kind} graphs on this chipset, runtime and precision",
    }


def peak_memory_mb(
    params: Mapping[str, Any], summary: Mapping[str, Any], runtime: str, pclass: str, chipset: str | None = None
) -> float:
    from registry.estimator.model import WEIGHT_BYTES

    mem = params["memory"]
    x = features(summary)
    weights_mb = x["params"] * 100 * WEIGHT_BYTES[pclass]
    act_mb = float(summary.get("peak_activation_bytes", 0)) / 1e6
    intercept = float(mem["intercept"].get(runtime, mem["intercept"][ONNX]))
    intercept += float(mem.get("device", {}).get(chipset or "", 0.0))
    return math.exp(
        intercept
        + float(mem["log_weights_mb"]) * math.log1p(weights_mb)
        + float(mem["log_activations_mb"]) * math.log1p(act_mb)
    )


def estimate_summary(summary: Mapping[str, Any], device: str, precision: str, runtime: str = ONNX) -> dict[str, Any]:
    """The estimate for one graph cost summary on one device (any name the device catalog resolves)."""
    from registry.devices import resolve_device_spec

    spec = resolve_device_spec(device)
    return _estimate(summary, spec, precision, runtime)


def _estimate(summary: Mapping[str, Any], spec: Any, precision: str, runtime: str) -> dict[str, Any]:
    params = load_params()
    pclass = precision_class(precision)
    if runtime not in params["runtime"]:
        raise InvalidInput(f"Unknown runtime '{runtime}'.", hint=f"Use one of: {', '.join(params['runtime'])}.")
    x = features(summary)
    term, error_pct, calibrated = device_term(params, spec.chipset, pclass, spec.npu_arch, runtime, x)
    latency = math.exp(log_latency(params, x, term, runtime, pclass))
    return {
        "device": spec.slug,
        "chipset": spec.chipset,
        "marketing_name": spec.marketing_name,
        "precision": precision,
        "runtime": runtime,
        "latency_ms": round(latency, 4),
        "peak_memory_mb": round(peak_memory_mb(params, summary, runtime, pclass, spec.chipset), 2),
        "compute_units": compute_units(summary, runtime, pclass, spec.chipset),
        "estimator_version": params["estimator_version"],
        "error_pct": error_pct,
        "memory_error_pct": params["memory_error_pct"],
        "calibrated": calibrated,
        "provenance": ESTIMATED,
    }


def estimate_graph(cost: Any, device: str, precision: str, runtime: str = ONNX) -> dict[str, Any]:
    """``estimate_summary`` for a ``GraphCost``."""
    return estimate_summary(cost.summary(), device, precision, runtime)


def estimate_all_devices(cost: Any, precision: str, runtime: str = ONNX) -> list[dict[str, Any]]:
    """One estimate per catalog device, in catalog order."""
    from registry.devices import load_device_specs

    summary = cost.summary()
    return [_estimate(summary, spec, precision, runtime) for spec in load_device_specs()]


def estimate_benchmarks(
    files: Mapping[str | None, Path],
    precision: str,
    devices: Sequence[str] | None = None,
    runtime: str = ONNX,
) -> list[dict[str, Any]]:
    """Benchmark entries (the publish manifest's ``BenchmarkEntry`` shape) for every (component, device): each
    graph is analysed once, then every device is arithmetic. ``devices`` None means every catalog device."""
    from registry.estimator.graphcost import analyze_onnx

    summaries = {component: analyze_onnx(path).summary() for component, path in files.items()}
    return benchmarks_from_summaries(summaries, precision, devices, runtime)


def benchmarks_from_summaries(
    summaries: Mapping[str | None, Mapping[str, Any]],
    precision: str,
    devices: Sequence[str] | None = None,
    runtime: str = ONNX,
) -> list[dict[str, Any]]:
    """``estimate_benchmarks`` from graph cost summaries (``GraphCost.summary()``) already computed, e.g. cached by
    the ingest pipeline for a build it has analysed before."""
    from registry.devices import load_device_specs, resolve_device_spec

    specs = [resolve_device_spec(d) for d in devices] if devices is not None else load_device_specs()
    version = estimator_version()
    out: list[dict[str, Any]] = []
    for component, summary in summaries.items():
        for spec in specs:
            est = _estimate(summary, spec, precision, runtime)
            out.append(
                {
                    "device": spec.chipset,
                    "provenance": ESTIMATED,
                    "source": f"estimator {version}",
                    "component": component,
                    "latency_ms": est["latency_ms"],
                    "peak_memory_mb": est["peak_memory_mb"],
                    "error_pct": est["error_pct"],
                    "compute_units": est["compute_units"],
                    "details": {
                        "estimator_version": version,
                        "precision": precision,
                        "runtime": runtime,
                        "calibrated_device": est["calibrated"],
                        "memory_error_pct": est["memory_error_pct"],
                        "macs": summary["macs"],
                        "params": summary.get("param_elements"),
                        # the graph's estimator inputs: what re-derives this estimate from an anchor later
                        "features": {k: round(v, 9) for k, v in features(summary).items()},
                    },
                }
            )
    return out
