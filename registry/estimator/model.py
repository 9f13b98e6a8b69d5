"""The estimator's functional form, shared by fitting and prediction (plain Python, no numpy).

    log(latency_ms) = device[chipset] + device_pc[chipset, pclass] + device_rt[chipset, runtime, pclass]
                      + slope[chipset, pclass] . slope_terms(graph)
                      + runtime[runtime, pclass] + beta[pclass] . terms(graph)
                      + context[runtime, pclass] . context_terms(graph)

``terms`` are the logs of the graph's work (MACs, vector FLOPs, a cost per node, its input and output tensors and
its activations too large for on-chip memory, in GMAC-equivalents), of its parameter count and of its input and
output size; ``slope_terms`` are the work and I/O terms again, whose weight each chipset adjusts (chipsets differ in
compute against memory bandwidth); ``context_terms`` are graph properties whose cost depends on the runtime
(transformer ops, volumetric convolutions); ``pclass`` is the precision class. In log space the device and runtime
terms are scale factors on a model term the graph decides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

FEATURES = (
    "overhead", "nodes", "conv", "dwconv", "matmul", "attention", "vector", "act", "params", "xformer", "conv3d",
    "io", "large_act",
)  # fmt: skip
PRECISION_CLASSES = ("float", "w8a8", "a16")

# Precision names (the registry's and AI Hub's) -> the class the estimator calibrates.
_PRECISION_CLASS = {
    "float": "float", "fp32": "float", "fp16": "float",
    "w8a8": "w8a8", "int8": "w8a8", "w8a8_mixed_int16": "w8a8",
    "w8a16": "a16", "w16a16": "a16", "w4a16": "a16", "w4": "a16", "int4": "a16", "mixed": "a16",
    "w8a16_mixed_int16": "a16", "w8a16_mixed_fp16": "a16",
}  # fmt: skip
# Bytes per weight of each precision class (for the memory estimate).
WEIGHT_BYTES = {"float": 2.0, "w8a8": 1.0, "a16": 1.0}
_NON_COMPUTE = ("quant", "movement")
# Transformer-block ops (layer norm, GELU): in AI Hub's published profiles, quantized onnx-runtime builds of every
# graph holding them run partly on the CPU (layers_cpu > 0) even on chipsets that keep CNNs wholly on the NPU.
TRANSFORMER_OPS = frozenset(
    {"LayerNormalization", "Erf", "Gelu", "FastGelu", "BiasGelu", "SkipLayerNormalization",
     "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization"}
)  # fmt: skip


def has_transformer_ops(summary: Mapping[str, Any]) -> bool:
    """Whether a graph cost summary holds transformer-block ops (``TRANSFORMER_OPS``)."""
    return any(op in TRANSFORMER_OPS for op in summary.get("by_op", {}))


def _macs(x: Mapping[str, float]) -> float:
    return x["conv"] + x["dwconv"] + x["matmul"] + x["attention"]


def precision_class(precision: str) -> str:
    from registry.errors import InvalidInput

    key = precision.strip().lower()
    if key not in _PRECISION_CLASS:
        raise InvalidInput(
            f"Unknown precision '{precision}'.",
            hint="Use one of: float, fp16, w8a8, w8a16, w4a16, mixed (fp32, int8, int4 are accepted too).",
        )
    return _PRECISION_CLASS[key]


def features(summary: Mapping[str, Any]) -> dict[str, float]:
    """The estimator's inputs from a graph cost summary (``GraphCost.summary()``), in units near 1."""
    by_class: Mapping[str, Mapping[str, float]] = summary.get("by_class", {})

    def total(cls: str, key: str) -> float:
        return float(by_class.get(cls, {}).get(key, 0))

    compute_nodes = sum(float(v.get("nodes", 0)) for k, v in by_class.items() if k not in _NON_COMPUTE)
    movement_nodes = total("movement", "nodes")
    act = sum(float(v.get("act_bytes", 0)) for k, v in by_class.items() if k != "quant")
    params = float(summary.get("param_elements") or summary.get("param_bytes", 0) / 4)
    return {
        "overhead": 1.0,
        "nodes": (compute_nodes + 0.25 * movement_nodes) / 100,
        "conv": total("conv", "macs") / 1e9,
        "dwconv": total("dwconv", "macs") / 1e9,
        "matmul": total("matmul", "macs") / 1e9,
        "attention": total("attention", "macs") / 1e9,
        "vector": sum(total(c, "flops") for c in ("norm", "elementwise", "pool")) / 1e9,
        "act": act / 1e8,
        "params": params / 1e8,
        "xformer": 1.0 if has_transformer_ops(summary) else 0.0,
        "conv3d": float(summary.get("conv3d_macs", 0)) / 1e9,
        "io": (_elements(summary.get("inputs", {})) + _elements(summary.get("outputs", {}))) / 1e6,
        "large_act": float(summary.get("large_activation_elements", 0)) / 1e6,
    }


def _elements(tensors: Mapping[str, Any]) -> float:
    """Elements of a graph's input or output tensors (unknown and symbolic dimensions count as 1)."""
    return float(sum(math.prod(max(int(d), 1) if isinstance(d, int) else 1 for d in shape or []) for shape in
                     tensors.values()))  # fmt: skip


# The graph's work in GMAC-equivalents: MACs, vector FLOPs at VECTOR_COST each (the NPU's vector units are slower
# than its tensor units), a fixed cost per node of NODE_COST GMACs per 100 nodes (dispatch and synchronisation;
# what makes small graphs slower than their MACs say), IO_COST GMACs per million elements of the graph's inputs and
# outputs (copied, converted and quantized at the NPU's boundary) and LARGE_ACT_COST per million elements of the
# activations too large for on-chip memory (streamed through DRAM). Chosen by leave-one-family-out validation.
VECTOR_COST, NODE_COST, IO_COST, LARGE_ACT_COST = 4.0, 1.0, 1.0, 0.1

TERMS = ("intercept", "log_work", "log_params", "log_io")
SLOPE_TERMS = ("log_work", "log_io")  # their weight is adjusted per chipset and precision class


def terms(x: Mapping[str, float]) -> dict[str, float]:
    """The regression terms of the model term: the log of the graph's work (GMAC-equivalents), of its weights
    (weight traffic) and of its input and output elements. More terms (activation traffic, node count, MAC shares by
    op class, MACs padded to the NPU's 32-channel tiles) were tried: each made leave-one-family-out predictions worse
    (docs/estimator.md)."""
    work = (
        _macs(x) + VECTOR_COST * x["vector"] + NODE_COST * x["nodes"] + IO_COST * x.get("io", 0.0)
        + LARGE_ACT_COST * x.get("large_act", 0.0)
    )  # fmt: skip
    return {
        "intercept": 1.0,
        "log_work": math.log(work + 0.01),
        "log_params": math.log(x["params"] + 0.001),
        "log_io": math.log(x.get("io", 0.0) + 0.01),
    }


# Graph terms whose effect depends on the runtime and precision class (fitted per runtime and class): transformer
# ops (CPU fallback under quantized onnx) and the share of MACs in volumetric convolutions (slow under tflite).
CONTEXT_TERMS = ("xformer", "conv3d_share")


def context_terms(x: Mapping[str, float]) -> dict[str, float]:
    return {"xformer": x.get("xformer", 0.0), "conv3d_share": min(x.get("conv3d", 0.0) / max(_macs(x), 1e-9), 1.0)}


def device_share(device: Mapping[str, Any], x: Mapping[str, float], runtime: str, pclass: str) -> float:
    """A calibrated chipset's whole share of log(latency) for this graph, runtime and precision class:
    device + device_pc + device_rt + slope . slope_terms (``device`` is its entry in params.json)."""
    t = terms(x)
    slope = device.get("slope", {}).get(pclass, {})
    rt = device.get("rt", {}).get(runtime, {}).get(pclass, 0.0)
    return (
        float(device["term"]) + float(device["pc"][pclass]) + float(rt)
        + sum(float(slope.get(k, 0.0)) * t[k] for k in SLOPE_TERMS)
    )  # fmt: skip


def log_latency(
    params: Mapping[str, Any], x: Mapping[str, float], device_term: float, runtime: str, pclass: str
) -> float:
    """log(latency ms) = device term + runtime term + beta[pclass] . terms(graph)
    + context[runtime, pclass] . context_terms(graph); ``device_term`` is the device's whole share
    (``device_share``)."""
    beta = params["beta"][pclass]
    runtime_term = params["runtime"].get(runtime, {}).get(pclass, 0.0)
    gamma = params.get("context", {}).get(runtime, {}).get(pclass, {})
    t, ct = terms(x), context_terms(x)
    return (
        device_term
        + float(runtime_term)
        + sum(float(beta[k]) * t[k] for k in TERMS)
        + sum(float(gamma.get(k, 0.0)) * ct[k] for k in CONTEXT_TERMS)
    )
