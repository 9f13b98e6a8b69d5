"""LiteRT w8a8 builds (ingest.converters.tflite_static): ranges that cover every calibration sample, fidelity to
the float build, and leading ops kept float (and recorded) only when the held-out fidelity asks for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.converters import Interface
from ingest.fidelity import compare

pytest.importorskip("litert_torch")
pytest.importorskip("ai_edge_quantizer")

from ingest.converters.tflite import TfliteConverter
from ingest.converters.tflite_static import MAX_FLOAT_SHARE, RANGES

INTERFACE = Interface(("pixel_values",), ("logits",))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CNN as a float .tflite: a cheap first convolution, then wider ones (most of the MACs)."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.Conv2d(4, 32, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.Conv2d(32, 32, 3, padding=1),
        torch.nn.ReLU6(),
        torch.nn.Conv2d(32, 32, 3, padding=1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(32, 10),
    )
    out = tmp_path_factory.mktemp("float")
    return TfliteConverter().export(net.eval(), {"pixel_values": torch.zeros(1, 3, 16, 16)}, out)


def _images(count: int, seed: int, growing: bool = False) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    scale = (lambda i: 1.0 + i / 4) if growing else (lambda i: 1.0)
    return [{"pixel_values": (scale(i) * rng.standard_normal((1, 3, 16, 16))).astype(np.float32)} for i in range(count)]


def _build(source: Path, out: Path, calibration: list[dict[str, np.ndarray]], **options: Any) -> Any:
    out.mkdir()
    return TfliteConverter().optimize(
        source, "w8a8", out, calibration=calibration, options=options, interface=INTERFACE
    )


def _cosine_to_float(source: Path, build: Path, feeds: list[dict[str, np.ndarray]]) -> float:
    conv = TfliteConverter()
    return compare(conv.run(source, feeds, INTERFACE), conv.run(build, feeds, INTERFACE))["cosine"]


def test_the_int8_input_range_covers_the_last_calibration_sample_too(source: Path, tmp_path: Path) -> None:
    """ai-edge-quantizer's own calibration averages per-sample ranges, so a late, wider sample is clipped; here the
    range is the min/max over every sample, and the build stays within 0.98 cosine of the float one."""
    from ai_edge_litert.interpreter import Interpreter

    calibration = _images(16, seed=1, growing=True)
    result = _build(source, tmp_path / "w8a8", calibration, min_cosine=0.0)
    assert result.details["kept_float"] == [] and result.details["io"]["inputs"] == {"args_0": "int8"}
    fitted = calibration[: result.details["calibration"]["samples"]]
    assert result.details["calibration"] == {"ranges": RANGES, "samples": 12, "held_out_samples": 4}
    runner = Interpreter(model_path=str(result.path)).get_signature_runner("serving_default")
    scale, zero = runner.get_input_details()["args_0"]["quantization"]
    low = min(float(s["pixel_values"].min()) for s in fitted)
    high = max(float(s["pixel_values"].max()) for s in fitted)
    assert (-128 - zero) * scale <= low + scale and (127 - zero) * scale >= high - scale
    assert _cosine_to_float(source, result.path, _images(8, seed=2)) >= 0.98
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["model.tflite"]  # the tries are gone


def test_leading_ops_stay_float_only_while_the_held_out_cosine_asks_and_the_build_says_so(
    source: Path, tmp_path: Path
) -> None:
    calibration = _images(16, seed=3)
    reached = _build(source, tmp_path / "reached", calibration, min_cosine=0.5)
    assert reached.details["kept_float"] == [] and len(reached.details["tried"]) == 1
    assert reached.details["min_cosine_met"] is True
    assert "kept float" not in reached.details["scheme"]

    # a floor no build can reach: every try within the MAC budget is measured, the best one kept and recorded
    strict = _build(source, tmp_path / "strict", calibration, min_cosine=1.01)
    details = strict.details
    assert details["min_cosine_met"] is False and len(details["tried"]) >= 2
    assert all(t["float_mac_share"] <= MAX_FLOAT_SHARE for t in details["tried"])
    assert details["held_out_cosine"] == max(t["held_out_cosine"] for t in details["tried"])
    if details["kept_float"]:
        assert "kept float32" in details["scheme"] and details["io"]["inputs"] == {"args_0": "float32"}
        assert {"INPUT", "CONV_2D"} <= {k["op_type"] for k in details["kept_float"]} and details["float_mac_share"] > 0
    feeds = _images(4, seed=4)
    # far under the floor, leading float ops would not rescue it: the all-int8 build is kept, after one try
    hopeless = _build(source, tmp_path / "hopeless", calibration, min_cosine=2.0).details
    assert hopeless["kept_float"] == [] and len(hopeless["tried"]) == 1 and hopeless["min_cosine_met"] is False
    assert _cosine_to_float(source, strict.path, feeds) >= 0.98  # it runs, fed float, read back under FP32 names


def test_the_float_budget_counts_each_weighted_ops_multiply_accumulates(source: Path) -> None:
    """The share of MACs kept float bounds the speed lost: each convolution and the classifier counted exactly."""
    from ingest.converters.tflite_static import WEIGHTED, operators

    ops = operators(source)
    assert ops[0].kind == "INPUT" and ops[0].macs == 0
    weighted = [(op.kind, op.macs) for op in ops if op.kind in WEIGHTED]
    conv = [16 * 16 * out * 9 * inp for inp, out in ((3, 4), (4, 32), (32, 32), (32, 32))]
    assert weighted == [*(("CONV_2D", m) for m in conv), ("FULLY_CONNECTED", 32 * 10)]


def test_a_kv_cache_step_quantized_to_int8_runs_through_the_signature_apps_use(tmp_path: Path) -> None:
    """A decoder step whose present key is both an output and read by the attention: ai-edge-quantizer requantizes
    that output into a new tensor but left the signature naming the old one, which LiteRT with XNNPACK never
    fills ("Tensor data is null", as tiny-opus-mt, whisper-tiny-kv and tiny-llama-kv failed). The build now runs
    through the signature runner, the way an Android app calls it, and gives the present key back."""
    import torch
    from ai_edge_litert.interpreter import Interpreter

    class Step(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.out = torch.nn.Linear(16, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 8)

        def forward(self, x: torch.Tensor, past: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            k = self.k(x)
            keys = torch.cat([past, k], dim=1)
            return self.out(torch.softmax(self.q(x) @ keys.transpose(1, 2), -1) @ keys), k

    torch.manual_seed(0)
    src = TfliteConverter().export(Step().eval(), {"x": torch.zeros(1, 1, 16), "past": torch.zeros(1, 4, 16)}, tmp_path)
    rng = np.random.default_rng(0)
    feeds = [
        {
            "x": rng.standard_normal((1, 1, 16)).astype(np.float32),
            "past": rng.standard_normal((1, 4, 16)).astype(np.float32),
        }
        for _ in range(12)
    ]
    (tmp_path / "w8a8").mkdir()
    interface = Interface(("x", "past"), ("logits", "present_key"))
    result = TfliteConverter().optimize(
        src, "w8a8", tmp_path / "w8a8", calibration=feeds[:8], options={"min_cosine": 0.0}, interface=interface
    )
    runner = Interpreter(model_path=str(result.path)).get_signature_runner("serving_default")
    got = runner(**{n: np.zeros(d["shape"], d["dtype"]) for n, d in runner.get_input_details().items()})
    assert sorted(got) == ["output_0", "output_1"] and got["output_1"].shape == (1, 1, 16)
    conv = TfliteConverter()
    assert compare(conv.run(src, feeds[8:], interface), conv.run(result.path, feeds[8:], interface))["cosine"] > 0.95
