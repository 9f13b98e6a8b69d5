"""mixed: w8a8 with the most error-sensitive layers kept in float until an accuracy budget is met.

1. Quantize w8a8 as usual (calibration method chosen by measured error). If it meets the budget, done.
2. Sensitivity: for each weighted layer (Conv, ConvTranspose, Gemm, MatMul), quantize everything but that
   layer and measure the output SQNR gain over full w8a8 on a few held-out samples. Calibration ranges come
   from the cache of step 1, so each trial is a graph rewrite plus a short run (no re-calibration).
3. Keep layers in float (``nodes_to_exclude``), most sensitive first, re-measuring on the whole held-out
   slice after each, until the budget is met or ``max_float_layers`` are kept.

The budget (option ``mixed_budget``) is a mapping of fidelity floors, all of which must hold:
``{"sqnr_db": 30.0}`` by default; ``cosine`` and ``psnr_db`` are accepted too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ingest.optimize import graph, static
from ingest.optimize.base import Job
from registry.errors import InvalidInput

OPTIONS: Final = static.OPTIONS | {
    "mixed_budget",
    "max_float_layers",
    "sensitivity_samples",
    "mixed_time_budget_s",
}
DEFAULT_BUDGET: Final = {"sqnr_db": 30.0}
BUDGET_KEYS: Final = ("sqnr_db", "cosine", "psnr_db")


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    budget = _budget(job)
    prepared = static.prepare(job)
    base, chosen = static.choose_method(job, prepared, static.W8A8)
    details: dict[str, Any] = {
        **static.describe_scheme(prepared, static.W8A8, job),
        **prepared.details,
        **chosen,
        "method": "static_qdq_mixed",
        "mixed_budget": budget,
        "errors_all_quantized": base.errors,
    }
    candidates = weighted_layers(graph.load(prepared.path))
    limit = int(job.number("max_float_layers", max(1, math.ceil(0.25 * len(candidates))), minimum=0))
    if meets(base.errors, budget) or not candidates or limit == 0:
        details.update(kept_float=[], fidelity=base.errors, budget_met=meets(base.errors, budget))
        return base.path, details

    time_budget = job.number("mixed_time_budget_s", 300.0, minimum=0.0)
    deadline = time.perf_counter() + time_budget
    samples = int(job.number("sensitivity_samples", 4, minimum=1))
    gains = sensitivity(job, prepared, base, candidates, samples, deadline)
    ranked = sorted(gains, key=lambda name: gains[name], reverse=True)
    # Layers whose sensitivity was not measured in time go last, in graph order.
    ranked += [name for name in candidates if name not in gains]

    kept: list[str] = []
    best_path, best_errors = base.path, base.errors
    for name in ranked[:limit]:
        if time.perf_counter() > deadline:
            details["stopped_early"] = f"mixed_time_budget_s={time_budget:.0f} reached"
            break
        trial = [*kept, name]
        out = job.scratch / f"mixed-{len(trial)}.onnx"
        static.quantize(job, prepared, static.W8A8, base.method, out, cache=base.cache, exclude=trial)
        errors = static.measure(out, prepared)
        kept, best_path, best_errors = trial, out, errors
        if meets(errors, budget):
            break
    details.update(
        kept_float=[{"node": name, "op_type": candidates[name], "sqnr_gain_db": gains.get(name)} for name in kept],
        layers_quantizable=len(candidates),
        sensitivity_measured=len(gains),
        sensitivity_samples=min(samples, len(prepared.held_out)),
        fidelity=best_errors,
        budget_met=meets(best_errors, budget),
    )
    return best_path, details


def weighted_layers(model: Any) -> dict[str, str]:
    """Node name -> op type, for nodes with a constant weight input, in graph order."""
    initializers = {t.name for t in model.graph.initializer}
    return {
        node.name: node.op_type
        for node in model.graph.node
        if node.op_type in graph.WEIGHTED_OPS and any(name in initializers for name in node.input[1:2])
    }


def sensitivity(
    job: Job,
    prepared: static.Prepared,
    base: static.Quantized,
    candidates: Mapping[str, str],
    samples: int,
    deadline: float,
) -> dict[str, float]:
    """SQNR gain (dB) from keeping each layer alone in float, as many layers as time allows."""
    reference = static.measure(base.path, prepared, samples)["sqnr_db"]
    gains: dict[str, float] = {}
    for index, name in enumerate(candidates):
        if time.perf_counter() > deadline:
            break
        out = job.scratch / f"sensitivity-{index}.onnx"
        static.quantize(job, prepared, static.W8A8, base.method, out, cache=base.cache, exclude=[name])
        gains[name] = round(static.measure(out, prepared, samples)["sqnr_db"] - reference, 3)
        out.unlink(missing_ok=True)
    return gains


def meets(errors: Mapping[str, float], budget: Mapping[str, float]) -> bool:
    return all(errors[key] >= floor for key, floor in budget.items())


def _budget(job: Job) -> dict[str, float]:
    raw = job.option("mixed_budget", DEFAULT_BUDGET)
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput(
            f"mixed_budget must be a mapping of fidelity floors, got {raw!r}.",
            hint='For example {"sqnr_db": 30.0} or {"cosine": 0.999}.',
        )
    budget: dict[str, float] = {}
    for key, value in raw.items():
        if key not in BUDGET_KEYS or isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(
                f"mixed_budget entry {key}={value!r} is not understood.",
                hint=f"Keys: {', '.join(BUDGET_KEYS)}, each with a number (the minimum to reach).",
            )
        budget[key] = float(value)
    return budget
