"""Calibration graphs: vision models of Qualcomm's published AI Hub measurements (see build_graphs.py).

Plain torch definitions (random weights; only shapes count) with the input shape of each model's ``get_input_spec``
in quic/ai-hub-models and the outputs of AI Hub's wrapper ``forward``.
"""

from __future__ import annotations

from typing import Any

from registry.estimator.calib.yolo_parts import V8_BACKBONE, V8_HEAD, ultralytics_net, xywh2xyxy


def _img(h: int, w: int, c: int = 3) -> tuple[Any, ...]:
    import torch

    return (torch.zeros(1, c, h, w),)


# --- FastSAM (CASIA-IVA-Lab/FastSAM): YOLOv8-seg with one class --------------------------------------------------


def _single_class_segmentor(net: Any) -> Any:
    """AI Hub's UltralyticsSingleClassSegmentor forward: xyxy boxes, the one class's score, coefficients, protos."""
    import torch

    class Segmentor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = net

        def forward(self, image: Any) -> tuple[Any, Any, Any, Any]:
            boxes, scores, mask_coeffs, protos = self.model(image)
            return xywh2xyxy(boxes.permute(0, 2, 1)), scores.squeeze(1), mask_coeffs.permute(0, 2, 1), protos

    return Segmentor()


def fastsam_s() -> tuple[Any, tuple[Any, ...]]:
    """FastSAM-s = YOLOv8s-seg (depth 0.33, width 0.5) with nc=1."""
    return _single_class_segmentor(ultralytics_net(V8_BACKBONE + V8_HEAD, 0.33, 0.5, seg=True, nc=1)), _img(640, 640)


def fastsam_x() -> tuple[Any, tuple[Any, ...]]:
    """FastSAM-x = YOLOv8x-seg (depth 1.0, width 1.25, max_channels 512) with nc=1."""
    net = ultralytics_net(V8_BACKBONE + V8_HEAD, 1.0, 1.25, seg=True, nc=1, max_channels=512)
    return _single_class_segmentor(net), _img(640, 640)


def param_count(builder: Any) -> int:
    module, _ = builder()
    return sum(p.numel() for p in module.parameters())


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture, input and AI Hub wrapper (random weights)"
    return {
        ("fastsam_s", "FastSam-S"): (fastsam_s, f"{same}; YOLOv8s-seg, one class, 11.79M params vs 11.8M published"),
        ("fastsam_x", "FastSam-X"): (fastsam_x, f"{same}; YOLOv8x-seg, one class, 71.75M params vs 72.2M published"),
    }
