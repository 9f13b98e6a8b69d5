"""Small third-party-like ONNX files made here with onnx.helper, in the three classes users bring:

- a CNN text detector whose height and width are dynamic (``dim_param``);
- a classifier whose batch axis is ``-1`` (as Paddle2ONNX writes it);
- a stateful voice-activity model: If subgraphs on the sample rate, reflect padding (needs >= 5 samples), a
  recurrent ``state`` input fed back as ``stateN``, and a dynamic ``batch`` shared by the audio and the state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _save(graph: object, path: Path, opset: int = 17) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])  # type: ignore[arg-type]
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _w(rng: np.random.Generator, name: str, *shape: int, scale: float = 0.3) -> object:
    from onnx import numpy_helper

    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def detector(path: Path) -> Path:
    """x: float32[1, 3, height, width] -> maps: float32[1, 1, height, width] (conv, relu, conv, sigmoid)."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["h"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Conv", ["r", "w2", "b2"], ["logits"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["logits"], ["maps"]),
    ]
    graph = helper.make_graph(
        nodes,
        "detector",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, [1, 1, "height", "width"])],
        [_w(rng, "w1", 8, 3, 3, 3), _w(rng, "b1", 8), _w(rng, "w2", 1, 8, 3, 3), _w(rng, "b2", 1)],
    )
    return _save(graph, path)


def classifier(path: Path) -> Path:
    """x: float32[-1, 3, 16, 32] -> probs: float32[-1, 2]: the batch axis is the literal -1."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(2)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["h"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3, 16, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [-1, 2])],
        [_w(rng, "w1", 8, 3, 3, 3), _w(rng, "b1", 8), _w(rng, "fc", 8, 2, scale=2.0), _w(rng, "fcb", 2)],
    )
    return _save(graph, path)


def _branch(name: str, pad: int) -> object:
    from onnx import TensorProto, helper, numpy_helper

    pads = numpy_helper.from_array(np.array([0, 0, pad, 0, 0, pad], np.int64), f"{name}_pads")
    return helper.make_graph(
        [
            helper.make_node("Constant", [], [f"{name}_p"], value=pads),
            helper.make_node("Pad", ["audio3", f"{name}_p"], [f"{name}_out"], mode="reflect"),
        ],
        name,
        [],
        [helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, None)],
    )


def stateful(path: Path) -> Path:
    """input: float32[batch, samples], state: float32[2, batch, 16], sr: int64[] ->
    output: float32[batch, 1], stateN: float32[2, batch, 16]. ``sr == 16000`` pads by 4 (reflect), else by 2."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)

    def const(name: str, value: np.ndarray) -> object:
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name + "_v"))

    nodes = [
        const("axes1", np.array([1], np.int64)),
        helper.make_node("Unsqueeze", ["input", "axes1"], ["audio3"]),
        const("rate", np.array(16000, np.int64)),
        helper.make_node("Equal", ["sr", "rate"], ["is16k"]),
        helper.make_node("If", ["is16k"], ["padded"], then_branch=_branch("wide", 4), else_branch=_branch("narrow", 2)),
        helper.make_node("Conv", ["padded", "wc", "bc"], ["frames"], strides=[4]),
        helper.make_node("Abs", ["frames"], ["mag"]),
        helper.make_node("ReduceMean", ["mag"], ["feat"], axes=[2], keepdims=0),
        const("idx0", np.array(0, np.int64)),
        helper.make_node("Gather", ["state", "idx0"], ["h0"], axis=0),
        helper.make_node("MatMul", ["feat", "wx"], ["a"]),
        helper.make_node("MatMul", ["h0", "wh"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["h1"]),
        helper.make_node("MatMul", ["h1", "wo"], ["o"]),
        helper.make_node("Sigmoid", ["o"], ["output"]),
        const("axes0", np.array([0], np.int64)),
        helper.make_node("Unsqueeze", ["h1", "axes0"], ["h1u"]),
        const("s1", np.array([1], np.int64)),
        const("s2", np.array([2], np.int64)),
        helper.make_node("Slice", ["state", "s1", "s2", "axes0"], ["rest"]),
        helper.make_node("Concat", ["h1u", "rest"], ["stateN"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        "vad",
        [
            helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", "samples"]),
            helper.make_tensor_value_info("state", TensorProto.FLOAT, [2, "batch", 16]),
            helper.make_tensor_value_info("sr", TensorProto.INT64, []),
        ],
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 1]),
            helper.make_tensor_value_info("stateN", TensorProto.FLOAT, [2, "batch", 16]),
        ],
        [
            _w(rng, "wc", 16, 1, 8),
            _w(rng, "bc", 16),
            _w(rng, "wx", 16, 16),
            _w(rng, "wh", 16, 16),
            _w(rng, "wo", 16, 1),
        ],
    )
    return _save(graph, path)


def constant(path: Path) -> Path:
    """x: float32[1, 8] -> y: float32[1, 4] that ignores x (x * 0 + c): a degenerate model."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(4)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["m"]),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Add", ["z", "c"], ["y"]),
    ]
    from onnx import numpy_helper

    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [_w(rng, "w", 8, 4), numpy_helper.from_array(np.zeros((1,), np.float32), "zero"), _w(rng, "c", 4)],
    )
    return _save(graph, path)
