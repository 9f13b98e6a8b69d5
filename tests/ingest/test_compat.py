"""What a built file needs to load, read from the file: the minimum onnxruntime from its opsets, IR version and
contrib operators; a real .tflite's schema, min_runtime_version and tensors; an AI Hub artifact's QAIRT and HTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from ingest.compat import describe_build


def _conv_model(path: Path, opset: int, ir_version: int, extra_nodes: list[Any] | None = None) -> Path:
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], np.ones(108, np.float32).tolist())
    nodes = [
        helper.make_node("Conv", ["images", "w"], ["y"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["y"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes + (extra_nodes or []),
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4, 8, 8])],
        [weight],
    )
    opsets = [helper.make_opsetid("", opset)]
    if extra_nodes:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = ir_version
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _entry(rel: str, runtime: str = "onnx", **extra: Any) -> dict[str, Any]:
    return {"precision": "w8a8", "runtime": runtime, "target": "any", "files": [{"path": rel}], **extra}


def test_onnx_minimum_follows_the_highest_opset_ir_version_and_contrib_operator(tmp_path: Path) -> None:
    _conv_model(tmp_path / "a/model.onnx", opset=17, ir_version=8)
    got = describe_build(tmp_path, _entry("a/model.onnx"))
    req = got["requirements"]
    assert req["runtimes"] == {"onnxruntime": "1.12"} and req["reasons"]["onnxruntime"] == "opset 17"
    assert req["onnx_opsets"] == {"ai.onnx": 17} and req["onnx_ir_version"] == 8
    assert got["interface"] == {
        "inputs": [{"name": "images", "shape": ["batch", 3, 8, 8], "dtype": "float32"}],
        "outputs": [{"name": "z", "shape": ["batch", 4, 8, 8], "dtype": "float32"}],
    }
    # the file really loads on the onnxruntime here, which is at least the recorded minimum
    onnxruntime.InferenceSession(str(tmp_path / "a/model.onnx"), providers=["CPUExecutionProvider"])

    assert describe_build(tmp_path, _entry(str(_conv_model(tmp_path / "b/m.onnx", 21, 10).relative_to(tmp_path))))[
        "requirements"
    ]["runtimes"] == {"onnxruntime": "1.18"}
    nbits = helper.make_node("MatMulNBits", ["z", "w"], ["q"], domain="com.microsoft", K=8, N=8, bits=4, block_size=16)
    _conv_model(tmp_path / "c/m.onnx", opset=13, ir_version=7, extra_nodes=[nbits])
    contrib = describe_build(tmp_path, _entry("c/m.onnx"))["requirements"]
    assert (
        contrib["runtimes"] == {"onnxruntime": "1.17"}
        and contrib["reasons"]["onnxruntime"] == "com.microsoft MatMulNBits"
    )


def test_an_opset_beyond_the_table_needs_the_onnxruntime_that_verified_it(tmp_path: Path) -> None:
    _conv_model(tmp_path / "m.onnx", opset=23, ir_version=10)
    req = describe_build(tmp_path, _entry("m.onnx"))["requirements"]
    assert req["runtimes"] == {"onnxruntime": onnxruntime.__version__}
    assert "beyond the table" in req["reasons"]["onnxruntime"]


def test_a_real_tflite_records_its_schema_min_runtime_and_the_interpreters_tensors(tmp_path: Path) -> None:
    litert_torch = pytest.importorskip("litert_torch")
    interpreter = pytest.importorskip("ai_edge_litert.interpreter")
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x: Any) -> Any:
            return torch.relu(self.conv(x)).mean(dim=(2, 3))

    path = tmp_path / "float/model.tflite"
    path.parent.mkdir()
    litert_torch.convert(Net().eval(), (torch.zeros(1, 3, 16, 16),)).export(str(path))
    got = describe_build(tmp_path, _entry("float/model.tflite", runtime="tflite"))
    req = got["requirements"]
    assert req["tflite_schema_version"] == 3
    assert req["runtimes"]["litert"] == req["tflite_min_runtime_version"]
    it = interpreter.Interpreter(model_path=str(path))
    expected = [(d["name"], d["shape"].tolist(), np.dtype(d["dtype"]).name) for d in it.get_input_details()]
    assert [(t["name"], t["shape"], t["dtype"]) for t in got["interface"]["inputs"]] == expected
    outputs = [(d["name"], d["shape"].tolist()) for d in it.get_output_details()]
    assert [(t["name"], t["shape"]) for t in got["interface"]["outputs"]] == outputs


def test_an_ai_hub_context_binary_records_its_qairt_version_and_the_chipsets_htp(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx/model.bin").write_bytes(b"\0" * 64)
    entry = _entry("ctx/model.bin", runtime="qnn_context_binary", details={"tool_versions": {"QAIRT": "2.28.0.241029"}})
    entry["target"] = "qualcomm-snapdragon-8gen3"
    req = describe_build(tmp_path, entry)["requirements"]
    assert req["runtimes"] == {"qairt": "2.28.0.241029"}
    assert (req["qairt_version"], req["htp_arch"]) == ("2.28.0.241029", "V75")
