"""fidelity.compare / run_model: the figures every evaluation of a build against FP32 rests on."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ingest.fidelity import MAX_DB, compare, compare_per_output, degenerate_reference, run_model
from registry.errors import InvalidInput


def _logits(rows: np.ndarray) -> list[dict[str, np.ndarray]]:
    return [{"logits": row[None, :].astype(np.float32)} for row in rows]


def test_identical_outputs_are_perfect_and_json_safe() -> None:
    ref = _logits(np.random.default_rng(0).standard_normal((6, 10)))
    result = compare(ref, ref)
    assert result["cosine"] == pytest.approx(1.0)
    assert result["sqnr_db"] == result["psnr_db"] == MAX_DB and math.isfinite(result["sqnr_db"])
    assert result["max_abs_err"] == 0.0 and result["top1_agreement"] == 1.0 and result["samples"] == 6


def test_sqnr_and_psnr_follow_their_definitions() -> None:
    rng = np.random.default_rng(1)
    signal = rng.standard_normal((8, 100))
    noise = 0.01 * rng.standard_normal((8, 100))
    result = compare(_logits(signal), _logits(signal + noise))

    s, n = (
        signal.astype(np.float32).astype(np.float64),
        (signal + noise).astype(np.float32) - signal.astype(np.float32),
    )
    expected_sqnr = 10 * math.log10(float(np.sum(s * s)) / float(np.sum(n.astype(np.float64) ** 2)))
    peak = float(s.max() - s.min())
    expected_psnr = 10 * math.log10(peak * peak / float(np.mean(n.astype(np.float64) ** 2)))
    assert result["sqnr_db"] == pytest.approx(expected_sqnr, abs=1e-3)
    assert result["psnr_db"] == pytest.approx(expected_psnr, abs=1e-3)
    assert 39.0 < result["sqnr_db"] < 41.0  # 1% noise amplitude is 40 dB
    assert result["max_abs_err"] == pytest.approx(float(np.abs(n).max()), rel=1e-6)


def test_degenerate_reference_has_no_top1_agreement() -> None:
    # A random-weight classifier: class 3 wins for every input, so agreeing on it means nothing.
    rows = np.random.default_rng(2).standard_normal((5, 10)) * 0.01
    rows[:, 3] += 5.0
    reference = _logits(rows)
    candidate = _logits(rows + 0.001)

    assert degenerate_reference(reference) is True
    result = compare(reference, candidate)
    assert "top1_agreement" not in result and result["cosine"] > 0.99


def test_top1_agreement_counts_flips() -> None:
    rows = np.eye(4, 10) * 5.0  # classes 0..3
    flipped = rows.copy()
    flipped[1] = np.roll(flipped[1], 1)  # sample 1 now says class 2
    assert degenerate_reference(_logits(rows)) is False
    assert compare(_logits(rows), _logits(flipped))["top1_agreement"] == pytest.approx(0.75)


def test_non_classifier_outputs_have_no_top1() -> None:
    images = [{"mask": np.random.default_rng(i).standard_normal((1, 2, 8, 8)).astype(np.float32)} for i in range(3)]
    assert degenerate_reference(images) is True
    assert "top1_agreement" not in compare(images, images)


def test_worst_output_is_reported() -> None:
    rng = np.random.default_rng(3)
    ref = [{"a": rng.standard_normal(50), "b": rng.standard_normal(50)} for _ in range(2)]
    cand = [{"a": s["a"], "b": s["b"] + 0.1} for s in ref]
    per_output = compare_per_output(ref, cand)
    assert per_output["a"]["sqnr_db"] == MAX_DB
    assert compare(ref, cand)["sqnr_db"] == pytest.approx(per_output["b"]["sqnr_db"])


def test_mismatched_samples_are_refused() -> None:
    ref = _logits(np.ones((2, 10)))
    with pytest.raises(InvalidInput, match="2 samples"):
        compare(ref, ref[:1])
    with pytest.raises(InvalidInput, match="shape"):
        compare(ref, [{"logits": np.ones((1, 9), np.float32)}] * 2)
    with pytest.raises(InvalidInput, match="lacks outputs"):
        compare(ref, [{"other": np.ones((1, 10), np.float32)}] * 2)


def test_run_model_returns_outputs_by_name(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    helper = onnx.helper
    weight = np.arange(12, dtype=np.float32).reshape(4, 3)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
        "tiny",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])],
        [
            helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [1, 3]),
            helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3]),
        ],
        [onnx.numpy_helper.from_array(weight, "w")],
    )
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    inputs = [{"x": np.array([[1, 0, 0, 0]], np.float32)}, {"x": np.array([[0, -1, 0, 0]], np.float32)}]

    outputs = run_model(path, inputs)

    assert [list(o) for o in outputs] == [["z", "y"], ["z", "y"]]
    np.testing.assert_array_equal(outputs[0]["z"], weight[:1])
    np.testing.assert_array_equal(outputs[1]["y"], -weight[1:2])
    np.testing.assert_array_equal(outputs[1]["z"], np.zeros((1, 3), np.float32))
