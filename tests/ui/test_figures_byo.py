"""What the model page says about a bring-your-own build: the exact shapes a figure was measured at, whether its
data were synthetic, and a fidelity figure from a degenerate run marked as such (never shown as a good one)."""

from __future__ import annotations

from typing import Any

from registry.entities import BuildInfo, EvaluationInfo
from ui.figures import data_text, eval_badge, shapes_text


def _eval(**details: Any) -> EvaluationInfo:
    return EvaluationInfo(
        id=1,
        build_id=1,
        precision="w8a8",
        runtime="onnx",
        provenance="measured-host",
        source="ort",
        dataset="d",
        metric="cosine",
        kind="fidelity",
        value=1.0,
        reference_value=1.0,
        sample_count=6,
        details=details,
    )


def test_badges_say_how_a_figure_was_measured() -> None:
    assert eval_badge(_eval()) == "cosine 1 (float 1) · measured-host"
    assert eval_badge(_eval(synthetic_data=True)) == "cosine 1 (float 1) · measured-host, synthetic inputs"
    assert eval_badge(_eval(degenerate=["SQNR at its clamp (+200 dB)"])).startswith("DEGENERATE cosine 1")
    shapes = {"input_shapes": {"input": [1, 512], "state": [2, 1, 16], "sr": []}}
    assert shapes_text(shapes) == "input 1x512, state 2x1x16, sr scalar"
    assert shapes_text({}) == ""
    data = {"model": {"calibration": {"kind": "given", "samples": 12}, "evaluation": {"kind": "synthetic"}}}
    build = BuildInfo(
        id=1,
        model="m",
        version="1.0.0",
        precision="w8a8",
        runtime="onnx",
        target="any",
        files=[],
        details={"data": data},
    )
    assert data_text(build) == "calibration given, evaluation synthetic"
