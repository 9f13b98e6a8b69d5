"""w8a8: 8-bit weights and activations, static QDQ with calibration (see ``static`` for the recipe).

Transformer graphs on the CPU target choose between static QDQ of the weighted MatMul/Gemm layers and
dynamic INT8 by measured held-out fidelity (see ``transformer``); the NPU target always gets static QDQ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ingest.optimize import static, transformer
from ingest.optimize.base import Job

OPTIONS: Final = static.OPTIONS | transformer.OPTIONS


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    if job.choice("target", "cpu", static.TARGETS) == "cpu":
        reason = transformer.detect(job.model)
        if reason is not None:
            return transformer.run(job, reason)
    return static.run(job, static.W8A8)
