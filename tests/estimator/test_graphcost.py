"""Graph cost analysis on tiny graphs whose MACs, bytes and peak memory can be computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from registry.estimator.graphcost import analyze_onnx


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], outputs: list[onnx.ValueInfoProto],
           inits: list[onnx.TensorProto], opset: int = 17) -> onnx.ModelProto:  # fmt: skip
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    )
    return model


def _f32(name: str, shape: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def test_conv_depthwise_and_gemm_macs_params_and_peak() -> None:
    # x[1,3,8,8] -conv 3x3 (16 out)-> [1,16,8,8] -depthwise 3x3-> [1,16,8,8] -GAP-> [1,16,1,1] -> gemm 16->10
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], pads=[1, 1, 1, 1], group=16, name="dw"),
        helper.make_node("Relu", ["c2"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="gap"),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1, name="fc"),
    ]
    inits = [_f32("w1", [16, 3, 3, 3]), _f32("w2", [16, 1, 3, 3]), _f32("w3", [10, 16]), _f32("b3", [10])]
    model = _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    cost = analyze_onnx(model)
    by_name = {n.name: n for n in cost.nodes}
    assert by_name["conv"].macs == 16 * 8 * 8 * 3 * 9  # out elements x Cin/group x kernel
    assert by_name["conv"].op_class == "conv"
    assert by_name["dw"].macs == 16 * 8 * 8 * 9 and by_name["dw"].op_class == "dwconv"
    assert by_name["fc"].macs == 16 * 10 and by_name["fc"].param_bytes == (160 + 10) * 4
    assert cost.macs == 16 * 64 * 27 + 16 * 64 * 9 + 160
    assert cost.param_bytes == (16 * 27 + 16 * 9 + 160 + 10) * 4
    # peak: c1 (4 KiB) alive while dw writes c2 (4 KiB); the input (768 B) is dead after the first conv.
    assert cost.peak_activation_bytes == 2 * 16 * 64 * 4
    assert cost.by_class["conv"].nodes == 1 and cost.by_class["dwconv"].macs == 16 * 64 * 9
    assert cost.by_op["Relu"] == 1 and cost.unknown_shapes == 0


def test_qdq_weights_count_as_int8_parameters_of_the_matmul() -> None:
    w = numpy_helper.from_array(np.zeros([64, 32], dtype=np.int8), "w_q")
    scale = numpy_helper.from_array(np.array(0.1, dtype=np.float32), "s")
    zp = numpy_helper.from_array(np.array(0, dtype=np.int8), "zp")
    nodes = [
        helper.make_node("DequantizeLinear", ["w_q", "s", "zp"], ["w"], name="dq_w"),
        helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"], name="q_x"),
        helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xd"], name="dq_x"),
        helper.make_node("MatMul", ["xd", "w"], ["y"], name="mm"),
    ]
    model = _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 32])],
        [w, scale, zp],
    )
    cost = analyze_onnx(model)
    mm = next(n for n in cost.nodes if n.name == "mm")
    assert mm.macs == 4 * 64 * 32  # symbolic batch counts as 1
    assert mm.param_bytes == 64 * 32 + 4 + 1  # int8 weights plus their scale and zero point
    assert mm.op_class == "matmul"
    assert next(n for n in cost.nodes if n.name == "dq_w").constant  # folded by any compiler: not in totals
    assert cost.by_class["quant"].nodes == 2


def test_matmulnbits_and_attention_matmul(tmp_path: Path) -> None:
    k, n, block = 64, 48, 32
    blob = numpy_helper.from_array(np.zeros([n, k // block, block // 2], dtype=np.uint8), "b")
    scales = numpy_helper.from_array(np.ones([n * (k // block)], dtype=np.float32), "scales")
    nodes = [
        helper.make_node(
            "MatMulNBits",
            ["x", "b", "scales"],
            ["h"],
            domain="com.microsoft",
            K=k,
            N=n,
            bits=4,
            block_size=block,
            name="mnb",
        ),
        helper.make_node("Transpose", ["h"], ["ht"], perm=[0, 2, 1], name="t"),
        helper.make_node("MatMul", ["h", "ht"], ["scores"], name="qk"),
    ]
    model = _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10, k])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 10, 10])],
        [blob, scales],
    )
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="m.data",
              size_threshold=0)  # fmt: skip
    cost = analyze_onnx(path)
    by_name = {x.name: x for x in cost.nodes}
    assert by_name["mnb"].macs == 10 * k * n
    assert by_name["mnb"].param_bytes == n * (k // block) * (block // 2) + n * (k // block) * 4
    assert by_name["qk"].macs == 10 * 10 * n and by_name["qk"].op_class == "attention"


def test_lstm_counts_its_weight_matmuls_at_every_step() -> None:
    # bidirectional LSTM over 20 steps, batch 2, input 8, hidden 16: W [2, 64, 8], R [2, 64, 16]
    nodes = [helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=16, direction="bidirectional")]
    model = _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [20, 2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [20, 2, 2, 16])],
        [_f32("W", [2, 64, 8]), _f32("R", [2, 64, 16])],
    )
    cost = analyze_onnx(model)
    assert cost.macs == 20 * 2 * (2 * 64 * 8 + 2 * 64 * 16)
    assert cost.by_class["matmul"].nodes == 1 and cost.by_class["matmul"].param_bytes == 4 * (2 * 64 * 24)


def test_large_activations_count_computed_outputs_beyond_on_chip_memory_not_views() -> None:
    """A high-resolution tensor (over 2M elements) streams through DRAM: the estimator charges for it. A Reshape of
    it is a view and adds nothing; a small tensor adds nothing."""
    from registry.estimator.model import features

    nodes = [  # the conv's output [1, 8, 512, 512] has 2,097,152 elements
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),  # big
        helper.make_node("Relu", ["c"], ["r"], name="relu"),  # big
        helper.make_node("Reshape", ["r", "shape"], ["v"], name="view"),  # a view: not counted
        helper.make_node("ReduceMean", ["v"], ["y"], axes=[1], keepdims=0, name="mean"),  # small
    ]
    inits = [_f32("w", [8, 3, 3, 3]), numpy_helper.from_array(np.array([1, 8, 262144], dtype=np.int64), "shape")]
    model = _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 512, 512])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 262144])],
        inits,
        opset=17,
    )
    summary = analyze_onnx(model).summary()
    assert summary["large_activation_elements"] == 2 * 8 * 512 * 512
    x = features(summary)
    assert x["large_act"] == 2 * 8 * 512 * 512 / 1e6
    assert x["io"] == (3 * 512 * 512 + 262144) / 1e6  # the graph's input and output elements
