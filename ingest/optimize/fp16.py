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
    reordered = sort_nodes(converted.graph)
    path = job.scratch / "fp16.onnx"
    graph.save(converted, path)
    return path, {
        "casts_retyped_to_float16": retyped,
        **({"nodes_reordered": reordered} if reordered else {}),
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


def sort_nodes(graph_proto: Any) -> int:
    """Put the graph's nodes back in topological order and drop exact duplicates; returns how many moved.

    With ``keep_io_types`` the converter appends the input Casts after nodes that read them (and may add the same
    Cast twice): plain ops still run, but an If/Loop body that reads an outer-scope tensor made later fails the
    checker ("Nodes in a graph must be topologically sorted"). A subgraph's outer-scope reads count as inputs
    of the node that holds it."""
    nodes, seen = [], set()
    for node in graph_proto.node:
        key = node.SerializeToString()
        if key not in seen:
            seen.add(key)
            nodes.append(node)
    available = {i.name for i in graph_proto.input} | {t.name for t in graph_proto.initializer} | {""}
    produced = {out for node in nodes for out in node.output}
    pending, order = list(nodes), []
    while pending:
        ready = [n for n in pending if all(x in available or x not in produced for x in _reads(n))]
        if not ready:  # a cycle or an unknown read: keep the rest as they were
            order.extend(pending)
            break
        for node in ready:
            order.append(node)
            available.update(node.output)
        pending = [n for n in pending if all(n is not r for r in ready)]
    moved = (
        sum(1 for a, b in zip(graph_proto.node, order, strict=False) if a is not b) + len(graph_proto.node) - len(order)
    )
    copies = [type(n)() for n in order]
    for copy, node in zip(copies, order, strict=True):
        copy.CopyFrom(node)
    del graph_proto.node[:]
    graph_proto.node.extend(copies)
    return moved


def _reads(node: Any) -> set[str]:
    """The node's inputs, and the outer-scope names its subgraphs read."""
    names = set(node.input)
    for attribute in node.attribute:
        for sub in [attribute.g] if attribute.g.node else list(attribute.graphs):
            inner = (
                {o for n in sub.node for o in n.output}
                | {i.name for i in sub.input}
                | {t.name for t in sub.initializer}
            )
            for n in sub.node:
                names.update(x for x in _reads(n) if x not in inner)
    return names
