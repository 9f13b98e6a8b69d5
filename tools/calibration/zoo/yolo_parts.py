"""Shared parts of the YOLO calibration graphs (see detection.py): Ultralytics' building blocks and heads in plain
torch, a small parse_model for their yaml layer lists, and AI Hub's wrappers and post-processing."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

NUM_CLASSES = 80
STRIDES = (8, 16, 32)


def anchor_grid(hw: int) -> tuple[Any, Any]:
    """Anchor-free heads' cell centres ([N, 2], x then y, in cells) and each cell's stride ([N, 1]) over the three
    output strides of a hw x hw input."""
    import torch

    points, strides = [], []
    for s in STRIDES:
        g = hw // s
        sy, sx = torch.meshgrid(torch.arange(g) + 0.5, torch.arange(g) + 0.5, indexing="ij")
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        strides.append(torch.full((g * g, 1), float(s)))
    return torch.cat(points), torch.cat(strides)


def make_divisible(x: float, divisor: int = 8) -> int:
    return int(math.ceil(x / divisor) * divisor)


def blocks() -> SimpleNamespace:
    """Ultralytics' building blocks (ultralytics/nn/modules), re-implemented in plain torch."""
    import torch
    from torch import nn

    class Conv(nn.Module):
        """Conv2d (no bias) -> BatchNorm -> SiLU (or no activation)."""

        def __init__(
            self, c1: int, c2: int, k: int = 1, s: int = 1, p: int | None = None, g: int = 1, act: bool = True
        ) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, groups=g, bias=False)
            self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
            self.act = nn.SiLU() if act else nn.Identity()

        def forward(self, x: Any) -> Any:
            return self.act(self.bn(self.conv(x)))

    class Bottleneck(nn.Module):
        def __init__(
            self, c1: int, c2: int, shortcut: bool = True, k: tuple[int, int] = (3, 3), e: float = 0.5
        ) -> None:
            super().__init__()
            c_ = int(c2 * e)
            self.cv1, self.cv2 = Conv(c1, c_, k[0]), Conv(c_, c2, k[1])
            self.add = shortcut and c1 == c2

        def forward(self, x: Any) -> Any:
            y = self.cv2(self.cv1(x))
            return x + y if self.add else y

    class C3(nn.Module):
        def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = True, e: float = 0.5, k: int = 1) -> None:
            super().__init__()
            c_ = int(c2 * e)
            self.cv1, self.cv2, self.cv3 = Conv(c1, c_, 1), Conv(c1, c_, 1), Conv(2 * c_, c2, 1)
            self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, (k, 3), 1.0) for _ in range(n)))

        def forward(self, x: Any) -> Any:
            return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))

    class C2f(nn.Module):
        def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False, e: float = 0.5) -> None:
            super().__init__()
            self.c = int(c2 * e)
            self.cv1, self.cv2 = Conv(c1, 2 * self.c, 1), Conv((2 + n) * self.c, c2, 1)
            self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, (3, 3), 1.0) for _ in range(n))

        def forward(self, x: Any) -> Any:
            y = list(self.cv1(x).chunk(2, 1))
            for m in self.m:
                y.append(m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class C3k2(C2f):
        """YOLO11's C2f whose inner blocks are C3k (two 3x3 bottlenecks) or plain bottlenecks."""

        def __init__(self, c1: int, c2: int, n: int = 1, c3k: bool = False, e: float = 0.5) -> None:
            super().__init__(c1, c2, n, True, e)
            self.m = nn.ModuleList(
                C3(self.c, self.c, 2, True, 0.5, k=3) if c3k else Bottleneck(self.c, self.c, True, (3, 3), 0.5)
                for _ in range(n)
            )

    class RepVGGDW(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv, self.conv1 = Conv(c, c, 7, g=c, act=False), Conv(c, c, 3, g=c, act=False)
            self.act = nn.SiLU()

        def forward(self, x: Any) -> Any:
            return self.act(self.conv(x) + self.conv1(x))

    class CIB(nn.Module):
        """YOLOv10's compact inverted block."""

        def __init__(self, c1: int, c2: int, shortcut: bool = True, e: float = 0.5, lk: bool = False) -> None:
            super().__init__()
            c_ = int(c2 * e)
            self.cv1 = nn.Sequential(
                Conv(c1, c1, 3, g=c1),
                Conv(c1, 2 * c_, 1),
                RepVGGDW(2 * c_) if lk else Conv(2 * c_, 2 * c_, 3, g=2 * c_),
                Conv(2 * c_, c2, 1),
                Conv(c2, c2, 3, g=c2),
            )
            self.add = shortcut and c1 == c2

        def forward(self, x: Any) -> Any:
            return x + self.cv1(x) if self.add else self.cv1(x)

    class C2fCIB(C2f):
        def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False, lk: bool = False) -> None:
            super().__init__(c1, c2, n, shortcut)
            self.m = nn.ModuleList(CIB(self.c, self.c, shortcut, 1.0, lk) for _ in range(n))

    class SCDown(nn.Module):
        def __init__(self, c1: int, c2: int, k: int, s: int) -> None:
            super().__init__()
            self.cv1, self.cv2 = Conv(c1, c2, 1), Conv(c2, c2, k, s, g=c2, act=False)

        def forward(self, x: Any) -> Any:
            return self.cv2(self.cv1(x))

    class SPPF(nn.Module):
        def __init__(self, c1: int, c2: int, k: int = 5) -> None:
            super().__init__()
            c_ = c1 // 2
            self.cv1, self.cv2 = Conv(c1, c_, 1), Conv(c_ * 4, c2, 1)
            self.m = nn.MaxPool2d(k, 1, k // 2)

        def forward(self, x: Any) -> Any:
            y = [self.cv1(x)]
            for _ in range(3):
                y.append(self.m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class Attention(nn.Module):
        """Position-sensitive multi-head self-attention over all pixels (YOLOv10 PSA, YOLO11 C2PSA)."""

        def __init__(self, dim: int, num_heads: int, attn_ratio: float = 0.5) -> None:
            super().__init__()
            self.num_heads, self.head_dim = num_heads, dim // num_heads
            self.key_dim = int(self.head_dim * attn_ratio)
            self.scale = self.key_dim**-0.5
            self.qkv = Conv(dim, dim + 2 * self.key_dim * num_heads, 1, act=False)
            self.proj = Conv(dim, dim, 1, act=False)
            self.pe = Conv(dim, dim, 3, g=dim, act=False)

        def forward(self, x: Any) -> Any:
            b, c, h, w = x.shape
            qkv = self.qkv(x).view(b, self.num_heads, 2 * self.key_dim + self.head_dim, h * w)
            q, k, v = qkv.split([self.key_dim, self.key_dim, self.head_dim], dim=2)
            attn = ((q.transpose(-2, -1) @ k) * self.scale).softmax(dim=-1)
            y = (v @ attn.transpose(-2, -1)).view(b, c, h, w) + self.pe(v.reshape(b, c, h, w))
            return self.proj(y)

    class PSABlock(nn.Module):
        def __init__(self, c: int, num_heads: int) -> None:
            super().__init__()
            self.attn = Attention(c, num_heads)
            self.ffn = nn.Sequential(Conv(c, 2 * c, 1), Conv(2 * c, c, 1, act=False))

        def forward(self, x: Any) -> Any:
            x = x + self.attn(x)
            return x + self.ffn(x)

    class C2PSA(nn.Module):
        """C2PSA (YOLO11) with n PSA blocks; YOLOv10's PSA is the n = 1 case."""

        def __init__(self, c1: int, c2: int, n: int = 1) -> None:
            super().__init__()
            self.c = c1 // 2
            self.cv1, self.cv2 = Conv(c1, 2 * self.c, 1), Conv(2 * self.c, c2, 1)
            self.m = nn.Sequential(*(PSABlock(self.c, self.c // 64) for _ in range(n)))

        def forward(self, x: Any) -> Any:
            a, b = self.cv1(x).split((self.c, self.c), dim=1)
            return self.cv2(torch.cat((a, self.m(b)), 1))

    class Concat(nn.Module):
        def forward(self, xs: list[Any]) -> Any:
            return torch.cat(xs, 1)

    return SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


def heads(b: SimpleNamespace) -> SimpleNamespace:
    """Ultralytics' Detect / Segment heads as AI Hub patches them: boxes and scores kept apart, DFL decoding."""
    import torch
    from torch import nn

    Conv = b.Conv

    class DFL(nn.Module):
        def __init__(self, c1: int = 16) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
            self.c1 = c1

        def forward(self, x: Any) -> Any:
            n, _, a = x.shape
            return self.conv(x.view(n, 4, self.c1, a).transpose(2, 1).softmax(1)).view(n, 4, a)

    class Detect(nn.Module):
        """``legacy`` (v8) class branch: two 3x3 convs; otherwise (v10, v11) depthwise 3x3 + pointwise, twice."""

        def __init__(self, ch: tuple[int, ...], legacy: bool, hw: int, nc: int = NUM_CLASSES) -> None:
            super().__init__()
            self.nc, self.reg_max = nc, 16
            c2, c3 = max(16, ch[0] // 4, 4 * self.reg_max), max(ch[0], min(nc, 100))
            self.cv2 = nn.ModuleList(
                nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * self.reg_max, 1)) for x in ch
            )
            if legacy:
                self.cv3 = nn.ModuleList(
                    nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch
                )
            else:
                self.cv3 = nn.ModuleList(
                    nn.Sequential(
                        nn.Sequential(Conv(x, x, 3, g=x), Conv(x, c3, 1)),
                        nn.Sequential(Conv(c3, c3, 3, g=c3), Conv(c3, c3, 1)),
                        nn.Conv2d(c3, nc, 1),
                    )
                    for x in ch
                )
            self.dfl = DFL(self.reg_max)
            points, strides = anchor_grid(hw)
            self.anchors: Any = points.transpose(0, 1).unsqueeze(0)  # constants in the graph
            self.strides: Any = strides.transpose(0, 1)

        def forward(self, xs: list[Any]) -> tuple[Any, Any]:
            n = xs[0].shape[0]
            box = torch.cat([self.cv2[i](x).view(n, 4 * self.reg_max, -1) for i, x in enumerate(xs)], 2)
            cls = torch.cat([self.cv3[i](x).view(n, self.nc, -1) for i, x in enumerate(xs)], 2)
            lt, rb = self.dfl(box).chunk(2, 1)
            x1y1, x2y2 = self.anchors - lt, self.anchors + rb
            dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.strides
            return dbox, cls.sigmoid()

    class Proto(nn.Module):
        def __init__(self, c1: int, c_: int, c2: int = 32) -> None:
            super().__init__()
            self.cv1 = Conv(c1, c_, 3)
            self.upsample = nn.ConvTranspose2d(c_, c_, 2, 2, 0, bias=True)
            self.cv2, self.cv3 = Conv(c_, c_, 3), Conv(c_, c2, 1)

        def forward(self, x: Any) -> Any:
            return self.cv3(self.cv2(self.upsample(self.cv1(x))))

    class Segment(Detect):
        def __init__(
            self, ch: tuple[int, ...], legacy: bool, hw: int, npr: int, nm: int = 32, nc: int = NUM_CLASSES
        ) -> None:
            super().__init__(ch, legacy, hw, nc)
            self.nm, self.proto = nm, Proto(ch[0], npr, nm)
            c4 = max(ch[0] // 4, nm)
            self.cv4 = nn.ModuleList(nn.Sequential(Conv(x, c4, 3), Conv(c4, c4, 3), nn.Conv2d(c4, nm, 1)) for x in ch)

        def forward(self, xs: list[Any]) -> tuple[Any, Any, Any, Any]:  # type: ignore[override]
            p = self.proto(xs[0])
            n = p.shape[0]
            mc = torch.cat([self.cv4[i](x).view(n, self.nm, -1) for i, x in enumerate(xs)], 2)
            boxes, scores = super().forward(xs)
            return boxes, scores, mc, p

    return SimpleNamespace(Detect=Detect, Segment=Segment)


def xywh2xyxy(boxes: Any) -> Any:
    import torch

    cx, cy, w, h = boxes.unbind(dim=-1)
    w, h = w * 0.5, h * 0.5
    return torch.stack((cx - w, cy - h, cx + w, cy + h), -1)


def best_class(scores: Any) -> tuple[Any, Any]:
    """AI Hub's get_most_likely_score: max over classes in chunks of 5000 anchors."""
    import torch

    best, idx = [], []
    for part in torch.split(scores, 5000, dim=-2):
        s, i = torch.max(part, -1, keepdim=False)
        best.append(s)
        idx.append(i.int())
    return torch.cat(best, -1), torch.cat(idx, -1)


# --- Ultralytics models from their yaml layer lists -----------------------------------------------------------------

# [from, repeats, module, args] as in ultralytics/cfg/models; the head's last entry is filled in by _ultralytics
V8_BACKBONE = [[-1, 1, "Conv", [64, 3, 2]], [-1, 1, "Conv", [128, 3, 2]], [-1, 3, "C2f", [128, True]],
                [-1, 1, "Conv", [256, 3, 2]], [-1, 6, "C2f", [256, True]], [-1, 1, "Conv", [512, 3, 2]],
                [-1, 6, "C2f", [512, True]], [-1, 1, "Conv", [1024, 3, 2]], [-1, 3, "C2f", [1024, True]],
                [-1, 1, "SPPF", [1024, 5]]]  # fmt: skip
V8_HEAD = [[-1, 1, "Upsample", []], [[-1, 6], 1, "Concat", []], [-1, 3, "C2f", [512]],
            [-1, 1, "Upsample", []], [[-1, 4], 1, "Concat", []], [-1, 3, "C2f", [256]],
            [-1, 1, "Conv", [256, 3, 2]], [[-1, 12], 1, "Concat", []], [-1, 3, "C2f", [512]],
            [-1, 1, "Conv", [512, 3, 2]], [[-1, 9], 1, "Concat", []], [-1, 3, "C2f", [1024]]]  # fmt: skip
V10N = [[-1, 1, "Conv", [64, 3, 2]], [-1, 1, "Conv", [128, 3, 2]], [-1, 3, "C2f", [128, True]],
         [-1, 1, "Conv", [256, 3, 2]], [-1, 6, "C2f", [256, True]], [-1, 1, "SCDown", [512, 3, 2]],
         [-1, 6, "C2f", [512, True]], [-1, 1, "SCDown", [1024, 3, 2]], [-1, 3, "C2f", [1024, True]],
         [-1, 1, "SPPF", [1024, 5]], [-1, 1, "PSA", [1024]],
         [-1, 1, "Upsample", []], [[-1, 6], 1, "Concat", []], [-1, 3, "C2f", [512]],
         [-1, 1, "Upsample", []], [[-1, 4], 1, "Concat", []], [-1, 3, "C2f", [256]],
         [-1, 1, "Conv", [256, 3, 2]], [[-1, 13], 1, "Concat", []], [-1, 3, "C2f", [512]],
         [-1, 1, "SCDown", [512, 3, 2]], [[-1, 10], 1, "Concat", []],
         [-1, 3, "C2fCIB", [1024, True, True]]]  # fmt: skip
V11 = [[-1, 1, "Conv", [64, 3, 2]], [-1, 1, "Conv", [128, 3, 2]], [-1, 2, "C3k2", [256, False, 0.25]],
        [-1, 1, "Conv", [256, 3, 2]], [-1, 2, "C3k2", [512, False, 0.25]], [-1, 1, "Conv", [512, 3, 2]],
        [-1, 2, "C3k2", [512, True]], [-1, 1, "Conv", [1024, 3, 2]], [-1, 2, "C3k2", [1024, True]],
        [-1, 1, "SPPF", [1024, 5]], [-1, 2, "C2PSA", [1024]],
        [-1, 1, "Upsample", []], [[-1, 6], 1, "Concat", []], [-1, 2, "C3k2", [512, False]],
        [-1, 1, "Upsample", []], [[-1, 4], 1, "Concat", []], [-1, 2, "C3k2", [256, False]],
        [-1, 1, "Conv", [256, 3, 2]], [[-1, 13], 1, "Concat", []], [-1, 2, "C3k2", [512, False]],
        [-1, 1, "Conv", [512, 3, 2]], [[-1, 10], 1, "Concat", []], [-1, 2, "C3k2", [1024, True]]]  # fmt: skip


V5 = [[-1, 1, "Conv", [64, 6, 2, 2]], [-1, 1, "Conv", [128, 3, 2]], [-1, 3, "C3", [128]],
       [-1, 1, "Conv", [256, 3, 2]], [-1, 6, "C3", [256]], [-1, 1, "Conv", [512, 3, 2]], [-1, 9, "C3", [512]],
       [-1, 1, "Conv", [1024, 3, 2]], [-1, 3, "C3", [1024]], [-1, 1, "SPPF", [1024, 5]],
       [-1, 1, "Conv", [512, 1, 1]], [-1, 1, "Upsample", []], [[-1, 6], 1, "Concat", []], [-1, 3, "C3", [512, False]],
       [-1, 1, "Conv", [256, 1, 1]], [-1, 1, "Upsample", []], [[-1, 4], 1, "Concat", []], [-1, 3, "C3", [256, False]],
       [-1, 1, "Conv", [256, 3, 2]], [[-1, 14], 1, "Concat", []], [-1, 3, "C3", [512, False]],
       [-1, 1, "Conv", [512, 3, 2]], [[-1, 10], 1, "Concat", []], [-1, 3, "C3", [1024, False]]]  # fmt: skip


V5_ANCHORS = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))


def ultralytics_net(
    layers: list[list[Any]],
    depth: float,
    width: float,
    legacy: bool = True,
    seg: bool = False,
    hw: int = 640,
    anchors: tuple[tuple[int, ...], ...] | None = None,
    nc: int = NUM_CLASSES,
    max_channels: int = 1024,
) -> Any:
    """Ultralytics' parse_model for the modules above, ending in a head on the last three C2f / C3k2 / C3 outputs
    (P3, P4, P5): Detect (or Segment), whose ``legacy`` form (v5u, v8) has a plain 3x3 class branch and the other
    (v10, v11) a depthwise one, or with ``anchors`` the anchor-based head of YOLOv5 / YOLOv7."""
    from torch import nn

    b = blocks()
    hd = heads(b)
    repeated = {"C2f", "C3k2", "C2fCIB", "C2PSA", "C3"}
    modules: list[Any] = []
    sources: list[int | list[int]] = []
    channels: list[int] = []
    m: Any
    for f, n, name, args in layers:
        c1 = (channels[f] if channels else 3) if isinstance(f, int) else channels[f[0]]
        n = max(round(n * depth), 1) if n > 1 else n
        if name == "Upsample":
            m, c2 = nn.Upsample(scale_factor=2.0, mode="nearest"), c1
        elif name == "Concat":
            m, c2 = b.Concat(), sum(channels[i] for i in f)
        else:
            c2 = make_divisible(min(args[0], max_channels) * width)
            extra = list(args[1:])
            if name == "PSA":
                m = b.C2PSA(c1, c2, 1)
            elif name in repeated:
                m = getattr(b, name)(c1, c2, n, *extra)
            else:
                m = getattr(b, name)(c1, c2, *extra)
        modules.append(m)
        sources.append(f)
        channels.append(c2)
    outs = [i for i, (_, _, name, _) in enumerate(layers) if name in repeated][-3:]
    ch = tuple(channels[i] for i in outs)
    if anchors:
        modules.append(anchor_detector(ch, anchors, hw))
    elif seg:
        modules.append(hd.Segment(ch, legacy, hw, make_divisible(256 * width), nc=nc))
    else:
        modules.append(hd.Detect(ch, legacy, hw))
    sources.append(outs)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = nn.ModuleList(modules)
            self.sources = sources

        def forward(self, x: Any) -> Any:
            ys: list[Any] = []
            for m, f in zip(self.model, self.sources, strict=True):
                x = m([ys[j] if j != -1 else x for j in f]) if isinstance(f, list) else m(x if f == -1 else ys[f])
                ys.append(x)
            return x

    return Net()


def ultralytics_detector(net: Any) -> Any:
    """AI Hub's YoloV8Detector / YoloV10Detector forward: (xyxy boxes, best score, class index as uint8)."""
    import torch

    class Detector(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = net

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            boxes, scores = self.model(image)
            boxes = xywh2xyxy(boxes.permute(0, 2, 1))
            best, idx = torch.max(scores.permute(0, 2, 1), -1, keepdim=False)
            return boxes, best, idx.to(torch.uint8)

    return Detector()


def ultralytics_segmentor(net: Any, float_classes: bool) -> Any:
    """AI Hub's UltralyticsMulticlassSegmentor forward; the class index is float32 when the model is built with
    ``precision=float`` (YOLOv8-Seg), else uint8 (YOLO11-Seg)."""
    import torch

    class Segmentor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = net

        def forward(self, image: Any) -> tuple[Any, Any, Any, Any, Any]:
            boxes, scores, mask_coeffs, protos = self.model(image)
            best, idx = best_class(scores.permute(0, 2, 1))
            idx = idx.float() if float_classes else idx.to(torch.uint8)
            return xywh2xyxy(boxes.permute(0, 2, 1)), best, mask_coeffs.permute(0, 2, 1), idx, protos

    return Segmentor()


def split_postprocess(xy: Any, wh: Any, scores: Any) -> tuple[Any, Any, Any]:
    """AI Hub's detect_postprocess_split_input: xyxy boxes, best class score times objectness, class index."""
    import torch

    cx, cy = xy.unbind(dim=-1)
    w, h = (wh * 0.5).unbind(dim=-1)
    boxes = torch.stack((cx - w, cy - h, cx + w, cy + h), -1)
    conf, per_class = scores.split_with_sizes([1, scores.shape[-1] - 1], dim=-1)
    best, idx = torch.max(per_class, -1, keepdim=False)
    return boxes, best * conf.squeeze(-1), idx.to(torch.uint8)


def anchor_detector(ch: tuple[int, ...], anchors: tuple[tuple[int, ...], ...], hw: int) -> Any:
    """AI Hub's _YoloV7Detector: per level a 1x1 conv to 3 x 85, sigmoid, grid / anchor decoding into split xy, wh
    and scores (YOLOv5's decoding is the same), then detect_postprocess_split_input."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    na, no = 3, NUM_CLASSES + 5

    class AnchorDetector(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = nn.ModuleList(nn.Conv2d(c, na * no, 1) for c in ch)
            self.anchor_grid = [torch.tensor(a, dtype=torch.float).view(1, na, 1, 2) for a in anchors]

        def forward(self, xs: list[Any]) -> tuple[Any, Any, Any]:
            all_xy, all_wh, all_scores = [], [], []
            for i, (x, stride) in enumerate(zip(xs, STRIDES, strict=True)):
                g = hw // stride
                y = self.m[i](x).sigmoid().reshape(-1, na, no, g, g).permute(0, 1, 3, 4, 2).contiguous()
                y = F.pad(y, (0, max(7 - no, 0)))
                yv, xv = torch.meshgrid([torch.arange(g), torch.arange(g)], indexing="ij")
                grid = torch.stack((xv, yv), 2).view((1, 1, g, g, 2)).float()
                all_xy.append(((y[..., 0:2] * 2.0 - 0.5 + grid) * stride).reshape(-1, na * g * g, 2))
                wh = (y[..., 2:4].reshape(-1, na, g * g, 2) * 2) ** 2 * self.anchor_grid[i]
                all_wh.append(wh.reshape(-1, na * g * g, 2))
                all_scores.append(y[..., 4:].reshape(-1, na * g * g, no - 4))
            return split_postprocess(torch.cat(all_xy, 1), torch.cat(all_wh, 1), torch.cat(all_scores, 1))

    return AnchorDetector()
