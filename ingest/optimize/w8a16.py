"""w8a16: 8-bit weights, 16-bit activations, static QDQ with calibration.

Host onnxruntime (CPU EP) runs these models correctly but through float kernels (16-bit QuantizeLinear /
DequantizeLinear at opset 21 around float ops), so they are no faster than FP32 on the host: the
precision is for NPUs: by default it has the QNN HTP layout (uint16 activations, uint8 weights); ``target="cpu"``
gives onnxruntime's CPU layout (QInt8 weights per channel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ingest.optimize import static
from ingest.optimize.base import Job

OPTIONS: Final = static.OPTIONS


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    path, details = static.run(job, static.W8A16)
    details["host_runtime_note"] = "runs on onnxruntime CPU through float kernels; expect no host speed-up"
    return path, details
