"""profile(): host CPU latency and peak memory, per thread count, within a time budget."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from ingest.profile_host import ProfileFailed, profile  # noqa: E402
from registry.errors import InvalidInput  # noqa: E402


def _matmul_model(path: Path, size: int) -> Path:
    """x[1, size] @ W[size, size] -> Relu: the weight alone is size * size * 4 bytes."""
    helper = onnx.helper
    weight = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
        "matmul",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, size])],
        [helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [1, size])],
        [onnx.numpy_helper.from_array(weight, "w")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_profile_reports_sane_numbers_for_one_and_all_threads(tmp_path: Path) -> None:
    path = _matmul_model(tmp_path / "m.onnx", 2048)  # 16 MiB of weights
    inputs = {"x": np.ones((1, 2048), np.float32)}
    started = time.perf_counter()

    result = profile(path, inputs, threads=(1, "all"), warmup=2, runs=15, max_seconds=20)

    assert time.perf_counter() - started < 20 + 5
    cores = os.cpu_count() or 1
    assert [r.threads for r in result.results] == sorted({1, cores})
    for timing in result.results:
        assert timing.p90_ms >= timing.p50_ms > 0 and timing.min_ms <= timing.mean_ms
        assert timing.runs == 15 and not timing.truncated
        # The session holds the 16 MiB weight (plus its arena); not the interpreter or onnxruntime itself.
        assert 12 <= timing.peak_memory_mb < 200
    assert result.onnxruntime_version == ort.__version__
    assert result.cpu and result.cpu != "unknown" and result.logical_cores == cores
    assert "VmHWM" in result.memory_method
    assert result.at(1).threads == 1


def test_profile_stops_at_its_time_budget(tmp_path: Path) -> None:
    path = _matmul_model(tmp_path / "m.onnx", 512)
    started = time.perf_counter()

    result = profile(path, [{"x": np.ones((1, 512), np.float32)}], threads=(1,), warmup=1, runs=10**7, max_seconds=1.5)

    assert time.perf_counter() - started < 1.5 + 5
    only = result.at(1)
    assert only.truncated and 0 < only.runs < 10**7


def test_profile_of_a_broken_model_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ProfileFailed, match=r"bad\.onnx"):
        profile(bad, {"x": np.ones((1, 4), np.float32)}, threads=(1,), runs=1, max_seconds=10)


def test_profile_refuses_bad_arguments(tmp_path: Path) -> None:
    path = _matmul_model(tmp_path / "m.onnx", 8)
    with pytest.raises(InvalidInput, match="thread count"):
        profile(path, {"x": np.ones((1, 8), np.float32)}, threads=(0,))
    with pytest.raises(InvalidInput, match="No ONNX file"):
        profile(tmp_path / "missing.onnx", {"x": np.ones((1, 8), np.float32)})
