"""`registry estimate` reads the precision from the graph: a quantized file is never estimated as float unasked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from registry.cli import app
from registry.estimator.precision_of import precision_of


def _conv_net(path: Path, dtype: type = np.float32) -> Path:
    elem = TensorProto.FLOAT16 if dtype == np.float16 else TensorProto.FLOAT
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=[16, 3, 3, 3]).astype(dtype), "w")
    w2 = numpy_helper.from_array(rng.normal(size=[10, 16]).astype(dtype), "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w2"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", elem, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", elem, [1, 10])],
        [w, w2],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def _quantized(tmp_path: Path, activations: str) -> Path:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(1)
            self.samples = iter([{"x": rng.normal(size=[1, 3, 32, 32]).astype(np.float32)} for _ in range(4)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.samples, None)

    out = tmp_path / f"q-{activations}.onnx"
    quantize_static(
        str(_conv_net(tmp_path / "f.onnx")),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=getattr(QuantType, activations),
        weight_type=QuantType.QInt8,
    )
    return out


def _estimate(path: Path, *flags: str) -> tuple[dict[str, object], str]:
    result = CliRunner().invoke(app, ["estimate", str(path), "--device", "sd8g3", "--json", *flags])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize(("activations", "expected"), [("QUInt8", "w8a8"), ("QUInt16", "w8a16")])
def test_a_quantized_graph_is_estimated_at_its_own_precision(tmp_path: Path, activations: str, expected: str) -> None:
    path = _quantized(tmp_path, activations)
    out, err = _estimate(path)
    assert out["precision"] == expected
    assert f"estimating at {expected}, read from the graph" in err
    # Asking for float on a quantized graph is allowed, with a warning that names what the graph is.
    out, err = _estimate(path, "--precision", "float")
    assert out["precision"] == "float" and f"the graph looks {expected}" in err


def test_float_and_fp16_graphs(tmp_path: Path) -> None:
    out, err = _estimate(_conv_net(tmp_path / "f32.onnx"))
    assert out["precision"] == "float" and "warning" not in err
    half = onnx.load(str(_conv_net(tmp_path / "f16.onnx", np.float16)))
    assert precision_of(half).precision == "fp16"
