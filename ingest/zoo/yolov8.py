"""yolov8n: the YOLOv8n detector in plain torch (no ``ultralytics`` dependency), RANDOM weights by default.

The layers follow ``yolov8n.yaml`` (depth 0.33, width 0.25): a CSP backbone of Conv-BN-SiLU blocks and C2f
stages, SPPF, a PAN neck, and the anchor-free decoupled Detect head with Distribution Focal Loss (DFL) box
decoding. Module and parameter names match Ultralytics' ``DetectionModel`` (``model.0.conv.weight`` ...
``model.22.dfl.conv.weight``), so a checkpoint in that standard state-dict layout loads as is: pass
``build(checkpoint=PATH)`` or set ``REGISTRY_YOLOV8N_CHECKPOINT``. The file must be a plain state dict
(``torch.save(model.state_dict(), PATH)``, optionally under a ``"state_dict"`` or ``"model"`` key), loaded with
``weights_only=True``; pickled Ultralytics model objects are refused since they need the AGPL package.

The output is Ultralytics' ONNX layout: ``output0`` float32 [1, 84, N] = (cx, cy, w, h) in input pixels and 80
class scores (sigmoid) per anchor, N = 8400 at 640 x 640.

With random weights the BatchNorm running statistics are recomputed on real bundled photographs so the
activations have a trained net's spread (the weights stay random); builds are judged by fidelity to FP32.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import POOLS, letterbox, pool_images, random_crops, recalibrate_batchnorm, unit_tensor

INPUT: Final = "images"
OUTPUT: Final = "output0"
SEED: Final = 0
NUM_CLASSES: Final = 80
REG_MAX: Final = 16
STRIDES: Final = (8, 16, 32)
SIZES: Final = {"default": 640, "tiny": 160}
CHECKPOINT_ENV: Final = "REGISTRY_YOLOV8N_CHECKPOINT"
BN_IMAGES: Final = 16


def _modules() -> Any:
    import torch
    from torch import nn

    class Conv(nn.Module):
        def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
            self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
            self.act = nn.SiLU()

        def forward(self, x: Any) -> Any:
            return self.act(self.bn(self.conv(x)))

    class Bottleneck(nn.Module):
        def __init__(self, c1: int, c2: int, shortcut: bool) -> None:
            super().__init__()
            self.cv1 = Conv(c1, c2, 3)
            self.cv2 = Conv(c2, c2, 3)
            self.add = shortcut and c1 == c2

        def forward(self, x: Any) -> Any:
            y = self.cv2(self.cv1(x))
            return x + y if self.add else y

    class C2f(nn.Module):
        def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False) -> None:
            super().__init__()
            self.c = c2 // 2
            self.cv1 = Conv(c1, 2 * self.c, 1)
            self.cv2 = Conv((2 + n) * self.c, c2, 1)
            self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut) for _ in range(n))

        def forward(self, x: Any) -> Any:
            y = list(self.cv1(x).chunk(2, 1))
            for m in self.m:
                y.append(m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, c1: int, c2: int, k: int = 5) -> None:
            super().__init__()
            c_ = c1 // 2
            self.cv1 = Conv(c1, c_, 1)
            self.cv2 = Conv(c_ * 4, c2, 1)
            self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

        def forward(self, x: Any) -> Any:
            y = [self.cv1(x)]
            for _ in range(3):
                y.append(self.m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class Concat(nn.Module):
        def forward(self, xs: list[Any]) -> Any:
            return torch.cat(xs, 1)

    class DFL(nn.Module):
        """Expected value of the 16-bin distribution over box-side distances."""

        def __init__(self, c1: int = REG_MAX) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
            self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
            self.c1 = c1

        def forward(self, x: Any) -> Any:
            b, _, a = x.shape
            return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)

    class Detect(nn.Module):
        def __init__(self, nc: int, ch: tuple[int, ...]) -> None:
            super().__init__()
            self.nc, self.nl, self.reg_max = nc, len(ch), REG_MAX
            self.no = nc + REG_MAX * 4
            c2, c3 = max(16, ch[0] // 4, REG_MAX * 4), max(ch[0], min(nc, 100))
            self.cv2 = nn.ModuleList(
                nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * REG_MAX, 1)) for x in ch
            )
            self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
            self.dfl = DFL(REG_MAX)

        def forward(self, xs: list[Any]) -> Any:
            b = xs[0].shape[0]
            feats = [torch.cat((self.cv2[i](xs[i]), self.cv3[i](xs[i])), 1) for i in range(self.nl)]
            anchors, strides = [], []
            for f, stride in zip(feats, STRIDES, strict=True):
                h, w = f.shape[2:]
                sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
                anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
                strides.append(torch.full((h * w, 1), float(stride)))
            anchor = torch.cat(anchors).transpose(0, 1).unsqueeze(0)  # [1, 2, N]
            stride_t = torch.cat(strides).transpose(0, 1)  # [1, N]
            x = torch.cat([f.view(b, self.no, -1) for f in feats], 2)
            box, cls = torch.split(x, [REG_MAX * 4, self.nc], dim=1)
            lt, rb = self.dfl(box).chunk(2, 1)
            x1y1, x2y2 = anchor - lt, anchor + rb
            dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * stride_t
            return torch.cat((dbox, cls.sigmoid()), 1)

    class YOLOv8(nn.Module):
        """yolov8n.yaml with width 0.25 / depth 0.33; ``self.model`` indices match Ultralytics'."""

        # (from-layers) for the layers that take more than the previous output
        sources: Final = {11: (-1, 6), 14: (-1, 4), 17: (-1, 12), 20: (-1, 9), 22: (15, 18, 21)}

        def __init__(self, nc: int = NUM_CLASSES) -> None:
            super().__init__()
            up = nn.Upsample(scale_factor=2.0, mode="nearest")
            self.model = nn.ModuleList(
                [
                    Conv(3, 16, 3, 2),  # 0 P1/2
                    Conv(16, 32, 3, 2),  # 1 P2/4
                    C2f(32, 32, 1, True),  # 2
                    Conv(32, 64, 3, 2),  # 3 P3/8
                    C2f(64, 64, 2, True),  # 4
                    Conv(64, 128, 3, 2),  # 5 P4/16
                    C2f(128, 128, 2, True),  # 6
                    Conv(128, 256, 3, 2),  # 7 P5/32
                    C2f(256, 256, 1, True),  # 8
                    SPPF(256, 256, 5),  # 9
                    up,  # 10
                    Concat(),  # 11 cat backbone P4
                    C2f(384, 128, 1),  # 12
                    nn.Upsample(scale_factor=2.0, mode="nearest"),  # 13
                    Concat(),  # 14 cat backbone P3
                    C2f(192, 64, 1),  # 15 (P3/8-small)
                    Conv(64, 64, 3, 2),  # 16
                    Concat(),  # 17 cat head P4
                    C2f(192, 128, 1),  # 18 (P4/16-medium)
                    Conv(128, 128, 3, 2),  # 19
                    Concat(),  # 20 cat head P5
                    C2f(384, 256, 1),  # 21 (P5/32-large)
                    Detect(nc, (64, 128, 256)),  # 22
                ]
            )

        def forward(self, images: Any) -> Any:
            outputs: list[Any] = []
            x = images
            for i, layer in enumerate(self.model):
                src = self.sources.get(i)
                x = layer([x if j == -1 else outputs[j] for j in src]) if src is not None else layer(x)
                outputs.append(x)
            return x

    return YOLOv8


def load_checkpoint(net: Any, path: Path) -> None:
    """Load a state dict in Ultralytics' layout into ``net``; a clear error when the file is not one."""
    import torch

    from registry.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"YOLOv8n checkpoint {path} does not exist", hint=f"Check the path (or {CHECKPOINT_ENV}).")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InvalidInput(
            f"{path} is not a plain state dict ({type(exc).__name__})",
            hint="Save the weights with torch.save(model.state_dict(), path); pickled Ultralytics model "
            "objects are not loaded (they need the ultralytics package).",
        ) from exc
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
    if not isinstance(obj, dict):
        raise InvalidInput(
            f"{path} holds a {type(obj).__name__}, not a state dict",
            hint="Save the weights with torch.save(model.state_dict(), path) in the Ultralytics layout.",
        )
    state = {k: v.float() for k, v in obj.items() if isinstance(v, torch.Tensor)}
    result = net.load_state_dict(state, strict=False)
    wanted = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if wanted or result.unexpected_keys:
        raise InvalidInput(
            f"{path} is not a YOLOv8n state dict: {len(wanted)} missing keys (e.g. {wanted[:3]}), "
            f"{len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:3]})",
            hint="Expected Ultralytics' DetectionModel layout: model.0.conv.weight ... model.22.dfl.conv.weight.",
        )


def detection_inputs(pool: str, n: int, px: int, seed: int) -> list[Inputs]:
    """Letterboxed photos (whole images first, then random crops), YOLO preprocessing (RGB / 255)."""
    whole = list(pool_images(pool))
    crops = random_crops(pool, max(0, n - len(whole)), px, round(px * 0.75), seed)
    images = (whole + crops)[:n]
    return [{INPUT: unit_tensor(letterbox(img, px))} for img in images]


def build(size: str = "default", checkpoint: str | Path | None = None) -> ZooModel:
    import torch

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    px = SIZES[size]
    torch.manual_seed(SEED)
    net = _modules()().eval()
    ckpt = checkpoint or os.environ.get(CHECKPOINT_ENV) or None
    if ckpt:
        load_checkpoint(net, Path(ckpt).expanduser())
        weights = "real"
        weights_note = f"user-supplied checkpoint {Path(ckpt).name} (standard Ultralytics state-dict layout)"
    else:
        used = recalibrate_batchnorm(
            net, [x[INPUT] for x in detection_inputs("calibration", BN_IMAGES, px, seed=1000)][::-1]
        )
        weights = "random"
        weights_note = (
            f"random: torch default initialisation (seed {SEED}), no pretrained checkpoint; BatchNorm running "
            f"statistics recomputed on {used} letterboxed bundled photos. Detections are meaningless; builds "
            "are judged by fidelity to FP32. Supply real weights with build(checkpoint=...) or "
            f"{CHECKPOINT_ENV}."
        )
    net.eval()
    example = torch.from_numpy(detection_inputs("eval", 1, px, seed=2)[0][INPUT])
    anchors = sum((px // s) ** 2 for s in STRIDES)
    return ZooModel(
        slug="yolov8n",
        name="YOLOv8n",
        task="object-detection",
        domain="computer-vision",
        license="Apache-2.0 (code); AGPL-3.0 (Ultralytics weights)",
        source_url="https://docs.ultralytics.com/models/yolov8/",
        description="YOLOv8n (nano) anchor-free object detector: CSP/C2f backbone, SPPF, PAN neck and a "
        "decoupled head with DFL box regression; 80 COCO classes.",
        weights=weights,
        components=[
            Component(
                name="model",
                module=net,
                example_inputs={INPUT: example},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=lambda component, n: detection_inputs("calibration", n, px, seed=0),
        eval_inputs=lambda component, n: detection_inputs("eval", n, px, seed=1),
        card={
            "weights": weights_note,
            "parameters": sum(int(np.prod(p.shape)) for p in net.parameters()),
            "input": f"{INPUT}: float32 [1, 3, {px}, {px}], RGB / 255, letterboxed (grey 114 padding)",
            "output": f"{OUTPUT}: float32 [1, {4 + NUM_CLASSES}, {anchors}]: cx, cy, w, h (pixels) and "
            f"{NUM_CLASSES} class scores per anchor; NMS is left to the application",
            "calibration": f"bundled photos ({', '.join(n for _, n in POOLS['calibration'])}) letterboxed, "
            "then random crops; evaluation uses a disjoint set of photos",
        },
        task_metric=None,
    )
