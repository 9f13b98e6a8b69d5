"""Calibration graphs: faces models of Qualcomm's published AI Hub measurements (see build_graphs.py).

Plain torch definitions (random weights; only shapes count) of AI Hub's face / person / hand models, each wrapped as
``qai_hub_models/models/<model_id>/model.py`` exports it, at its ``get_input_spec`` shape.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from tools.calibration.build_graphs import torch_nn, zeros
from tools.calibration.zoo.mobile import basic_block, conv_bn_relu
from tools.calibration.zoo.yolo_parts import best_class, xywh2xyxy


def _cba(cin: int, cout: int, k: int = 3, s: int = 1, p: int | None = None, act: bool = True, eps: float = 1e-5) -> Any:
    """Conv (no bias), batch norm, optionally ReLU; padding k // 2 unless given."""
    nn = torch_nn()
    layers = [nn.Conv2d(cin, cout, k, s, k // 2 if p is None else p, bias=False), nn.BatchNorm2d(cout, eps=eps)]
    return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)


@cache
def _qfd_parts() -> SimpleNamespace:
    """Blocks shared by Qualcomm's face / person detectors (face_det_lite, foot_track_net): a MobileNetV3-like
    block whose convs are full 3x3 (not depthwise; kernel "5" means a second 3x3) with optional SE, and an SSH-like
    context / detect module."""
    import torch

    nn = torch_nn()

    class Se(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, c: int) -> None:
            super().__init__()
            self.f = nn.Sequential(nn.AdaptiveAvgPool2d(1), _cba(c, c // 4, 1), _cba(c // 4, c, 1, act=False),
                                   nn.Sigmoid())  # fmt: skip

        def forward(self, x: Any) -> Any:
            return x * self.f(x)

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, k: int, cin: int, exp: int, cout: int, se: bool, s: int) -> None:
            super().__init__()
            convs = [_cba(cin, exp, 1), _cba(exp, cout, 3, s if k == 3 else 1)]
            if k == 5:
                convs.append(_cba(cout, cout, 3, s))
            if se:
                convs.append(Se(cout))
            self.body = nn.Sequential(*convs)
            self.res = s == 1
            self.short = _cba(cin, cout, 1, act=False) if s == 1 and cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            out = self.body(x)
            return out + self.short(x) if self.res else out

    class Detect(nn.Module):  # type: ignore[misc,name-defined]
        """3x3 CBA to half the width, concatenated with the context branch (3x3 CBA to a quarter, then one and two
        further 3x3 CBAs)."""

        def __init__(self, c: int) -> None:
            super().__init__()
            w = c // 4
            self.halfconv, self.inc, self.up, self.down, self.down2 = (
                _cba(c, c // 2),
                _cba(c, w),
                *(_cba(w, w) for _ in range(3)),
            )

        def forward(self, x: Any) -> Any:
            y = self.inc(x)
            return torch.cat([self.halfconv(x), self.up(y), self.down2(self.down(y))], 1)

    def up(c: int) -> Any:
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), _cba(c, c))

    return SimpleNamespace(Block=Block, Detect=Detect, up=up)


def _face_det_lite() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's FaceDetLite (Qualcomm face detector): the 9-block backbone on a 1-channel 480x640 image with SE at
    stride 16/32, an FPN-like neck (1x1 lateral CBAs, nearest upsample + 3x3 CBA) down to stride 8, the context /
    detect module and 1x1 heads for centre heatmap, box and 10 landmark coordinates."""
    nn = torch_nn()
    q = _qfd_parts()
    cfg = [(3, 16, 16, 16, False, 2), (3, 16, 64, 32, False, 2), (3, 32, 96, 32, False, 1),
           (5, 32, 96, 32, True, 2), (5, 32, 224, 32, True, 1), (5, 32, 224, 32, True, 1),
           (5, 32, 128, 64, True, 1), (5, 64, 160, 64, True, 1), (5, 64, 256, 96, True, 2)]  # fmt: skip

    class FaceDetLite(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, wide: int = 32) -> None:
            super().__init__()
            self.stem = _cba(1, 16, 3, 2)
            self.blocks = nn.ModuleList(q.Block(*c) for c in cfg)
            self.conv3 = _cba(96, wide, 1)
            self.connect1, self.connect2 = _cba(32, wide, 1, p=0), _cba(64, wide, 1, p=0)
            self.up0, self.up1 = q.up(wide), q.up(wide)
            self.detect = q.Detect(wide)
            self.heads = nn.ModuleList(nn.Conv2d(wide, n, 1) for n in (1, 4, 10))
            self.bridge = nn.Conv2d(wide * 2, wide, 1, bias=False)  # defined (and so counted) but unused

        def forward(self, image: Any) -> tuple[Any, ...]:
            x = self.stem((image - 0.442) / 0.280)
            feats = []
            for i, block in enumerate(self.blocks):
                x = block(x)
                if i in (2, 7):
                    feats.append(x)
            s16 = self.up0(self.conv3(x)) + self.connect2(feats[1])
            y = self.detect(self.up1(s16) + self.connect1(feats[0]))
            return tuple(h(y) for h in self.heads)

    return FaceDetLite(), (zeros(1, 1, 480, 640),)


def _foot_track_net() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's FootTrackNet (Qualcomm person / face / foot detector): input x255, a 1x1 conv + BN normaliser, the
    15-block backbone, an FPN-like neck down to stride 4 (wide 64), the context / detect module and heads with a
    3x3 CBA before each 1x1 conv: three sigmoid heatmaps, three boxes, 34 landmark coordinates, 17 sigmoid
    visibilities; 480x640 RGB input."""
    import torch

    nn = torch_nn()
    q = _qfd_parts()
    cfg = [(3, 16, 16, 16, False, 1), (3, 16, 64, 16, False, 2), (3, 16, 64, 16, False, 1),
           (5, 16, 96, 32, True, 2), (5, 32, 96, 32, True, 1), (5, 32, 128, 32, True, 1),
           (3, 32, 128, 64, False, 2), (3, 64, 128, 64, False, 1), (3, 64, 160, 64, False, 1),
           (3, 64, 160, 64, False, 1), (3, 64, 256, 64, True, 1), (3, 64, 320, 64, True, 1),
           (5, 64, 320, 64, True, 1), (5, 64, 320, 96, True, 2), (5, 96, 480, 96, True, 1)]  # fmt: skip

    def head(wide: int, n: int) -> Any:
        return nn.Sequential(_cba(wide, wide), nn.Conv2d(wide, n, 1))

    class FootTrackNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, wide: int = 64) -> None:
            super().__init__()
            self.norm = nn.Sequential(nn.Conv2d(3, 3, 1, bias=False), nn.BatchNorm2d(3))
            self.stem = _cba(3, 16, 3, 2)
            self.blocks = nn.ModuleList(q.Block(*c) for c in cfg)
            self.conv3 = _cba(96, wide, 1)
            self.connect = nn.ModuleList(_cba(c, wide, 1, p=0) for c in (16, 32, 64))
            self.ups = nn.ModuleList(q.up(wide) for _ in range(3))
            self.detect = q.Detect(wide)
            self.heatmaps = nn.ModuleList(head(wide, 1) for _ in range(3))
            self.boxes = nn.ModuleList(head(wide, 4) for _ in range(3))
            self.landmark, self.landmark_vis = head(wide, 34), head(wide, 17)

        def forward(self, image: Any) -> tuple[Any, ...]:
            x = self.stem(self.norm(image * 255.0))
            feats = []
            for i, block in enumerate(self.blocks):
                x = block(x)
                if i in (2, 5, 12):
                    feats.append(x)
            x = self.conv3(x)
            for up, lateral, f in zip(self.ups, self.connect[::-1], feats[::-1], strict=True):
                x = up(x) + lateral(f)
            y = self.detect(x)
            heat = torch.cat([h(y).sigmoid() for h in self.heatmaps], 1)
            box = torch.cat([h(y) for h in self.boxes], 1)
            return heat, box, self.landmark(y), self.landmark_vis(y).sigmoid()

    return FootTrackNet(), (zeros(1, 3, 480, 640),)


def _double_blaze(cin: int, cout: int, k: int = 5, eps: float = 1e-3) -> Any:
    """A stride-1 double BlazeBlock: (depthwise kxk-BN, 1x1-BN to the hidden width, ReLU) twice, the second back
    to cout; a biased 1x1 conv on the shortcut when the width changes; ReLU after the sum."""
    nn = torch_nn()
    hid = max(cin, cout) // 2

    def dw_pw(a: int, b: int) -> list[Any]:
        return [nn.Conv2d(a, a, k, 1, k // 2, groups=a, bias=False), nn.BatchNorm2d(a, eps=eps),
                nn.Conv2d(a, b, 1, bias=False), nn.BatchNorm2d(b, eps=eps)]  # fmt: skip

    class DoubleBlaze(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(*dw_pw(cin, hid), nn.ReLU(), *dw_pw(hid, cout))
            self.short = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            return (self.body(x) + self.short(x)).relu()

    return DoubleBlaze()


def _gear_guard_net() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's GearGuardNet (PPE detector): a YOLOv5s-style layout (width 0.5, depth 0.33) whose C3 blocks are
    double BlazeBlocks and SPPF is a 3x3 conv, ReLU activations, 2 classes; YOLOv5 anchor decoding and AI Hub's
    detect_postprocess (xyxy boxes, objectness x class score, best class) in the graph; 320x192 RGB input."""
    import torch

    nn = torch_nn()
    eps = 1e-3

    def cbr(cin: int, cout: int, k: int, s: int, p: int | None = None) -> Any:
        return _cba(cin, cout, k, s, p, eps=eps)

    anchors = torch.tensor([[[10, 13], [16, 30], [33, 23]], [[30, 61], [62, 45], [59, 119]],
                            [[116, 90], [156, 198], [373, 326]]], dtype=torch.float32)  # fmt: skip

    class GearGuard(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.b0 = nn.Sequential(cbr(3, 32, 6, 2, 2), cbr(32, 64, 3, 2), _double_blaze(64, 64),
                                    cbr(64, 128, 3, 2), _double_blaze(128, 128))  # fmt: skip
            self.b1 = nn.Sequential(cbr(128, 256, 3, 2), *[_double_blaze(256, 256) for _ in range(3)])
            self.b2 = nn.Sequential(cbr(256, 512, 3, 2), _double_blaze(512, 512), cbr(512, 512, 3, 1),
                                    cbr(512, 256, 1, 1))  # fmt: skip
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.h13, self.h14 = _double_blaze(512, 256), cbr(256, 128, 1, 1)
            self.h17, self.h18 = _double_blaze(256, 128), cbr(128, 128, 3, 2)
            self.h20, self.h21 = _double_blaze(256, 256), cbr(256, 256, 3, 2)
            self.h23 = _double_blaze(512, 512)
            self.detect = nn.ModuleList(nn.Conv2d(c, 3 * 7, 1) for c in (128, 256, 512))

        def decode(self, out: Any, level: int) -> Any:
            stride = 8 * 2**level
            n, _, h, w = (int(d) for d in out.shape)
            p = out.permute(0, 2, 3, 1).reshape(n, h, w, 3, 7)
            gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
            gx = gx.reshape(1, h, w, 1).expand(n, h, w, 3).reshape(n, -1)
            gy = gy.reshape(1, h, w, 1).expand(n, h, w, 3).reshape(n, -1)
            anc = anchors[level].repeat(h * w, 1).unsqueeze(0)
            obj, cls = p[..., 4].sigmoid().reshape(n, -1), p[..., 5:].sigmoid().reshape(n, -1, 2)
            flat = p.reshape(n, -1, 7)
            bx = (flat[..., 0].sigmoid() * 2 - 0.5 + gx) * stride
            by = (flat[..., 1].sigmoid() * 2 - 0.5 + gy) * stride
            bw = 4 * flat[..., 2].sigmoid() ** 2 * anc[..., 0]
            bh = 4 * flat[..., 3].sigmoid() ** 2 * anc[..., 1]
            return torch.cat([torch.stack([bx, by, bw, bh, obj], 2), cls], 2)

        def forward(self, x: Any) -> tuple[Any, Any, Any]:
            c4 = self.b0(x)
            c6 = self.b1(c4)
            c10 = self.b2(c6)
            c14 = self.h14(self.h13(torch.cat([self.up(c10), c6], 1)))
            p17 = self.h17(torch.cat([self.up(c14), c4], 1))
            p20 = self.h20(torch.cat([self.h18(p17), c14], 1))
            p23 = self.h23(torch.cat([self.h21(p20), c10], 1))
            feats = (p17, p20, p23)
            pred = torch.cat([self.decode(self.detect[i](f), i) for i, f in enumerate(feats)], 1)
            scores, idx = best_class(pred[..., 4:5] * pred[..., 5:])
            return xywh2xyxy(pred[..., :4]), scores, idx

    return GearGuard(), (zeros(1, 3, 320, 192),)


@cache
def _blaze_block() -> Any:
    """MediaPipePyTorch's BlazeBlock (BN folded into biased convs): depthwise kxk then 1x1, added to the input (max
    pooled at stride 2, where the depthwise conv gets TFLite's asymmetric zero padding; channels zero padded or a
    1x1 projection where the width grows), then ReLU or PReLU."""
    import torch.nn.functional as F

    nn = torch_nn()

    class BlazeBlock(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(
            self, cin: int, cout: int, k: int = 3, s: int = 1, prelu: bool = False, proj: bool = False
        ) -> None:
            super().__init__()
            self.k, self.s, self.pad_c = k, s, cout - cin
            self.convs = nn.Sequential(nn.Conv2d(cin, cin, k, s, 0 if s == 2 else k // 2, groups=cin),
                                       nn.Conv2d(cin, cout, 1))  # fmt: skip
            self.pool = nn.MaxPool2d(2, 2) if s == 2 else nn.Identity()
            self.proj = nn.Conv2d(cin, cout, 1) if proj else None
            self.act = nn.PReLU(cout) if prelu else nn.ReLU()

        def forward(self, x: Any) -> Any:
            h = x
            if self.s == 2:
                h = F.pad(x, [0, 2, 0, 2] if self.k == 3 else [1, 2, 1, 2])
                x = self.pool(x)
            if self.proj is not None:
                x = self.proj(x)
            elif self.pad_c > 0:
                x = F.pad(x, [0, 0, 0, 0, 0, self.pad_c])
            return self.act(self.convs(h) + x)

    return BlazeBlock


def _blaze_seq(spec: list[tuple[int, int, int]], k: int = 3, prelu: bool = False, proj: bool = False) -> list[Any]:
    """BlazeBlocks from (cin, cout, stride) triples; ``proj`` gives the stride-2 blocks a 1x1 skip projection."""
    bb = _blaze_block()
    return [bb(ci, co, k, st, prelu, proj and st == 2) for ci, co, st in spec]


def _runs(*runs: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    """(cin, cout, n) runs: one stride-2 block cin -> cout (stride 1 when cin == cout and the run is the first),
    then n - 1 stride-1 blocks at cout; written out as (cin, cout, stride) triples."""
    out: list[tuple[int, int, int]] = []
    for cin, cout, n in runs:
        out += [(cin, cout, 2)] + [(cout, cout, 1)] * (n - 1)
    return out


def _flat(t: Any, per: int) -> Any:
    """An NCHW head output as (N, H*W*anchors, per), the NHWC order TFLite uses."""
    return t.permute(0, 2, 3, 1).reshape(int(t.shape[0]), -1, per)


def _blazeface_back() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's BlazeFace "back" (full-range) detector as AI Hub exports it (MediaPipePyTorch, back_model=True):
    a 5x5 stride-2 stem, 31 single BlazeBlocks (24 -> 24 -> 48 -> 96 channels), a final stride-2 depthwise block,
    1x1 classifier / regressor heads at stride 16 and 32; AI Hub pads the input symmetrically (2 px) and returns
    the two box and two score tensors unconcatenated; 256x256 input."""
    import torch.nn.functional as F

    nn = torch_nn()

    class Final(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, c: int) -> None:
            super().__init__()
            self.convs = nn.Sequential(nn.Conv2d(c, c, 3, 2, 0, groups=c), nn.Conv2d(c, c, 1), nn.ReLU())

        def forward(self, x: Any) -> Any:
            return self.convs(F.pad(x, [0, 2, 0, 2]))

    spec = [(24, 24, 1)] * 7 + _runs((24, 24, 8), (24, 48, 8), (48, 96, 8))

    class BlazeFace(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Sequential(nn.Conv2d(3, 24, 5, 2), nn.ReLU(), *_blaze_seq(spec))
            self.final = Final(96)
            self.cls8, self.cls16 = nn.Conv2d(96, 2, 1), nn.Conv2d(96, 6, 1)
            self.reg8, self.reg16 = nn.Conv2d(96, 32, 1), nn.Conv2d(96, 96, 1)

        def forward(self, x: Any) -> tuple[Any, Any, Any, Any]:
            x = self.backbone(F.pad(x, [2, 2, 2, 2]))
            h = self.final(x)
            return _flat(self.reg8(x), 16), _flat(self.reg16(h), 16), _flat(self.cls8(x), 1), _flat(self.cls16(h), 1)

    return BlazeFace(), (zeros(1, 3, 256, 256),)


def _blazeface_landmark() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's face mesh landmark model (MediaPipePyTorch BlazeFaceLandmark): PReLU BlazeBlocks 16 -> 128
    channels, a 468x3 landmark branch and a face-flag branch; 192x192 input."""
    import torch.nn.functional as F

    nn = torch_nn()

    class Landmark(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            s1 = [(16, 16, 1)] * 2 + _runs((16, 32, 3), (32, 64, 3), (64, 128, 3), (128, 128, 3))
            self.backbone1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.PReLU(16), *_blaze_seq(s1, prelu=True))
            self.branch_a = nn.Sequential(*_blaze_seq([(128, 128, 2), (128, 128, 1), (128, 128, 1)], prelu=True),
                                          nn.Conv2d(128, 32, 1), nn.PReLU(32), *_blaze_seq([(32, 32, 1)], prelu=True),
                                          nn.Conv2d(32, 1404, 3))  # fmt: skip
            self.branch_b = nn.Sequential(*_blaze_seq([(128, 128, 2)], prelu=True), nn.Conv2d(128, 32, 1),
                                          nn.PReLU(32), *_blaze_seq([(32, 32, 1)], prelu=True),
                                          nn.Conv2d(32, 1, 3))  # fmt: skip

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.backbone1(F.pad(x, [0, 1, 0, 1]))
            landmarks = self.branch_a(x).view(-1, 468, 3) / 192
            return self.branch_b(x).sigmoid().view(-1), landmarks

    return Landmark(), (zeros(1, 3, 192, 192),)


def _blazepalm() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's palm detector (MediaPipePyTorch BlazePalm, 256x256): BlazeBlocks 32 -> 256 channels down to
    stride 32, two transposed-conv top-down steps, 1x1 heads at stride 8/16/32 concatenated into 2944 anchors
    (boxes with 7 keypoints, scores)."""
    import torch
    import torch.nn.functional as F

    nn = torch_nn()
    s1 = [(32, 32, 1)] * 7 + _runs((32, 64, 8), (64, 128, 8))

    class BlazePalm(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            bb = _blaze_block()
            self.backbone1 = nn.Sequential(nn.Conv2d(3, 32, 3, 2), nn.ReLU(), *_blaze_seq(s1))
            self.backbone2 = nn.Sequential(*_blaze_seq(_runs((128, 256, 8))))
            self.backbone3 = nn.Sequential(*_blaze_seq(_runs((256, 256, 8))))
            self.up1, self.blaze1 = nn.ConvTranspose2d(256, 256, 2, 2), bb(256, 256)
            self.up2, self.blaze2 = nn.ConvTranspose2d(256, 128, 2, 2), bb(128, 128)
            self.cls = nn.ModuleList([nn.Conv2d(128, 2, 1), nn.Conv2d(256, 2, 1), nn.Conv2d(256, 6, 1)])
            self.reg = nn.ModuleList([nn.Conv2d(128, 36, 1), nn.Conv2d(256, 36, 1), nn.Conv2d(256, 108, 1)])

        def forward(self, x: Any) -> tuple[Any, Any]:
            x = self.backbone1(F.pad(x, [0, 1, 0, 1]))
            y = self.backbone2(x)
            z = self.backbone3(y)
            y = self.blaze1(y + F.relu(self.up1(z)))
            x = self.blaze2(x + F.relu(self.up2(y)))
            feats = (x, y, z)
            r = torch.cat([_flat(m(f), 18) for m, f in zip(self.reg, feats, strict=True)], 1)
            c = torch.cat([_flat(m(f), 1) for m, f in zip(self.cls, feats, strict=True)], 1)
            return r, c

    return BlazePalm(), (zeros(1, 3, 256, 256),)


def _blazehand_landmark() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's hand landmark model (MediaPipePyTorch BlazeHandLandmark, 256x256): 5x5 BlazeBlocks with a
    bilinear-upsampling top-down path back to stride 4, then a 29-block tower to 288 channels at stride 128 and
    2x2 heads for hand flag, handedness and 21x3 landmarks."""
    import torch.nn.functional as F

    nn = torch_nn()

    def seq(*spec: tuple[int, int, int]) -> Any:
        return nn.Sequential(*_blaze_seq(list(spec), k=5))

    tower = [(48, 48, 1)] * 4 + _runs((48, 96, 5), (96, 288, 5), (288, 288, 5), (288, 288, 5), (288, 288, 5))

    class HandLandmark(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.backbone1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2), nn.ReLU(), *_blaze_seq(
                [(24, 24, 1), (24, 24, 1), (24, 48, 2)], k=5))  # fmt: skip
            self.backbone2 = seq((48, 48, 1), (48, 48, 1), (48, 96, 2))
            self.backbone3 = seq((96, 96, 1), (96, 96, 1), (96, 96, 2))
            self.backbone4 = seq((96, 96, 1), (96, 96, 1), (96, 96, 2))
            self.blaze5, self.blaze6 = seq((96, 96, 1)), seq((96, 96, 1))
            self.conv7 = nn.Conv2d(96, 48, 1)
            self.backbone8 = nn.Sequential(*_blaze_seq(tower, k=5))
            self.flag, self.handed, self.landmarks = (nn.Conv2d(288, n, 2) for n in (1, 1, 63))

        def forward(self, x: Any) -> tuple[Any, Any, Any]:
            x = self.backbone1(F.pad(x, [0, 1, 0, 1]))
            y = self.backbone2(x)
            z = self.backbone3(y)
            w = self.backbone4(z)
            z = self.blaze5(z + F.interpolate(w, scale_factor=2.0, mode="bilinear"))
            y = self.conv7(self.blaze6(y + F.interpolate(z, scale_factor=2.0, mode="bilinear")))
            x = self.backbone8(x + F.interpolate(y, scale_factor=2.0, mode="bilinear"))
            return (
                self.flag(x).view(-1).sigmoid(),
                self.handed(x).view(-1).sigmoid(),
                self.landmarks(x).view(-1, 21, 3) / 256,
            )

    return HandLandmark(), (zeros(1, 3, 256, 256),)


def _blazepose() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's pose detector (MediaPipePyTorch BlazePose, 128x128): a 5x5 stride-1 stem, 5x5 BlazeBlocks
    (stride-2 ones with 1x1 skip projections) 48 -> 256 channels, 1x1 heads at stride 8/16; AI Hub pads the input
    (1, 2, 2, 2) and returns the two box and two score tensors unconcatenated."""
    import torch.nn.functional as F

    nn = torch_nn()
    s1 = [(48, 48, 1)] * 3 + _runs((48, 64, 4), (64, 96, 7), (96, 128, 8))

    class BlazePose(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.backbone1 = nn.Sequential(nn.Conv2d(3, 48, 5, 1, 2), nn.ReLU(), *_blaze_seq(s1, k=5, proj=True))
            self.backbone2 = nn.Sequential(*_blaze_seq(_runs((128, 256, 7)), k=5, proj=True))
            self.cls8, self.cls16 = nn.Conv2d(128, 2, 1), nn.Conv2d(256, 6, 1)
            self.reg8, self.reg16 = nn.Conv2d(128, 24, 1), nn.Conv2d(256, 72, 1)

        def forward(self, x: Any) -> tuple[Any, Any, Any, Any]:
            x = self.backbone1(F.pad(x, [1, 2, 2, 2]))
            h = self.backbone2(x)
            return _flat(self.reg8(x), 12), _flat(self.reg16(h), 12), _flat(self.cls8(x), 1), _flat(self.cls16(h), 1)

    return BlazePose(), (zeros(1, 3, 128, 128),)


def _blazepose_landmark() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's pose landmark model (MediaPipePyTorch BlazePoseLandmark, 256x256): a BlazeBlock encoder to 288
    channels, a depthwise-separable top-down path, a second encoder fed from it, 2x2 heads for the pose flag and
    31x4 landmarks (AI Hub keeps the first 25) plus the segmentation branch it computes but does not output."""
    import torch.nn.functional as F

    nn = torch_nn()

    def sep(cin: int, cout: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cin, 3, 1, 1, groups=cin), nn.Conv2d(cin, cout, 1), nn.ReLU())

    def seq(spec: list[tuple[int, int, int]]) -> Any:
        return nn.Sequential(*_blaze_seq(spec))

    class PoseLandmark(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.backbone1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2), nn.ReLU(), *_blaze_seq([(24, 24, 1)] * 2))
            self.backbone2 = seq(_runs((24, 48, 4)))
            self.backbone3 = seq(_runs((48, 96, 5)))
            self.backbone4 = seq(_runs((96, 192, 6)))
            self.backbone5 = seq(_runs((192, 288, 7)))
            self.up1, self.up2, self.up3, self.up4 = sep(288, 48), sep(192, 48), sep(96, 48), sep(48, 48)
            self.block1, self.up5 = seq(_runs((48, 96, 5))), sep(96, 96)
            self.block2, self.up6 = seq(_runs((96, 192, 6))), sep(192, 192)
            self.block3, self.up7 = seq(_runs((192, 288, 7))), sep(288, 288)
            self.block4 = seq(_runs((288, 288, 8), (288, 288, 7)))
            self.up8, self.up9, self.block5, self.block6 = sep(48, 8), sep(24, 8), seq([(288, 288, 1)]), sep(8, 8)
            self.flag, self.segmentation = nn.Conv2d(288, 1, 2), nn.Conv2d(8, 1, 3, padding=1)
            self.landmarks = nn.Conv2d(288, 124, 2)

        def forward(self, x: Any) -> tuple[Any, Any]:
            def up2(t: Any) -> Any:
                return F.interpolate(t, scale_factor=2.0, mode="bilinear")

            x = self.backbone1(F.pad(x, [0, 1, 0, 1]))
            y = self.backbone2(x)
            z = self.backbone3(y)
            w = self.backbone4(z)
            v = self.backbone5(w)
            w1 = self.up2(w) + up2(self.up1(v))
            z1 = self.up3(z) + up2(w1)
            y1 = self.up4(y) + up2(z1)
            out = self.block1(y1) + self.up5(z)
            out = self.block2(out) + self.up6(w)
            out = self.block3(out) + self.up7(v)
            out = self.block5(self.block4(out))
            flag = self.flag(out).view(-1).sigmoid()
            return flag, (self.landmarks(out).view(-1, 31, 4) / 256)[:, :25]

    return PoseLandmark(), (zeros(1, 3, 256, 256),)


def _selfie_segmentation() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's MediaPipe selfie segmentation ("square" model, 256x256): a MobileNetV3-like encoder of biased
    convs (ReLU / hard-swish, SE gates whose pooling is an AvgPool over the whole map) to stride 16, a top-down
    decoder that upsamples bilinearly and fuses each skip through a pooled sigmoid gate plus a depthwise residual,
    and a 2x2 transposed conv to the full-resolution sigmoid mask."""
    import torch

    nn = torch_nn()

    class Bottleneck(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, exp: int, cout: int, k: int, s: int, hs: bool, se: int, pool: int) -> None:
            super().__init__()
            act = nn.Hardswish if hs else nn.ReLU
            self.expand = nn.Sequential(nn.Conv2d(cin, exp, 1), act(), nn.Conv2d(exp, exp, k, s, k // 2, groups=exp),
                                        act())  # fmt: skip
            self.se = nn.Sequential(nn.AvgPool2d(pool), nn.Conv2d(exp, se, 1), nn.ReLU(), nn.Conv2d(se, exp, 1),
                                    nn.Sigmoid()) if se else None  # fmt: skip
            self.project = nn.Conv2d(exp, cout, 1)
            self.res = s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            h = self.expand(x)
            if self.se is not None:
                h = self.se(h) * h
            h = self.project(h)
            return h + x if self.res else h

    class Fuse(nn.Module):  # type: ignore[misc,name-defined]
        """Upsampled decoder features (1x1 to the skip's width) gated with the skip, then a depthwise residual."""

        def __init__(self, cin: int, c: int, pool: int) -> None:
            super().__init__()
            self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(cin, c, 1))
            self.gate = nn.Sequential(nn.AvgPool2d(pool), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, c, 1),
                                      nn.Sigmoid())  # fmt: skip
            self.post = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU())
            self.dw = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, groups=c), nn.ReLU())

        def forward(self, x: Any, skip: Any) -> Any:
            u = self.up(x)
            y = self.post(u + skip * self.gate(skip + u))
            return y + self.dw(y)

    class Selfie(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.Hardswish())
            self.b1 = Bottleneck(16, 16, 16, 3, 2, False, 8, 64)
            self.b2 = nn.Sequential(
                Bottleneck(16, 72, 24, 3, 2, False, 0, 0), Bottleneck(24, 88, 24, 3, 1, False, 0, 0)
            )
            self.b3 = nn.Sequential(Bottleneck(24, 96, 32, 5, 2, True, 24, 16),
                                    *(Bottleneck(32, 128, 32, 5, 1, True, 32, 16) for _ in range(2)),
                                    *(Bottleneck(32, 96, 32, 5, 1, True, 24, 16) for _ in range(2)))  # fmt: skip
            self.head = nn.Sequential(nn.Conv2d(32, 128, 1), nn.ReLU())
            self.head_gate = nn.Sequential(nn.AvgPool2d(16), nn.Conv2d(32, 128, 1), nn.Sigmoid())
            self.fuse2, self.fuse1, self.fuse0 = Fuse(128, 24, 32), Fuse(24, 16, 64), Fuse(16, 16, 128)
            self.out = nn.ConvTranspose2d(16, 1, 2, 2)

        def forward(self, image: Any) -> Any:
            x1 = self.stem(image)
            x3 = self.b1(x1)
            x2 = self.b2(x3)
            x = self.b3(x2)
            x = self.head(x) * self.head_gate(x)
            x = self.fuse0(self.fuse1(self.fuse2(x, x2), x3), x1)
            return torch.sigmoid(self.out(x))

    return Selfie(), (zeros(1, 3, 256, 256),)


def _hand_landmark_full() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's hand_landmark_full model as AI Hub re-implements it for the gesture pipeline (224x224): a
    MobileNetV2-style network of biased convs with ReLU6 and TFLite's explicit "SAME" pads (inverted residuals
    24 -> 192 channels, 3x3 and 5x5 depthwise), a 1152-wide 1x1 + depthwise 3x3, global mean and four linear heads
    (21x3 landmarks, sigmoid presence, sigmoid handedness, 21x3 world landmarks)."""
    import torch
    import torch.nn.functional as F

    nn = torch_nn()

    def same_pad(k: int, s: int) -> list[int]:
        if s == 2:
            return [0, 1, 0, 1] if k == 3 else [1, 2, 1, 2]
        return [k // 2] * 4

    class InvRes(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, exp: int, cout: int, k: int, s: int) -> None:
            super().__init__()
            self.expand = nn.Conv2d(cin, exp, 1) if exp != cin else None
            self.pad = same_pad(k, s)
            self.dw = nn.Conv2d(exp, exp, k, s, groups=exp)
            self.project = nn.Conv2d(exp, cout, 1)
            self.res = s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            h = x if self.expand is None else torch.clamp(self.expand(x), 0.0, 6.0)
            h = self.project(torch.clamp(self.dw(F.pad(h, self.pad)), 0.0, 6.0))
            return h + x if self.res else h

    cfg = [(24, 24, 16, 3, 1), (16, 64, 24, 3, 2), (24, 144, 24, 3, 1), (24, 144, 40, 5, 2), (40, 240, 40, 5, 1),
           (40, 240, 80, 3, 2), (80, 480, 80, 3, 1), (80, 480, 80, 3, 1), (80, 480, 112, 5, 1),
           (112, 672, 112, 5, 1), (112, 672, 112, 5, 1), (112, 672, 192, 5, 2)]  # fmt: skip
    cfg += [(192, 1152, 192, 5, 1)] * 3

    class HandLandmarkFull(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 24, 3, 2)
            self.blocks = nn.Sequential(*(InvRes(*c) for c in cfg))
            self.expand, self.dw = nn.Conv2d(192, 1152, 1), nn.Conv2d(1152, 1152, 3, groups=1152)
            self.heads = nn.ModuleList(nn.Linear(1152, n) for n in (1, 1, 63, 63))

        def forward(self, x: Any) -> tuple[Any, Any, Any, Any]:
            x = self.blocks(torch.clamp(self.stem(F.pad(x, [0, 1, 0, 1])), 0.0, 6.0))
            x = torch.clamp(self.dw(F.pad(torch.clamp(self.expand(x), 0.0, 6.0), [1, 1, 1, 1])), 0.0, 6.0)
            f = x.mean(dim=(2, 3))
            score, lr, landmarks, world = (h(f) for h in self.heads)
            return landmarks, torch.sigmoid(score), torch.sigmoid(lr), world

    return HandLandmarkFull(), (zeros(1, 3, 224, 224),)


def _canned_gesture_classifier() -> tuple[Any, tuple[Any, ...]]:
    """MediaPipe's gesture embedder + canned gesture classifier as AI Hub re-implements it: a shared residual MLP
    (64 -> 128, seven 128x128 residual linears with BN / SiLU) on the hand and its mirror, summed, BN / SiLU /
    linear embedding, a scale-and-shift, ReLU, an 8-way linear and softmax; two 1x64 inputs."""
    import torch

    nn = torch_nn()

    def bn_act() -> Any:
        return nn.Sequential(nn.BatchNorm1d(128, eps=1e-3), nn.SiLU())

    class Embedder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.fc0, self.pre = nn.Linear(64, 128), nn.ModuleList(bn_act() for _ in range(7))
            self.fcs = nn.ModuleList(nn.Linear(128, 128) for _ in range(7))

        def forward(self, x: Any) -> Any:
            s = self.fc0(x)
            for pre, fc in zip(self.pre, self.fcs, strict=True):
                s = s + fc(pre(s))
            return s

    class Classifier(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embed, self.out = Embedder(), nn.Sequential(bn_act(), nn.Linear(128, 128))
            self.gamma, self.beta = nn.Parameter(torch.ones(128)), nn.Parameter(torch.zeros(128))
            self.fc = nn.Linear(128, 8)

        def forward(self, hand: Any, mirrored: Any) -> Any:
            emb = self.out(self.embed(hand) + self.embed(mirrored))
            return torch.softmax(self.fc(torch.relu(emb * self.gamma + self.beta)), -1)

    return Classifier(), (zeros(1, 64), zeros(1, 64))


def _facemap_3dmm() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's FaceMap 3DMM regressor (resnet18_wd2): input x255, a biased 1x1 conv to one grey channel, a
    half-width ResNet-18 (7x7 stem, zero-pad + 3x3 max pool, basic blocks 32/64/128/256 whose very last unit keeps
    512 channels), a 4x4 average pool and a linear layer to 265 3DMM parameters; 128x128 input."""
    nn = torch_nn()
    basic = basic_block()
    units = [(32, 32, 1), (32, 32, 1), (32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2),
             (256, 512, 1)]  # fmt: skip

    class FaceMap(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.gray = nn.Conv2d(3, 1, 1)
            self.features = nn.Sequential(conv_bn_relu(1, 32, 7, 2), nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(3, 2),
                                          *(basic(*u) for u in units), nn.AvgPool2d(4, 1))  # fmt: skip
            self.output = nn.Linear(512, 265)

        def forward(self, image: Any) -> Any:
            x = self.features(self.gray(image * 255))
            return self.output(x.view(int(x.shape[0]), -1))

    return FaceMap(), (zeros(1, 3, 128, 128),)


def _hrnet_face() -> tuple[Any, tuple[Any, ...]]:
    """HRNetV2-W18 face alignment (HRNet-Facial-Landmark-Detection, COFW config), as AI Hub exports it: ImageNet
    normalisation in the graph, two stride-2 3x3 stem convs, four bottlenecks, then 2/3/4 parallel branches
    (18/36/72/144 channels, 4 basic blocks per branch, 1/4/3 modules, every module fusing to all resolutions), all
    branches bilinearly upsampled and concatenated (270 channels), 1x1 conv-BN-ReLU and a 1x1 conv to 29 heatmaps
    at 64x64; 256x256 input."""
    import torch
    import torch.nn.functional as F

    nn = torch_nn()
    basic = basic_block()

    class Bottleneck(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                conv_bn_relu(cin, 64, 1), conv_bn_relu(64, 64, 3), conv_bn_relu(64, 256, 1, relu=False)
            )
            self.down = conv_bn_relu(cin, 256, 1, relu=False) if cin != 256 else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.down(x))

    def link(cin: int, cout: int, up: int) -> Any:
        """Exchange path from a branch of width cin to one of width cout, 2**up times finer (negative: coarser)."""
        if up > 0:
            return nn.Sequential(
                conv_bn_relu(cin, cout, 1, relu=False), nn.Upsample(scale_factor=2**up, mode="nearest")
            )
        steps = [conv_bn_relu(cin, cin, 3, 2) for _ in range(-up - 1)]
        return nn.Sequential(*steps, conv_bn_relu(cin, cout, 3, 2, relu=False))

    class Exchange(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, chans: list[int]) -> None:
            super().__init__()
            self.branches = nn.ModuleList(nn.Sequential(*(basic(c, c, 1) for _ in range(4))) for c in chans)
            self.links = nn.ModuleList(
                nn.ModuleList(nn.Identity() if i == j else link(cj, ci, j - i) for j, cj in enumerate(chans))
                for i, ci in enumerate(chans)
            )

        def forward(self, xs: list[Any]) -> list[Any]:
            xs = [b(x) for b, x in zip(self.branches, xs, strict=True)]
            return [torch.relu(sum(m(x) for m, x in zip(row, xs, strict=True))) for row in self.links]

    chans = [18, 36, 72, 144]

    class HRNetFace(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
            self.stem = nn.Sequential(conv_bn_relu(3, 64, 3, 2), conv_bn_relu(64, 64, 3, 2), Bottleneck(64),
                                      *(Bottleneck(256) for _ in range(3)))  # fmt: skip
            self.trans1 = nn.ModuleList([conv_bn_relu(256, 18, 3), conv_bn_relu(256, 36, 3, 2)])
            self.stage2 = nn.Sequential(Exchange(chans[:2]))
            self.trans2, self.stage3 = (
                conv_bn_relu(36, 72, 3, 2),
                nn.Sequential(*(Exchange(chans[:3]) for _ in range(4))),
            )
            self.trans3, self.stage4 = conv_bn_relu(72, 144, 3, 2), nn.Sequential(*(Exchange(chans) for _ in range(3)))
            self.head = nn.Sequential(nn.Conv2d(270, 270, 1), nn.BatchNorm2d(270), nn.ReLU(), nn.Conv2d(270, 29, 1))

        def forward(self, image: Any) -> Any:
            x = self.stem((image - self.mean) / self.std)
            xs = self.stage2([t(x) for t in self.trans1])
            xs = self.stage3([*xs, self.trans2(xs[-1])])
            xs = self.stage4([*xs, self.trans3(xs[-1])])
            size = [int(xs[0].shape[2]), int(xs[0].shape[3])]
            ups = [F.interpolate(t, size=size, mode="bilinear", align_corners=False) for t in xs[1:]]
            return self.head(torch.cat([xs[0], *ups], 1))

    return HRNetFace(), (zeros(1, 3, 256, 256),)


def _eyegaze() -> tuple[Any, tuple[Any, ...]]:
    """EyeNet (david-wb/gaze-estimation; nstack 3, nfeatures 32, nlandmarks 34) on a 1x96x160 grey eye crop: a
    pre-activation residual stem to stride 2, three depth-4 stacked hourglasses with intermediate supervision
    merges, a soft-argmax over the last 34 heatmaps (float32 grids; AI Hub truncates 64-bit tensors), and a
    second strided residual branch flattened with the landmarks into a 2-layer gaze MLP."""
    import torch
    import torch.nn.functional as F

    nn = torch_nn()

    def conv(cin: int, cout: int, k: int, s: int = 1, bn: bool = False, relu: bool = False) -> Any:
        layers = [nn.Conv2d(cin, cout, k, s, (k - 1) // 2)]
        layers += [nn.BatchNorm2d(cout)] if bn else []
        return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)

    class Residual(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            h = cout // 2
            self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), conv(cin, h, 1), nn.BatchNorm2d(h), nn.ReLU(),
                                      conv(h, h, 3), nn.BatchNorm2d(h), nn.ReLU(), conv(h, cout, 1))  # fmt: skip
            self.skip = conv(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            return self.body(x) + self.skip(x)

    class Hourglass(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, n: int, f: int) -> None:
            super().__init__()
            self.up1, self.pool, self.low1 = Residual(f, f), nn.MaxPool2d(2, 2), Residual(f, f)
            self.low2 = Hourglass(n - 1, f) if n > 1 else Residual(f, f)
            self.low3 = Residual(f, f)

        def forward(self, x: Any) -> Any:
            low = self.low3(self.low2(self.low1(self.pool(x))))
            return self.up1(x) + F.interpolate(low, size=[int(x.shape[2]), int(x.shape[3])])

    nf, nl, nstack = 32, 34, 3

    class EyeNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.pre = nn.Sequential(conv(1, 64, 7, bn=True, relu=True), Residual(64, 128), nn.MaxPool2d(2, 2),
                                     Residual(128, 128), Residual(128, nf))  # fmt: skip
            self.pre2 = nn.Sequential(conv(nf, 64, 7, 2, bn=True, relu=True), Residual(64, 128), nn.MaxPool2d(2, 2),
                                      Residual(128, 128), Residual(128, nf))  # fmt: skip
            self.hgs = nn.ModuleList(Hourglass(4, nf) for _ in range(nstack))
            self.features = nn.ModuleList(nn.Sequential(Residual(nf, nf), conv(nf, nf, 1, bn=True, relu=True))
                                          for _ in range(nstack))  # fmt: skip
            self.outs = nn.ModuleList(conv(nf, nl, 1) for _ in range(nstack))
            self.merge_features = nn.ModuleList(conv(nf, nf, 1) for _ in range(nstack - 1))
            self.merge_preds = nn.ModuleList(conv(nl, nf, 1) for _ in range(nstack - 1))
            self.gaze = nn.Sequential(nn.Linear(nf * 160 * 96 // 64 + 2 * nl, 256), nn.ReLU(), nn.Linear(256, 2))

        def forward(self, imgs: Any) -> tuple[Any, Any, Any]:
            x = self.pre(imgs.unsqueeze(1))
            gaze_x = self.pre2(x).flatten(1)
            preds, heatmaps = x, []
            for i in range(nstack):
                feature = self.features[i](self.hgs[i](x))
                preds = self.outs[i](feature)
                heatmaps.append(preds)
                if i < nstack - 1:
                    x = x + self.merge_preds[i](preds) + self.merge_features[i](feature)
            h, w = int(preds.shape[2]), int(preds.shape[3])
            prob = torch.softmax(100 * preds.reshape(1, nl, h * w), -1)
            rows = torch.linspace(0, 1, h).view(h, 1).expand(h, w).reshape(1, 1, h * w)
            cols = torch.linspace(0, 1, w).view(1, w).expand(h, w).reshape(1, 1, h * w)
            landmarks = torch.stack([((h - 1) * prob * rows).sum(-1), ((w - 1) * prob * cols).sum(-1)], -1)
            gaze = self.gaze(torch.cat((gaze_x, landmarks.flatten(1)), 1))
            return torch.stack(heatmaps, 1), landmarks, gaze

    return EyeNet(), (zeros(1, 96, 160),)


def _cavaface() -> tuple[Any, tuple[Any, ...]]:
    """CavaFace IR-SE-100 (cavalleria/cavaface ArcFace-style backbone) as AI Hub wraps it: input rescaled to
    [-1, 1], a 3x3 conv-BN-PReLU stem, 49 pre-BN improved-residual units (BN, 3x3 conv, PReLU, 3x3 conv (stride
    on the first unit of each stage), BN, SE with reduction 16; 1x1 stride pooling or conv-BN shortcut) over
    64/128/256/512 channels x 3/13/30/3 units, BN, flatten, a 25088 -> 512 linear, BN, then L2 normalisation;
    112x112 input."""
    import torch

    nn = torch_nn()

    class Unit(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, s: int) -> None:
            super().__init__()
            self.short = nn.MaxPool2d(1, s) if cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, s, bias=False),
                                                                               nn.BatchNorm2d(cout))  # fmt: skip
            self.res = nn.Sequential(nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.PReLU(cout),
                                     nn.Conv2d(cout, cout, 3, s, 1, bias=False), nn.BatchNorm2d(cout))  # fmt: skip
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cout, cout // 16, 1, bias=False), nn.ReLU(),
                                    nn.Conv2d(cout // 16, cout, 1, bias=False), nn.Sigmoid())  # fmt: skip

        def forward(self, x: Any) -> Any:
            r = self.res(x)
            return r * self.se(r) + self.short(x)

    units: list[Any] = []
    cin = 64
    for cout, n in ((64, 3), (128, 13), (256, 30), (512, 3)):
        units += [Unit(cin, cout, 2)] + [Unit(cout, cout, 1) for _ in range(n - 1)]
        cin = cout

    class CavaFace(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))
            self.body = nn.Sequential(*units)
            self.out = nn.Sequential(nn.BatchNorm2d(512), nn.Flatten(), nn.Linear(512 * 7 * 7, 512),
                                     nn.BatchNorm1d(512, affine=False))  # fmt: skip

        def forward(self, image: Any) -> Any:
            emb = self.out(self.body(self.stem((image * 255 - 127.5) / 128.0)))
            return emb / (torch.norm(emb, dim=1, keepdim=True) + 1e-9)

    return CavaFace(), (zeros(1, 3, 112, 112),)


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture and input (random weights); "
    return {
        ("face_det_lite", "Lightweight-Face-Detection"): (
            _face_det_lite,
            same + "1x1x480x640 grayscale; heatmap, box and landmark maps; 0.883M params vs 878K published",
        ),
        ("gear_guard_net", "PPE-Detection"): (
            _gear_guard_net,
            same + "1x3x320x192; anchor decoding and detect_postprocess in the graph; 6.20M params vs 6.19M published",
        ),
        ("foot_track_net", "Person-Foot-Detection"): (
            _foot_track_net,
            same + "1x3x480x640; 4 output maps at stride 4; 2.54M params vs 2.53M published",
        ),
        ("mediapipe_face", "FaceDetector"): (_blazeface_back, same + "1x3x256x256; 136K params vs 135K published"),
        ("mediapipe_face", "FaceLandmarkDetector"): (
            _blazeface_landmark,
            same + "1x3x192x192; 605K params vs 603K published",
        ),
        ("mediapipe_hand", "HandDetector"): (_blazepalm, same + "1x3x256x256; 1.76M params vs 1.76M published"),
        ("mediapipe_hand", "HandLandmarkDetector"): (
            _blazehand_landmark,
            same + "1x3x256x256; 2.01M params vs 2.01M published",
        ),
        ("mediapipe_pose", "PoseDetector"): (_blazepose, same + "1x3x128x128; 818K params vs 815K published"),
        ("mediapipe_pose", "PoseLandmarkDetector"): (
            _blazepose_landmark,
            same + "1x3x256x256; unused segmentation branch left out; 3.38M params vs 3.36M published",
        ),
        ("mediapipe_selfie", "MediaPipe-Selfie-Segmentation"): (
            _selfie_segmentation,
            same + "1x3x256x256 (square model); 106K params vs 106K published",
        ),
        ("mediapipe_hand_gesture", "PalmDetector"): (
            _blazepalm,
            same + "1x3x256x256 (BlazePalm as mediapipe_hand); 1.76M params vs 1.76M published",
        ),
        ("mediapipe_hand_gesture", "HandLandmarkDetector"): (
            _hand_landmark_full,
            same + "1x3x224x224; 2.72M params vs 2.72M published",
        ),
        ("mediapipe_hand_gesture", "CannedGestureClassifier"): (
            _canned_gesture_classifier,
            same + "two 1x64 inputs; 144K params vs 143K published",
        ),
        ("facemap_3dmm", "Facial-Landmark-Detection"): (
            _facemap_3dmm,
            same + "1x3x128x128; 5.42M params vs 5.42M published",
        ),
        ("hrnet_face", "HRNetFace"): (
            _hrnet_face,
            same + "1x3x256x256; 29 heatmaps at 64x64; 9.64M params vs 9.68M published",
        ),
        ("eyegaze", "EyeGaze"): (
            _eyegaze,
            same + "1x96x160 grey eye crop; profiled by AI Hub with --compute_unit cpu; 2.48M params vs 2.58M "
            "published, but the published float size (9.6 MB) is 2.52M fp32 weights",
        ),
        ("cavaface", "CavaFace"): (
            _cavaface,
            same + "1x3x112x112; L2-normalised 512-d embedding; 65.50M params vs 65.5M published",
        ),
    }
