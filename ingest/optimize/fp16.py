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
    retyped = fix_cast_types(converted)
    path = job.scratch / "fp16.onnx"
    graph.save(converted, path)
    return path, {
        "casts_retyped_to_float16": retyped,
        "method": "onnxconverter_common.float16",
        "keep_io_types": True,
        "op_block_list": "default" if block_list is None else list(block_list),
        "host_runtime_note": "onnxruntime CPU runs fp16 slower than FP32 (casts); size is halved",
    }


def fix_cast_types(model: Any) -> int:
    """Make Casts to float32 whose output the converter typed float16 produce float16; returns how many.

    onnxconverter-common types an int -> float Cast's output float16 but leaves ``to=FLOAT`` (onnxruntime then
    refuses the model: "Type (tensor(float)) of output arg ... does not match expected type
    (tensor(float16))"). The consumers were converted to float16, so float16 is the type they need.
    """
    onnx = require("onnx", "ml")
    float16, float32 = onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT
    types: dict[str, int] = {}
    for value in [*model.graph.value_info, *model.graph.output]:
        types[value.name] = value.type.tensor_type.elem_type
    fixed = 0
    for node in _all_nodes(model.graph):
        if node.op_type != "Cast" or types.get(node.output[0]) != float16:
            continue
        for attribute in node.attribute:
            if attribute.name == "to" and attribute.i == float32:
                attribute.i = float16
                fixed += 1
    return fixed


def _all_nodes(graph_proto: Any) -> list[Any]:
    """Nodes of the graph and its subgraphs (If/Loop/Scan bodies)."""
    nodes = []
    for node in graph_proto.node:
        nodes.append(node)
        for attribute in node.attribute:
            if attribute.g and attribute.g.node:
                nodes.extend(_all_nodes(attribute.g))
            for sub in attribute.graphs:
                nodes.extend(_all_nodes(sub))
    return nodes
