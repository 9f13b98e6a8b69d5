"""optimize(): every precision on small models built here (a conv net and a transformer-like block).

Thresholds are the measured figures (onnxruntime 1.32, random weights, seeded) with a margin:
conv w8a8 SQNR 48 dB / cosine 0.999995, w8a16 59 dB, fp16 72 dB; transformer w8a8 31.5 dB / 0.9997,
w4a16 23 dB / 0.998.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from ingest import fidelity  # noqa: E402
from ingest.errors import CalibrationMismatch, InvalidModelFile, UnsupportedPrecision  # noqa: E402
from ingest.optimize import optimize  # noqa: E402
from ingest.optimize.qnn_check import qnn_layout_problems  # noqa: E402
from registry.errors import InvalidInput  # noqa: E402

nn = torch.nn


class ConvNet(nn.Module):  # type: ignore[misc]
    """Weight-heavy for its size (~240k parameters): 4 conv/BN/ReLU stages and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        widths = [3, 32, 64, 128, 128]
        layers: list[Any] = []
        for i in range(4):
            stride = 2 if i % 2 == 0 else 1
            layers += [
                nn.Conv2d(widths[i], widths[i + 1], 3, stride, 1),
                nn.BatchNorm2d(widths[i + 1]),
                nn.ReLU(),
            ]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(128, 10)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x).mean((2, 3)))


class Block(nn.Module):  # type: ignore[misc]
    def __init__(self, dim: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x: Any) -> Any:
        b, t, d = x.shape
        q, k, v = (
            part.view(b, t, self.heads, d // self.heads).transpose(1, 2)
            for part in self.qkv(self.ln1(x)).split(d, dim=-1)
        )
        attention = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, -1) @ v
        x = x + self.proj(attention.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class TinyTransformer(nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(64, 32)

    def forward(self, x: Any) -> Any:
        return self.head(self.blocks(x))


class Mlp(nn.Module):  # type: ignore[misc]
    """2-D inputs: the exporter writes its Linear layers as Gemm."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 64))

    def forward(self, x: Any) -> Any:
        return self.net(x)


def _export(module: Any, example: Any, path: Path, input_name: str, opset: int = 17) -> Path:
    module.eval()
    with warnings.catch_warnings():  # the legacy exporter (10x faster on these nets) warns it is legacy
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=False,
            input_names=[input_name],
            output_names=["out"],
            opset_version=opset,
        )
    return path


def _samples(name: str, shape: tuple[int, ...], count: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{name: rng.standard_normal(shape).astype(np.float32)} for _ in range(count)]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    return {
        "conv": _export(ConvNet(), torch.randn(1, 3, 64, 64), root / "conv.onnx", "image"),
        "transformer": _export(TinyTransformer(), torch.randn(1, 16, 64), root / "transformer.onnx", "hidden"),
        "transformer_opset11": _export(
            TinyTransformer(), torch.randn(1, 16, 64), root / "transformer11.onnx", "hidden", opset=11
        ),
        "mlp": _export(Mlp(), torch.randn(1, 64), root / "mlp.onnx", "x"),
    }


@pytest.fixture(scope="module")
def conv_data() -> list[dict[str, np.ndarray]]:
    return _samples("image", (1, 3, 64, 64), 12)


@pytest.fixture(scope="module")
def text_data() -> list[dict[str, np.ndarray]]:
    return _samples("hidden", (1, 16, 64), 12)


def _eval_fidelity(src: Path, candidate: Path, samples: list[dict[str, np.ndarray]]) -> dict[str, float]:
    return fidelity.compare(fidelity.run_model(src, samples), fidelity.run_model(candidate, samples))


def _weight_dtypes(path: Path) -> Counter[str]:
    model = onnx.load(str(path))
    producers = {out for node in model.graph.node if node.op_type == "DequantizeLinear" for out in node.input[:1]}
    return Counter(onnx.TensorProto.DataType.Name(t.data_type) for t in model.graph.initializer if t.name in producers)


def test_float_normalizes_external_data(models: dict[str, Path], tmp_path: Path) -> None:
    model = onnx.load(str(models["conv"]))
    src = tmp_path / "src" / "conv.onnx"
    src.parent.mkdir()
    onnx.save_model(model, str(src), save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
    assert len(list(src.parent.iterdir())) > 5  # one file per tensor

    result = optimize(src, "fp32", tmp_path / "out")

    assert result.files == [result.path] and result.path.name == "conv.onnx"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["conv.onnx"]  # scratch dir removed
    assert result.details["precision"] == "float" and result.details["size_ratio"] == pytest.approx(1.0, abs=0.02)
    samples = _samples("image", (1, 3, 64, 64), 2)
    assert _eval_fidelity(models["conv"], result.path, samples)["max_abs_err"] == 0.0


def test_fp16_halves_size_and_keeps_float_io(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["conv"], "fp16", tmp_path, calibration=conv_data[:4])

    assert 0.45 <= result.details["size_ratio"] <= 0.55
    assert result.details["fidelity"]["sqnr_db"] >= 55.0
    graph_input = onnx.load(str(result.path)).graph.input[0]
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_w8a8_conv_is_small_close_and_picks_calibration_by_error(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["conv"], "int8", tmp_path, calibration=conv_data, options={"target": "cpu"})
    details = result.details

    assert details["precision"] == "w8a8" and details["variant"] == "onnxruntime-cpu"
    assert (details["activation_type"], details["weight_type"], details["per_channel"]) == (
        "QUInt8",
        "QInt8",
        True,
    )
    assert details["size_ratio"] <= 0.35
    errors = details["calibration_errors"]
    assert set(errors) == {"MinMax", "Percentile"}
    assert details["calibration_method"] == max(errors, key=lambda m: errors[m]["sqnr_db"])
    assert (details["calibration_samples"], details["held_out_samples"]) == (9, 3)
    # Judged again on fresh inputs, not only on the held-out slice the method was chosen on.
    fresh = _eval_fidelity(models["conv"], result.path, _samples("image", (1, 3, 64, 64), 4, seed=7))
    assert fresh["cosine"] >= 0.999 and fresh["sqnr_db"] >= 35.0
    assert _weight_dtypes(result.path)["INT8"] >= 5  # 4 convs + head, per-channel int8
    assert any("INT8 quantization" in p for p in qnn_layout_problems(result.path))  # the CPU layout is not QNN's
    json.dumps(result.details)  # stored as JSON by the catalog: plain types only


def test_w8a8_time_budget_skips_slower_calibration(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["conv"], "w8a8", tmp_path, calibration=conv_data, options={"calibration_time_budget_s": 0})
    assert list(result.details["calibration_errors"]) == ["MinMax"]
    assert "Percentile" in result.details["calibration_skipped"]


def test_w8a8_skips_a_histogram_calibration_that_would_not_fit_in_memory(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    # Percentile keeps every activation of every sample: on Whisper's encoder that was 13.5 GB and the kernel
    # killed the worker. Over the budget it is skipped with the reason, and MinMax still makes the build.
    result = optimize(
        models["conv"], "w8a8", tmp_path, calibration=conv_data, options={"calibration_memory_budget_mb": 0.001}
    )
    assert list(result.details["calibration_errors"]) == ["MinMax"]
    assert "MB of activations" in result.details["calibration_skipped"]["Percentile"]
    assert result.path.is_file()


PREPROCESSED = ("qnn_preprocess_model", "none-needed")


def test_w8a8_builds_use_the_qnn_layout_by_default_and_pass_qnn_checks(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["conv"], "w8a8", tmp_path, calibration=conv_data)

    assert result.details["variant"] == "qnn-htp" and result.details["preprocess"] in PREPROCESSED
    assert result.details["qnn_layout_problems"] == []
    assert qnn_layout_problems(result.path, preprocess=True) == []  # onnxruntime's QNN pre-processing: nothing left
    assert (result.details["activation_type"], result.details["weight_type"]) == ("QUInt8", "QUInt8")
    assert set(_weight_dtypes(result.path)) <= {"UINT8", "INT32"}  # uint8 weights, int32 biases
    assert result.details["fidelity"]["cosine"] >= 0.999


def test_w8a16_conv_qnn_layout_by_default_and_cpu_on_request(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    npu = optimize(models["conv"], "w8a16", tmp_path / "npu", calibration=conv_data)
    assert (npu.details["variant"], npu.details["activation_type"]) == ("qnn-htp", "QUInt16")
    assert qnn_layout_problems(npu.path, preprocess=True) == [] and npu.details["fidelity"]["sqnr_db"] >= 35.0
    result = optimize(models["conv"], "w8a16", tmp_path, calibration=conv_data, options={"target": "cpu"})

    assert (result.details["activation_type"], result.details["weight_type"]) == ("QUInt16", "QInt8")
    assert result.details["fidelity"]["sqnr_db"] >= 45.0
    assert result.details["opset"] >= 21  # 16-bit QuantizeLinear, which host onnxruntime runs
    assert result.details["size_ratio"] <= 0.35


def test_w8a8_transformer(models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path) -> None:
    result = optimize(models["transformer"], "w8a8", tmp_path, calibration=text_data, options={"target": "cpu"})

    fresh = _eval_fidelity(models["transformer"], result.path, _samples("hidden", (1, 16, 64), 4, seed=7))
    assert fresh["cosine"] >= 0.999 and fresh["sqnr_db"] >= 25.0


def test_opset11_model_is_converted_before_per_channel_qdq(
    models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["transformer_opset11"], "w8a8", tmp_path, calibration=text_data, options={"target": "cpu"})

    assert result.details["source_opset"] == 11
    assert result.details["opset_converted"] == {"from": 11, "to": 13}
    model = onnx.load(str(result.path))
    per_channel = [
        n for n in model.graph.node if n.op_type == "DequantizeLinear" and any(a.name == "axis" for a in n.attribute)
    ]
    assert per_channel and result.details["fidelity"]["cosine"] >= 0.999


def test_w4a16_transformer(models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path) -> None:
    result = optimize(models["transformer"], "int4", tmp_path, calibration=text_data[:4], options={"block_size": 32})
    details = result.details

    assert (details["method"], details["bits"], details["block_size"], details["symmetric"]) == (
        "matmul_nbits",
        4,
        32,
        False,
    )
    assert details["quantized_matmuls"] == details["eligible_matmuls"] == 9
    assert details["size_ratio"] <= 0.25
    assert details["fidelity"]["cosine"] >= 0.99 and details["fidelity"]["sqnr_db"] >= 18.0


def test_w4a16_rewrites_gemm_linear_layers(models: dict[str, Path], tmp_path: Path) -> None:
    result = optimize(models["mlp"], "w4a16", tmp_path, options={"symmetric": True})

    assert result.details["gemm_rewritten_as_matmul"] == 2 and result.details["quantized_matmuls"] == 2
    samples = _samples("x", (1, 64), 4)
    assert _eval_fidelity(models["mlp"], result.path, samples)["cosine"] >= 0.99


def test_w4a16_on_a_cnn_is_refused_with_alternatives(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UnsupportedPrecision) as info:
        optimize(models["conv"], "w4a16", tmp_path)
    assert "w8a8" in (info.value.hint or "") and "Conv" in info.value.detail


def test_mixed_meets_a_tight_budget_by_keeping_sensitive_layers_in_float(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    # mixed keeps onnxruntime's CPU layout (the QNN layout is w8a8's default): compare with w8a8 in that layout
    cpu = {"target": "cpu"}
    base = optimize(models["conv"], "w8a8", tmp_path / "w8a8", calibration=conv_data, options=cpu).details["fidelity"]
    budget = {"sqnr_db": base["sqnr_db"] + 3.0}

    result = optimize(
        models["conv"], "mixed", tmp_path / "mixed", calibration=conv_data, options={"mixed_budget": budget}
    )
    details = result.details

    assert details["budget_met"] is True and len(details["kept_float"]) >= 1
    json.dumps(details)
    assert details["errors_all_quantized"]["sqnr_db"] == pytest.approx(base["sqnr_db"])
    assert details["fidelity"]["sqnr_db"] >= budget["sqnr_db"]
    assert details["sensitivity_measured"] == details["layers_quantizable"] == 5
    kept = {entry["node"] for entry in details["kept_float"]}
    model = onnx.load(str(result.path))
    float_weights = {t.name for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT}
    for node in model.graph.node:
        if node.name in kept:
            assert node.input[1] in float_weights  # its weight was not quantized


def test_mixed_stops_at_max_float_layers_and_says_so(
    models: dict[str, Path], conv_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(
        models["conv"],
        "mixed",
        tmp_path,
        calibration=conv_data,
        options={"mixed_budget": {"sqnr_db": 150.0, "cosine": 0.9}, "max_float_layers": 2},
    )
    details = result.details
    assert details["budget_met"] is False and len(details["kept_float"]) == 2
    assert details["fidelity"]["sqnr_db"] > details["errors_all_quantized"]["sqnr_db"]


def test_mixed_with_a_loose_budget_is_plain_w8a8(
    models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(
        models["transformer"],
        "mixed",
        tmp_path,
        calibration=text_data,
        options={"mixed_budget": {"cosine": 0.99}},
    )
    assert result.details["kept_float"] == [] and result.details["budget_met"] is True


@pytest.mark.parametrize(
    ("sample", "needle"),
    [
        ({"image": np.zeros((1, 3, 32, 32), np.float32)}, "axis 2"),
        ({"pixels": np.zeros((1, 3, 64, 64), np.float32)}, "the model takes ['image']"),
        ({"image": np.zeros((1, 3, 64, 64), np.float64)}, "dtype float64"),
    ],
)
def test_wrong_calibration_names_the_expected_inputs(
    models: dict[str, Path], tmp_path: Path, sample: dict[str, np.ndarray], needle: str
) -> None:
    with pytest.raises(CalibrationMismatch) as info:
        optimize(models["conv"], "w8a8", tmp_path, calibration=[sample])
    assert needle in info.value.detail
    assert "image: float32[1, 3, 64, 64]" in (info.value.hint or "")


def test_static_precisions_need_calibration(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(CalibrationMismatch, match="needs calibration"):
        optimize(models["conv"], "w8a16", tmp_path, calibration=None)


@pytest.mark.parametrize("kind", ["garbage", "truncated", "text"])
def test_garbage_or_truncated_file_is_an_invalid_model_file(models: dict[str, Path], tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "bad.onnx"
    content = {
        "garbage": np.random.default_rng(0).bytes(3000),
        "truncated": models["conv"].read_bytes()[:4000],
        "text": b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n",
    }[kind]
    bad.write_bytes(content)
    with pytest.raises(InvalidModelFile, match=r"bad\.onnx"):
        optimize(bad, "float", tmp_path / "out")


def test_unknown_option_and_precision_are_refused(models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="calibraton_methods"):
        optimize(models["conv"], "w8a8", tmp_path, options={"calibraton_methods": ["MinMax"]})
    with pytest.raises(InvalidInput, match="Unknown precision"):
        optimize(models["conv"], "int2", tmp_path)
    with pytest.raises(InvalidInput, match="output name"):
        optimize(models["conv"], "float", tmp_path, options={"name": "../escape"})


def test_no_temp_files_in_the_working_directory(
    models: dict[str, Path],
    text_data: list[dict[str, np.ndarray]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    optimize(models["transformer"], "w8a8", out, calibration=text_data[:4])
    assert list(cwd.iterdir()) == []
    assert [p.name for p in out.iterdir()] == ["transformer.onnx"]


def test_w8a8_transformer_npu_stays_static_qdq(
    models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["transformer"], "w8a8", tmp_path, calibration=text_data, options={"target": "npu"})

    assert (result.details["method"], result.details["variant"]) == ("static_qdq", "qnn-htp")
    assert qnn_layout_problems(result.path, preprocess=True) == []
    assert "scheme_candidates" not in result.details  # the NPU needs static scales: no dynamic candidate
    ops = Counter(node.op_type for node in onnx.load(str(result.path)).graph.node)
    assert ops["QuantizeLinear"] >= 1 and ops["DynamicQuantizeLinear"] == 0


def test_w8a8_transformer_records_the_measured_scheme_choice(
    models: dict[str, Path], text_data: list[dict[str, np.ndarray]], tmp_path: Path
) -> None:
    result = optimize(models["transformer"], "w8a8", tmp_path, calibration=text_data)

    assert result.details["target_reason"].startswith("transformer graph")  # the CPU layout by default, and why
    assert result.details["transformer_graph"].startswith("LayerNormalization present")
    assert result.details["scheme"] == "static_qdq_matmul"  # meets cosine 0.99: dynamic is not tried
    assert list(result.details["scheme_candidates"]) == ["static_qdq_matmul"]
    assert result.details["scheme_candidates"]["static_qdq_matmul"]["cosine"] >= 0.99
