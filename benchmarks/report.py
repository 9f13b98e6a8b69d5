"""How each benchmark hands a figure to ``make bench`` (``benchmarks/run_all.py``): one JSON line per figure,
appended to the file named by ``BENCH_RESULTS`` (nothing is written when it is unset, so a benchmark run by hand
only prints). Every figure says what it compares, its target and whether it was met, measured in this run.

    record("quantize_int8", "mobilenet-v2 w8a8 vs fp32, 1 thread", 1.78, target=">= 1.8", met=False,
           baseline="fp32 p50 7.04 ms", ours="w8a8 p50 3.95 ms")
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

RESULTS_ENV = "BENCH_RESULTS"


def at_least(value: float, target: float) -> tuple[str, bool]:
    return f">= {target:g}", value >= target


def at_most(value: float, target: float) -> tuple[str, bool]:
    return f"<= {target:g}", value <= target


def record(
    benchmark: str,
    name: str,
    value: float,
    *,
    target: tuple[str, bool] | None = None,
    unit: str = "x",
    baseline: str = "",
    ours: str = "",
    note: str = "",
) -> dict[str, Any]:
    """One figure: ``value`` (a ratio unless ``unit`` says otherwise) and ``target`` as made by ``at_least`` or
    ``at_most`` (None: reported, no target)."""
    row = {
        "benchmark": benchmark,
        "name": name,
        "value": round(float(value), 4),
        "unit": unit,
        "target": target[0] if target else None,
        "met": target[1] if target else None,
        "baseline": baseline,
        "ours": ours,
        "note": note,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
    return row
