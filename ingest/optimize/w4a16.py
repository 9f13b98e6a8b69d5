"""w4a16: weight-only INT4 for MatMul weights (onnxruntime MatMulNBits); activations stay float.

Linear layers exported as ``Gemm`` (2-D inputs) are first rewritten as MatMul (+ Add) so they qualify.
A model whose weights sit mostly outside MatMul layers (a CNN) is refused: quantizing only its classifier
head would label a mostly-FP32 model "w4a16".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.errors import UnsupportedPrecision
from ingest.optimize import graph
from ingest.optimize.base import Job
from registry.errors import InvalidInput, require

OPTIONS: Final = frozenset({"block_size", "symmetric", "accuracy_level", "min_weight_share"})
DEFAULT_BLOCK_SIZE: Final = 32


def run(job: Job) -> tuple[Path, dict[str, Any]]:
    block_size = int(job.number("block_size", DEFAULT_BLOCK_SIZE, minimum=16))
    if block_size & (block_size - 1):
        raise InvalidInput(f"block_size must be a power of two >= 16, got {block_size}.")
    symmetric = bool(job.option("symmetric", False))
    accuracy_level = job.option("accuracy_level", None)
    min_share = job.number("min_weight_share", 0.5, minimum=0.0)

    model = job.model
    graph.name_nodes(model)
    rewritten = gemm_to_matmul(model)
    eligible, eligible_bytes = eligible_matmuls(model)
    weights = graph.weight_bytes_by_op(model)
    # Embedding tables (Gather) are looked up, not multiplied: MatMulNBits cannot take them, and they do not
    # make a model less of a transformer. They stay float and are left out of the share.
    embedding_bytes = weights.pop("Gather", 0)
    total = sum(weights.values())
    share = eligible_bytes / total if total else 0.0
    if not eligible or share < min_share:
        raise UnsupportedPrecision(
            f"w4a16 quantizes MatMul/Linear weights only; this model has {len(eligible)} such layer(s), "
            f"holding {share:.0%} of its non-embedding weights (most are in {_largest(weights)} layers).",
            hint="Use w8a8, w8a16, mixed or fp16 for this model; w4a16 suits transformer and LLM weights.",
        )

    quantizer_module = require("onnxruntime.quantization.matmul_nbits_quantizer", "ml")
    quantizer = quantizer_module.MatMulNBitsQuantizer(
        model,
        bits=4,
        block_size=block_size,
        is_symmetric=symmetric,
        accuracy_level=accuracy_level,
        op_types_to_quantize=("MatMul",),
    )
    quantizer.process()
    quantized = quantizer.model.model
    path = job.scratch / "w4a16.onnx"
    graph.save(quantized, path)
    ops = Counter(node.op_type for node in quantized.graph.node)
    return path, {
        "method": "matmul_nbits",
        "quantizer": "onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer",
        "bits": 4,
        "block_size": block_size,
        "symmetric": symmetric,
        "accuracy_level": accuracy_level,
        "gemm_rewritten_as_matmul": rewritten,
        "eligible_matmuls": len(eligible),
        "quantized_matmuls": ops.get("MatMulNBits", 0),
        "weight_share_quantized": round(share, 4),
        "weight_share_basis": "non-embedding float weights (Gather tables excluded)",
        "embedding_bytes_float": embedding_bytes,
    }


def eligible_matmuls(model: Any) -> tuple[list[str], int]:
    """MatMul nodes whose B is a constant float [K, N] (or [1, ..., K, N]), and those weights' bytes."""
    onnx = require("onnx", "ml")
    initializers = {t.name: t for t in model.graph.initializer}
    names: list[str] = []
    size = 0
    for node in model.graph.node:
        if node.op_type != "MatMul" or len(node.input) < 2 or node.input[1] not in initializers:
            continue
        tensor = initializers[node.input[1]]
        dims = [int(d) for d in tensor.dims]
        if tensor.data_type != onnx.TensorProto.FLOAT or len(dims) < 2 or any(d != 1 for d in dims[:-2]):
            continue
        names.append(node.name)
        size += 4 * int(np.prod(dims))
    return names, size


def gemm_to_matmul(model: Any) -> int:
    """Rewrite plain ``Gemm(A, W[, bias])`` (alpha = beta = 1, no transA, constant W) as MatMul (+ Add)."""
    onnx = require("onnx", "ml")
    numpy_helper = require("onnx.numpy_helper", "ml")
    initializers = {t.name: t for t in model.graph.initializer}
    consumers = Counter(name for node in model.graph.node for name in node.input)
    new_nodes = []
    rewritten = 0
    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        plain = (
            node.op_type == "Gemm"
            and node.input[1] in initializers
            and attrs.get("transA", 0) == 0
            and attrs.get("alpha", 1.0) == 1.0
            and attrs.get("beta", 1.0) == 1.0
        )
        if not plain:
            new_nodes.append(node)
            continue
        weight_name = node.input[1]
        if attrs.get("transB", 0):
            weight = numpy_helper.to_array(initializers[weight_name]).T.copy()
            transposed = numpy_helper.from_array(weight, f"{weight_name}_t_{node.name}")
            model.graph.initializer.append(transposed)
            if consumers[weight_name] == 1:
                model.graph.initializer.remove(initializers[weight_name])
            weight_name = transposed.name
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else ""
        matmul_out = f"{node.output[0]}_matmul" if bias else node.output[0]
        new_nodes.append(onnx.helper.make_node("MatMul", [node.input[0], weight_name], [matmul_out], name=node.name))
        if bias:
            new_nodes.append(
                onnx.helper.make_node("Add", [matmul_out, bias], [node.output[0]], name=f"{node.name}_bias")
            )
        rewritten += 1
    if rewritten:
        del model.graph.node[:]
        model.graph.node.extend(new_nodes)
    return rewritten


def _largest(weights: dict[str, int]) -> str:
    return max(weights, key=lambda op: weights[op]) if weights else "no"
