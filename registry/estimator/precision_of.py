"""The precision an ONNX graph was built at, read from its operators and tensor types (for ``registry estimate``).

- ``MatMulNBits`` (4-bit blocked weights): ``w4a16``.
- Quantize/dequantize pairs, ``QLinear*`` or integer kernels: ``w8a8``; with 16-bit activation zero points
  ``w8a16``; both 8- and 16-bit activations: ``mixed``.
- No quantized operator and most float weight bytes in float16: ``fp16``; otherwise ``float``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

_INTEGER_OPS = frozenset({"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"})


@dataclass(frozen=True)
class GraphPrecision:
    precision: str
    evidence: str  # what in the graph says so, for the user


def precision_of(model: Any) -> GraphPrecision:
    """The precision of a loaded ``onnx.ModelProto`` (external data need not be loaded)."""
    import onnx

    graph = model.graph
    ops = Counter(node.op_type for node in graph.node)
    if ops["MatMulNBits"]:
        return GraphPrecision("w4a16", f"{ops['MatMulNBits']} MatMulNBits (4-bit weight) nodes")
    quantized = ops["QuantizeLinear"] + ops["DequantizeLinear"] + sum(ops[o] for o in _INTEGER_OPS)
    quantized += sum(n for op, n in ops.items() if op.startswith("QLinear") and op not in _INTEGER_OPS)
    if quantized:
        types = {i.name: i.data_type for i in graph.initializer}
        T = onnx.TensorProto
        act_bits = {
            16 if types.get(node.input[2]) in (T.INT16, T.UINT16) else 8
            for node in graph.node
            if node.op_type == "QuantizeLinear" and len(node.input) > 2
        }
        precision = "mixed" if act_bits == {8, 16} else "w8a16" if act_bits == {16} else "w8a8"
        return GraphPrecision(precision, f"{quantized} quantize/dequantize or integer nodes")
    by_type: Counter[int] = Counter()
    for init in graph.initializer:
        size = 1
        for d in init.dims:
            size *= d
        by_type[init.data_type] += size
    f16, f32 = by_type[onnx.TensorProto.FLOAT16], by_type[onnx.TensorProto.FLOAT]
    if f16 > f32:
        return GraphPrecision("fp16", f"{f16} of {f16 + f32} float weights are float16")
    return GraphPrecision("float", "no quantized operator, float32 weights")
