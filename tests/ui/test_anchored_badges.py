"""The UI's figure text (ui/figures.py, used by the model, catalog and compare views) says which estimates are
anchored and on what, and that a user's own measurement is self-reported, with its reporter."""

from __future__ import annotations

from registry.entities import BenchmarkInfo
from ui.figures import latency_badge


def _bench(**kw: object) -> BenchmarkInfo:
    base: dict[str, object] = dict(
        id=1, build_id=1, device="qualcomm-snapdragon-8gen3", device_slug="sd8g3", precision="float",
        runtime="onnx", provenance="estimated", source="estimator 0.3.0", latency_ms=3.1, error_pct=12.0,
    )  # fmt: skip
    return BenchmarkInfo.model_validate(base | kw)


def test_an_anchored_estimate_names_its_anchor_and_a_report_its_reporter() -> None:
    assert latency_badge(_bench()) == "~3.1 ms (estimated, ±12%)"
    anchored = _bench(anchored_on="Qualcomm AI Hub profile (inference job jp4k2) (qualcomm-snapdragon-8gen3)")
    assert latency_badge(anchored) == (
        "~3.1 ms (estimated, ±12%, anchored on Qualcomm AI Hub profile (inference job jp4k2) "
        "(qualcomm-snapdragon-8gen3))"
    )
    mine = _bench(provenance="measured-device", source="my app", reported_by="alice", error_pct=None)
    assert latency_badge(mine) == "3.1 ms · measured-device, self-reported by alice"
