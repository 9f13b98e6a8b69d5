"""The estimator's functional form, shared by fitting and prediction (plain Python, no numpy).

    log(latency_ms) = device[chipset] + device_pc[chipset, pclass] + runtime[runtime, pclass]
                      + beta[pclass] . terms(graph)

``terms`` are logs of the graph's size (MACs, nodes, activation traffic, parameters, vector FLOPs) and the share
of MACs per op class (conv, depthwise, matmul, attention); ``pclass`` is the precision class. In log space the
device and runtime terms are per-device and per-runtime scale factors on a model term only the graph decides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

FEATURES = ("overhead", "nodes", "conv", "dwconv", "matmul", "attention", "vector", "act", "params")
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
    }


TERMS = (
    "intercept",
    "log_macs",
    "log_nodes",
    "log_act",
    "log_params",
    "log_vector",
    "conv_share",
    "dwconv_share",
    "matmul_share",
    "attention_share",
)


def terms(x: Mapping[str, float]) -> dict[str, float]:
    """The regression terms of the model term: logs of the graph's size and the MAC shares by op class."""
    macs = x["conv"] + x["dwconv"] + x["matmul"] + x["attention"]
    share = max(macs, 1e-9)
    return {
        "intercept": 1.0,
        "log_macs": math.log(macs + 0.01),
        "log_nodes": math.log(x["nodes"] + 0.05),
        "log_act": math.log(x["act"] + 0.01),
        "log_params": math.log(x["params"] + 0.001),
        "log_vector": math.log(x["vector"] + 0.001),
        "conv_share": x["conv"] / share,
        "dwconv_share": x["dwconv"] / share,
        "matmul_share": x["matmul"] / share,
        "attention_share": x["attention"] / share,
    }


def log_latency(
    params: Mapping[str, Any], x: Mapping[str, float], device_term: float, runtime: str, pclass: str
) -> float:
    """log(latency ms) = device term + runtime term + beta[pclass] . terms(graph)."""
    beta = params["beta"][pclass]
    runtime_term = params["runtime"].get(runtime, {}).get(pclass, 0.0)
    t = terms(x)
    return device_term + float(runtime_term) + sum(float(beta[k]) * t[k] for k in TERMS)
