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
    assert eval_badge(_eval()) == "cosine 1.000 of 1 · measured-host"
    assert eval_badge(_eval(synthetic_data=True)) == "cosine 1.000 of 1 · measured-host, synthetic inputs"
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


def test_a_model_measured_per_component_only_has_a_heatmap_figure_per_device() -> None:
    """Whisper-like: encoder and decoder measured apart, on the host (1 and 2 threads) and on a device: each
    column shows the fastest total over the parts, never a dash."""
    from registry.entities import BenchmarkInfo, FileInfo
    from ui.figures import fastest_per_device, latency_badge

    def part(component: str, ms: float, device: str | None = None, threads: int = 1) -> BenchmarkInfo:
        return BenchmarkInfo(
            id=int(ms * 10),
            build_id=1,
            device=device,
            device_slug="sd8g3" if device else None,
            precision="float",
            runtime="onnx",
            component=component,
            provenance="estimated" if device else "measured-host",
            source="s",
            latency_ms=ms,
            error_pct=20 if device else None,
            details={"threads": threads},
        )

    files = [FileInfo(path=f"{c}.onnx", sha256="0" * 64, size=1, component=c) for c in ("encoder", "decoder")]
    benches = [
        part("encoder", 40.0),
        part("decoder", 60.0),
        part("encoder", 25.0, threads=2),
        part("decoder", 35.0, threads=2),
        part("encoder", 4.0, "qualcomm-snapdragon-8gen3"),
        part("decoder", 6.0, "qualcomm-snapdragon-8gen3"),
    ]
    build = BuildInfo(
        id=1, model="w", version="1.0.0", precision="float", runtime="onnx", target="any", files=files
    ).model_copy(update={"benchmarks": benches})
    best = fastest_per_device([build])
    assert {k: v.latency_ms for k, v in best.items()} == {"host CPU": 60.0, "sd8g3": 10.0}
    assert latency_badge(best["sd8g3"]) == "~10.0 ms (estimated, ±20%) (total: decoder 6 ms + encoder 4 ms)"


def _build(build_id: int, precision: str, latency_ms: float, cosine: float | None) -> BuildInfo:
    from registry.entities import BenchmarkInfo

    evaluations = [] if cosine is None else [_eval().model_copy(update={"build_id": build_id, "value": cosine})]
    bench = BenchmarkInfo(
        id=build_id,
        build_id=build_id,
        device="qualcomm-snapdragon-8gen3",
        precision=precision,
        runtime="tflite",
        provenance="estimated",
        source="est",
        latency_ms=latency_ms,
    )
    return BuildInfo(
        id=build_id,
        model="m",
        version="1.0.0",
        precision=precision,
        runtime="tflite",
        target="any",
        files=[],
        benchmarks=[bench],
        evaluations=evaluations,
    )


def test_the_best_build_is_fast_and_faithful_never_a_fast_build_far_from_fp32() -> None:
    from ui.figures import best_build

    fast_but_poor = _build(1, "w8a8", 1.0, 0.519)  # tiny-llama's int8 LiteRT build in the demo
    faithful = _build(2, "fp16", 3.0, 0.9999)
    reference = _build(3, "float", 3.1, None)
    choice = best_build([fast_but_poor, faithful, reference], "qualcomm-snapdragon-8gen3")
    assert choice is not None and choice.build.id == 2
    # asked for that precision, the poor build is still what there is to show
    only = best_build([fast_but_poor, faithful], "qualcomm-snapdragon-8gen3", precision="w8a8")
    assert only is not None and only.build.id == 1
