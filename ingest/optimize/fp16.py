"""fp16: float16 weights and compute with float32 inputs and outputs (onnxconverter-common).

Halves the size; onnxruntime's CPU EP runs it slower than FP32 (it inserts casts), so it targets GPUs/NPUs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ingest.errors import UnsupportedPrecision
from ingest.optimize import graph
from ingest.optimize.base import Job
from registry.errors import require

OPTIONS: Final = frozenset({"op_block_list"})


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    float16 = require("onnxconverter_common.float16", "ml")
    block_list = job.option("op_block_list", None)
    kwargs: dict[str, Any] = {"keep_io_types": True}
    if block_list is not None:
        kwargs["op_block_list"] = list(block_list)
    try:
        converted = float16.convert_float_to_float16(job.model, **kwargs)
    except Exception as exc:
        raise UnsupportedPrecision(
            f"The model could not be converted to float16: {exc}",
            hint="Try op_block_list=[...] to keep the failing op types in float32, or use another precision.",
        ) from exc
    path = job.scratch / "fp16.onnx"
    graph.save(converted, path)
    return path, {
        "method": "onnxconverter_common.float16",
        "keep_io_types": True,
        "op_block_list": "default" if block_list is None else list(block_list),
        "host_runtime_note": "onnxruntime CPU runs fp16 slower than FP32 (casts); size is halved",
    }
