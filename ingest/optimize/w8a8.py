"""w8a8: 8-bit weights and activations, static QDQ with calibration (see ``static`` for the recipe).

The default target is ``npu`` (the QNN QDQ layout: one file for ONNX Runtime's QNN execution provider and the host
CPU), except for transformer graphs (see ``TRANSFORMER_CPU_REASON``). Transformer graphs on the CPU target choose
between static QDQ of the weighted MatMul/Gemm layers and dynamic INT8 by measured held-out fidelity (see
``transformer``); the NPU target always gets static QDQ.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from ingest.optimize import static, transformer
from ingest.optimize.base import Job

OPTIONS: Final = static.OPTIONS | transformer.OPTIONS


# Why a transformer graph's w8a8 build keeps the CPU layout unless a recipe asks for target: npu.
TRANSFORMER_CPU_REASON: Final = (
    "transformer graph: the QNN layout's static per-tensor w8a8 measured cosine < 0.9 on MiniLM, so the default keeps "
    "the measured CPU scheme (set target: npu for the QNN layout; w8a16 is the NPU precision for transformers)"
)


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    reason = transformer.detect(job.model)
    if "target" not in job.options and reason is not None:
        path, details = transformer.run(replace(job, options={**job.options, "target": "cpu"}), reason)
        return path, {**details, "target_reason": TRANSFORMER_CPU_REASON}
    if static.default_target(job) == "cpu" and reason is not None:
        return transformer.run(job, reason)
    return static.run(job, static.W8A8)
