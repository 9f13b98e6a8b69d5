"""Checks that a quantized ONNX graph has the QDQ layout ONNX Runtime's QNN execution provider (HTP) takes.

- QDQ form only: no onnxruntime-CPU-only integer operators (QLinear*, ConvInteger, MatMulInteger, dynamic
  quantization), which QNN does not run.
- Every quantized tensor is unsigned 8- or 16-bit (int32 only for biases), as ``get_qnn_qdq_config`` makes them.
- MatMul weights are per tensor: QNN has no per-channel MatMul.
- With ``preprocess``: ``qnn_preprocess_model`` (onnxruntime's QNN pre-processing) finds nothing left to fuse
  (Erf sequences into Gelu, ReduceL2 sequences into LpNormalization), i.e. it ran before quantization.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Final

from registry.errors import require

CPU_ONLY_OPS: Final = frozenset(
    {
        "DynamicQuantizeLinear",
        "ConvInteger",
        "MatMulInteger",
        "QLinearConv",
        "QLinearMatMul",
        "QLinearAdd",
        "QLinearMul",
        "DynamicQuantizeMatMul",
    }
)
QNN_QUANT_TYPES: Final = frozenset({"UINT8", "UINT16"})


def qnn_layout_problems(path: Path, *, preprocess: bool = False) -> list[str]:
    """What keeps the graph at ``path`` from QNN's QDQ layout; empty when it has it."""
    onnx = require("onnx", "ml")
    model = onnx.load(str(path), load_external_data=False)
    problems = sorted(
        {f"operator {n.op_type} runs only on the CPU EP" for n in model.graph.node if n.op_type in CPU_ONLY_OPS}
    )
    initializers = {t.name: t for t in model.graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in model.graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear") or len(node.input) < 3:
            continue
        zero_point = initializers.get(node.input[2])
        if zero_point is None:
            continue
        kind = onnx.TensorProto.DataType.Name(zero_point.data_type)
        is_bias = kind == "INT32" and node.op_type == "DequantizeLinear" and node.input[0] in initializers
        if kind not in QNN_QUANT_TYPES and not is_bias:
            problems.append(f"{node.name or node.output[0]}: {kind} quantization (QNN HTP takes uint8/uint16)")
        scale = initializers.get(node.input[1])
        per_channel = scale is not None and len(scale.dims) > 0 and int(scale.dims[0]) > 1
        feeds_matmul = any(c.op_type == "MatMul" for c in consumers.get(node.output[0], []))
        if per_channel and feeds_matmul:
            problems.append(f"{node.name or node.output[0]}: per-channel MatMul weight (QNN takes per-tensor)")
    if preprocess:
        qnn = require("onnxruntime.quantization.execution_providers.qnn", "ml")
        with tempfile.TemporaryDirectory() as scratch:
            # onnxruntime 1.32's pre-processing fails on a model with metadata_props (it updates a dict with the
            # repeated field): check a copy without them (the quantizer records its name there).
            bare = onnx.load(str(path))
            del bare.metadata_props[:]
            onnx.save(bare, str(Path(scratch) / "bare.onnx"))
            if qnn.qnn_preprocess_model(str(Path(scratch) / "bare.onnx"), str(Path(scratch) / "again.onnx")):
                problems.append("qnn_preprocess_model still finds fusions to make: it did not run before quantizing")
    return problems
