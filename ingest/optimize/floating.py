"""float: the FP32 graph as exported, re-saved so external data is normalized (one file, or none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ingest.optimize import graph
from ingest.optimize.base import Job

OPTIONS: Final = frozenset[str]()


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    path = job.scratch / "float.onnx"
    graph.save(job.model, path)
    return path, {"method": "copy", "opset": graph.onnx_opset(job.model)}
