"""The model page says what loads each build and its interface, from the build's recorded requirements."""

from __future__ import annotations

from registry.entities import BuildInfo
from ui.figures import interface_text, needs_text


def _build(**extra: object) -> BuildInfo:
    return BuildInfo.model_validate(
        {
            "id": 1,
            "model": "m",
            "version": "1.0.0",
            "precision": "w8a8",
            "runtime": "onnx",
            "target": "any",
            "files": [],
        }
        | extra
    )


def test_needs_and_interface_text() -> None:
    b = _build(
        requirements={"runtimes": {"onnxruntime": "1.18"}, "reasons": {"onnxruntime": "opset 21"}, "htp_arch": "V75"},
        interface={
            "inputs": [{"name": "images", "shape": ["batch", 3, 64, 64], "dtype": "float32"}],
            "outputs": [{"name": "logits", "shape": [1, 10], "dtype": "float32", "component": "head"}],
        },
    )
    assert needs_text(b) == "onnxruntime >= 1.18 (opset 21) · HTP V75"
    assert interface_text(b) == "images ['batch', 3, 64, 64] float32 → head.logits [1, 10] float32"
    assert needs_text(_build()).startswith("not recorded") and interface_text(_build()) == ""
