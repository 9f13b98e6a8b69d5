"""Calibration graphs: detection models of Qualcomm's published AI Hub measurements (see build_graphs.py).

Plain torch definitions of the YOLO family (random weights; only shapes count), each wrapped the way AI Hub's
``qai_hub_models/models/<model_id>/model.py`` exports it: 640x640 RGB input, box decoding in the graph and AI Hub's
post-processing (xywh -> xyxy, best class score and index) at the end.
"""

from __future__ import annotations

from typing import Any

from tools.calibration.zoo.yolo_parts import (
    NUM_CLASSES,
    STRIDES,
    V5,
    V5_ANCHORS,
    V8_BACKBONE,
    V8_HEAD,
    V10N,
    V11,
    anchor_detector,
    anchor_grid,
    best_class,
    blocks,
    make_divisible,
    split_postprocess,
    ultralytics_detector,
    ultralytics_net,
    ultralytics_segmentor,
    xywh2xyxy,
)


def img(hw: int) -> tuple[Any, ...]:
    import torch

    return (torch.zeros(1, 3, hw, hw),)


def yolov8_det() -> tuple[Any, tuple[Any, ...]]:
    return ultralytics_detector(ultralytics_net(V8_BACKBONE + V8_HEAD, 0.33, 0.25)), img(640)


def yolov8_seg() -> tuple[Any, tuple[Any, ...]]:
    return ultralytics_segmentor(ultralytics_net(V8_BACKBONE + V8_HEAD, 0.33, 0.25, seg=True), True), img(640)


def yolov10_det() -> tuple[Any, tuple[Any, ...]]:
    return ultralytics_detector(ultralytics_net(V10N, 0.33, 0.25, legacy=False)), img(640)


def yolov11_seg() -> tuple[Any, tuple[Any, ...]]:
    return ultralytics_segmentor(ultralytics_net(V11, 0.5, 0.25, legacy=False, seg=True), False), img(640)


def yolov5() -> tuple[Any, tuple[Any, ...]]:
    """YOLOv5m v6+ (ultralytics/yolov5 models/yolov5m.yaml), anchor-based head with the split decoder."""
    return ultralytics_net(V5, 0.67, 0.75, anchors=V5_ANCHORS), img(640)


# --- YOLOv7-tiny (WongKinYiu/yolov7, cfg/training/yolov7-tiny.yaml) ------------------------------------------------


def _elan(c: int, out: int) -> list[list[Any]]:
    """YOLOv7-tiny's ELAN block: two 1x1 branches, two 3x3 on the second, concat of the four, 1x1."""
    layers: list[list[Any]] = [[-1, "Conv", [c, 1, 1]], [-2, "Conv", [c, 1, 1]], [-1, "Conv", [c, 3, 1]],
                               [-1, "Conv", [c, 3, 1]], [[-1, -2, -3, -4], "Concat", []],
                               [-1, "Conv", [out, 1, 1]]]  # fmt: skip
    return layers


_V7_TINY: list[list[Any]] = [
    [-1, "Conv", [32, 3, 2]], [-1, "Conv", [64, 3, 2]], *_elan(32, 64),  # 0-7
    [-1, "MP", []], *_elan(64, 128),  # 8-14
    [-1, "MP", []], *_elan(128, 256),  # 15-21
    [-1, "MP", []], *_elan(256, 512),  # 22-28
    [-1, "Conv", [256, 1, 1]], [-2, "Conv", [256, 1, 1]], [-1, "SP", [5]], [-2, "SP", [9]], [-3, "SP", [13]],
    [[-1, -2, -3, -4], "Concat", []], [-1, "Conv", [256, 1, 1]], [[-1, -7], "Concat", []],
    [-1, "Conv", [256, 1, 1]],  # 37
    [-1, "Conv", [128, 1, 1]], [-1, "Upsample", []], [21, "Conv", [128, 1, 1]], [[-1, -2], "Concat", []],
    *_elan(64, 128),  # 47
    [-1, "Conv", [64, 1, 1]], [-1, "Upsample", []], [14, "Conv", [64, 1, 1]], [[-1, -2], "Concat", []],
    *_elan(32, 64),  # 57
    [-1, "Conv", [128, 3, 2]], [[-1, 47], "Concat", []], *_elan(64, 128),  # 65
    [-1, "Conv", [256, 3, 2]], [[-1, 37], "Concat", []], *_elan(128, 256),  # 73
    [57, "Conv", [128, 3, 1]], [65, "Conv", [256, 3, 1]], [73, "Conv", [512, 3, 1]],  # 74-76
]  # fmt: skip
_V7_TINY_ANCHORS = ((9, 6, 13, 16, 29, 11), (29, 28, 66, 26, 51, 62), (115, 54, 134, 119, 308, 147))


def _yolov7_tiny(hw: int = 640) -> Any:
    """Feature extractor (Conv-BN-LeakyReLU(0.1), ELAN, SPPCSP-tiny, PAN) and AI Hub's _YoloV7Detector: per level a
    1x1 conv to 3 x 85, sigmoid, grid / anchor decoding split into xy, wh and scores, then the split post-process."""
    import torch
    from torch import nn

    def conv(c1: int, c2: int, k: int, s: int) -> Any:
        return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.LeakyReLU(0.1))

    modules: list[Any] = []
    channels: list[int] = []
    for f, name, args in _V7_TINY:
        c1 = (channels[f] if channels else 3) if isinstance(f, int) else 0
        if name == "Conv":
            m, c2 = conv(c1, args[0], args[1], args[2]), args[0]
        elif name == "MP":
            m, c2 = nn.MaxPool2d(2, 2), c1
        elif name == "SP":
            m, c2 = nn.MaxPool2d(args[0], 1, args[0] // 2), c1
        elif name == "Upsample":
            m, c2 = nn.Upsample(scale_factor=2.0, mode="nearest"), c1
        else:
            m, c2 = None, sum(channels[i] for i in f)
        modules.append(m)
        channels.append(c2)

    class YoloV7Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = nn.ModuleList(m if m is not None else nn.Identity() for m in modules)
            self.detector = anchor_detector(tuple(channels[-3:]), _V7_TINY_ANCHORS, hw)

        def features(self, x: Any) -> list[Any]:
            ys: list[Any] = []
            for (f, name, _), m in zip(_V7_TINY, self.model, strict=True):
                x = torch.cat([ys[j] for j in f], 1) if name == "Concat" else m(x if f == -1 else ys[f])
                ys.append(x)
            return ys[-3:]

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            return self.detector(self.features(image))  # type: ignore[no-any-return]

    return YoloV7Tiny()


def yolov7() -> tuple[Any, tuple[Any, ...]]:
    return _yolov7_tiny(), img(640)


# --- YOLOX (Megvii-BaseDetection/YOLOX: CSPDarknet, YOLOPAFPN, decoupled YOLOXHead) --------------------------------


def _yolox(depth: float, width: float, hw: int = 640) -> Any:
    """YOLOX with AI Hub's wrapper: input x 255, head outputs kept split (xy, wh, objectness + class scores)."""
    import torch
    from torch import nn

    b = blocks()

    def conv(c1: int, c2: int, k: int, s: int = 1) -> Any:
        return b.Conv(c1, c2, k, s)

    def csp(c1: int, c2: int, n: int, shortcut: bool = True) -> Any:
        return b.C3(c1, c2, n, shortcut, 0.5, k=1)

    class SPPBottleneck(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1, self.conv2 = conv(c, c // 2, 1), conv(c // 2 * 4, c, 1)
            self.m = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            return self.conv2(torch.cat([x] + [m(x) for m in self.m], 1))

    c = [int(64 * width * 2**i) for i in range(5)]  # 32, 64, 128, 256, 512 for YOLOX-S
    n = max(round(3 * depth), 1)

    class YoloX(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = conv(12, c[0], 3)  # after Focus (space-to-depth)
            self.dark2 = nn.Sequential(conv(c[0], c[1], 3, 2), csp(c[1], c[1], n))
            self.dark3 = nn.Sequential(conv(c[1], c[2], 3, 2), csp(c[2], c[2], 3 * n))
            self.dark4 = nn.Sequential(conv(c[2], c[3], 3, 2), csp(c[3], c[3], 3 * n))
            self.dark5 = nn.Sequential(conv(c[3], c[4], 3, 2), SPPBottleneck(c[4]), csp(c[4], c[4], n, False))
            self.up = nn.Upsample(scale_factor=2.0, mode="nearest")
            self.lateral_conv0, self.c3_p4 = conv(c[4], c[3], 1), csp(c[4], c[3], n, False)
            self.reduce_conv1, self.c3_p3 = conv(c[3], c[2], 1), csp(c[3], c[2], n, False)
            self.bu_conv2, self.c3_n3 = conv(c[2], c[2], 3, 2), csp(c[3], c[3], n, False)
            self.bu_conv1, self.c3_n4 = conv(c[3], c[3], 3, 2), csp(c[4], c[4], n, False)
            hidden = int(256 * width)
            self.stems = nn.ModuleList(conv(ci, hidden, 1) for ci in c[2:])
            self.cls_convs = nn.ModuleList(
                nn.Sequential(conv(hidden, hidden, 3), conv(hidden, hidden, 3)) for _ in STRIDES
            )
            self.reg_convs = nn.ModuleList(
                nn.Sequential(conv(hidden, hidden, 3), conv(hidden, hidden, 3)) for _ in STRIDES
            )
            self.cls_preds = nn.ModuleList(nn.Conv2d(hidden, NUM_CLASSES, 1) for _ in STRIDES)
            self.reg_preds = nn.ModuleList(nn.Conv2d(hidden, 4, 1) for _ in STRIDES)
            self.obj_preds = nn.ModuleList(nn.Conv2d(hidden, 1, 1) for _ in STRIDES)
            grids, strides = [], []
            for s in STRIDES:
                g = hw // s
                yv, xv = torch.meshgrid([torch.arange(g), torch.arange(g)], indexing="ij")
                grids.append(torch.stack((xv, yv), 2).view(1, -1, 2))
                strides.append(torch.full((1, g * g, 1), s))
            self.grids: Any = torch.cat(grids, 1).float()
            self.strides: Any = torch.cat(strides, 1).float()

        def backbone(self, x: Any) -> tuple[Any, Any, Any]:
            x = torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]), 1)
            x3 = self.dark3(self.dark2(self.stem(x)))
            x4 = self.dark4(x3)
            x5 = self.dark5(x4)
            fpn_out0 = self.lateral_conv0(x5)
            f_out0 = self.c3_p4(torch.cat([self.up(fpn_out0), x4], 1))
            fpn_out1 = self.reduce_conv1(f_out0)
            pan_out2 = self.c3_p3(torch.cat([self.up(fpn_out1), x3], 1))
            pan_out1 = self.c3_n3(torch.cat([self.bu_conv2(pan_out2), fpn_out1], 1))
            pan_out0 = self.c3_n4(torch.cat([self.bu_conv1(pan_out1), fpn_out0], 1))
            return pan_out2, pan_out1, pan_out0

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            raw, probs = [], []
            for k, x in enumerate(self.backbone(image * 255)):
                x = self.stems[k](x)
                cls_out = self.cls_preds[k](self.cls_convs[k](x))
                reg_feat = self.reg_convs[k](x)
                raw.append(self.reg_preds[k](reg_feat).flatten(start_dim=2))
                probs.append(torch.cat((self.obj_preds[k](reg_feat).sigmoid(), cls_out.sigmoid()), 1).flatten(2))
            xywh = torch.cat(raw, 2).permute(0, 2, 1)
            scores = torch.cat(probs, 2).permute(0, 2, 1)
            xy = (xywh[..., 0:2] + self.grids) * self.strides
            wh = torch.exp(xywh[..., 2:4]) * self.strides
            return split_postprocess(xy, wh, scores)

    return YoloX()


def yolox() -> tuple[Any, tuple[Any, ...]]:
    return _yolox(0.33, 0.5), img(640)


# --- YOLOv6-N v3.0 (meituan/YOLOv6 release 0.4.0: EfficientRep + RepBiFPAN + efficient decoupled head) -----------


def _yolov6(depth: float = 0.33, width: float = 0.25, hw: int = 640) -> Any:
    """As AI Hub loads it (``load_checkpoint(fuse=True)``, RepVGG blocks switched to deploy): every conv carries its
    folded BatchNorm as a bias; ReLU in backbone and neck, SiLU in the head; anchor-free decoding to [1, N, 85]
    (xywh, a constant objectness of 1, class scores), then AI Hub's detect_postprocess."""
    import torch
    from torch import nn

    def conv(c1: int, c2: int, k: int = 3, s: int = 1, act: Any = nn.ReLU) -> Any:
        return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2), act())

    def rep_block(c1: int, c2: int, n: int) -> Any:
        return nn.Sequential(conv(c1, c2), *(conv(c2, c2) for _ in range(n - 1)))

    class SimCSPSPPF(nn.Module):
        def __init__(self, c1: int, c2: int) -> None:
            super().__init__()
            c_ = c2 // 2
            self.cv1, self.cv2, self.cv3, self.cv4 = conv(c1, c_, 1), conv(c1, c_, 1), conv(c_, c_, 3), conv(c_, c_, 1)
            self.m = nn.MaxPool2d(5, 1, 2)
            self.cv5, self.cv6, self.cv7 = conv(4 * c_, c_, 1), conv(c_, c_, 3), conv(2 * c_, c2, 1)

        def forward(self, x: Any) -> Any:
            x1 = self.cv4(self.cv3(self.cv1(x)))
            y1 = self.m(x1)
            y2 = self.m(y1)
            y3 = self.cv6(self.cv5(torch.cat([x1, y1, y2, self.m(y2)], 1)))
            return self.cv7(torch.cat((self.cv2(x), y3), 1))

    class BiFusion(nn.Module):
        def __init__(self, c_lateral: int, c_below: int, c2: int) -> None:
            super().__init__()
            self.cv1, self.cv2, self.cv3 = conv(c_lateral, c2, 1), conv(c_below, c2, 1), conv(3 * c2, c2, 1)
            self.upsample = nn.ConvTranspose2d(c2, c2, 2, 2, bias=True)
            self.downsample = conv(c2, c2, 3, 2)

        def forward(self, above: Any, lateral: Any, below: Any) -> Any:
            up, down = self.upsample(above), self.downsample(self.cv2(below))
            return self.cv3(torch.cat((up, self.cv1(lateral), down), 1))

    ch = [make_divisible(c * width) for c in (64, 128, 256, 512, 1024, 256, 128, 128, 256, 256, 512)]
    n = [max(round(r * depth), 1) if r > 1 else r for r in (1, 6, 12, 18, 6, 12, 12, 12, 12)]

    class YoloV6(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = conv(3, ch[0], 3, 2)
            self.erblocks = nn.ModuleList(
                nn.Sequential(conv(ch[i - 1], ch[i], 3, 2), rep_block(ch[i], ch[i], n[i])) for i in range(1, 5)
            )
            self.sppf = SimCSPSPPF(ch[4], ch[4])
            self.reduce_layer0, self.bifusion0 = conv(ch[4], ch[5], 1), BiFusion(ch[3], ch[2], ch[5])
            self.rep_p4 = rep_block(ch[5], ch[5], n[5])
            self.reduce_layer1, self.bifusion1 = conv(ch[5], ch[6], 1), BiFusion(ch[2], ch[1], ch[6])
            self.rep_p3 = rep_block(ch[6], ch[6], n[6])
            self.downsample2, self.rep_n3 = conv(ch[6], ch[7], 3, 2), rep_block(ch[6] + ch[7], ch[8], n[7])
            self.downsample1, self.rep_n4 = conv(ch[8], ch[9], 3, 2), rep_block(ch[5] + ch[9], ch[10], n[8])
            head_ch = (ch[6], ch[8], ch[10])
            self.stems = nn.ModuleList(conv(c, c, 1, act=nn.SiLU) for c in head_ch)
            self.cls_convs = nn.ModuleList(conv(c, c, 3, act=nn.SiLU) for c in head_ch)
            self.reg_convs = nn.ModuleList(conv(c, c, 3, act=nn.SiLU) for c in head_ch)
            self.cls_preds = nn.ModuleList(nn.Conv2d(c, NUM_CLASSES, 1) for c in head_ch)
            self.reg_preds = nn.ModuleList(nn.Conv2d(c, 4, 1) for c in head_ch)
            self.anchor_points, self.stride_tensor = anchor_grid(hw)

        def features(self, x: Any) -> tuple[Any, Any, Any]:
            x = self.stem(x)
            outs = []
            for i, block in enumerate(self.erblocks):
                x = block(x)
                outs.append(self.sppf(x) if i == 3 else x)
            x3, x2, x1, x0 = outs
            fpn_out0 = self.reduce_layer0(x0)
            f_out0 = self.rep_p4(self.bifusion0(fpn_out0, x1, x2))
            fpn_out1 = self.reduce_layer1(f_out0)
            pan_out2 = self.rep_p3(self.bifusion1(fpn_out1, x2, x3))
            pan_out1 = self.rep_n3(torch.cat([self.downsample2(pan_out2), fpn_out1], 1))
            pan_out0 = self.rep_n4(torch.cat([self.downsample1(pan_out1), fpn_out0], 1))
            return pan_out2, pan_out1, pan_out0

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            cls_list, reg_list = [], []
            for i, x in enumerate(self.features(image)):
                b, _, h, w = x.shape
                x = self.stems[i](x)
                cls_list.append(torch.sigmoid(self.cls_preds[i](self.cls_convs[i](x))).reshape([b, NUM_CLASSES, h * w]))
                reg_list.append(self.reg_preds[i](self.reg_convs[i](x)).reshape([b, 4, h * w]))
            cls = torch.cat(cls_list, -1).permute(0, 2, 1)
            lt, rb = torch.split(torch.cat(reg_list, -1).permute(0, 2, 1), 2, -1)
            x1y1, x2y2 = self.anchor_points - lt, self.anchor_points + rb
            boxes = torch.cat([(x1y1 + x2y2) / 2, x2y2 - x1y1], -1) * self.stride_tensor
            pred = torch.cat([boxes, torch.ones((b, boxes.shape[1], 1)), cls], -1)
            # AI Hub's detect_postprocess
            xyxy = xywh2xyxy(pred[:, :, :4])
            scores = pred[:, :, 5:] * pred[:, :, 4:5]
            best, idx = best_class(scores)
            return xyxy, best, idx.to(torch.uint8)

    return YoloV6()


def yolov6() -> tuple[Any, tuple[Any, ...]]:
    return _yolov6(), img(640)


def param_count(builder: Any) -> int:
    """Parameters of a builder's module (what the fidelity notes compare with AI Hub's published count)."""
    module, _ = builder()
    return sum(p.numel() for p in module.parameters())


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture, input and AI Hub wrapper (random weights)"
    v10 = "YOLOv10-N with the one-to-many head AI Hub keeps (end2end off)"
    return {
        ("yolov8_det", "YOLOv8-Detection"): (yolov8_det, f"{same}; YOLOv8-N, 3.16M params vs 3.18M published"),
        ("yolov8_seg", "YOLOv8-Segmentation"): (yolov8_seg, f"{same}; YOLOv8N-Seg, 3.41M params vs 3.43M published"),
        ("yolov10_det", "YOLOv10-Detection"): (yolov10_det, f"{same}; {v10}, 2.31M params vs 2.33M published"),
        ("yolov11_seg", "YOLOv11-Segmentation"): (yolov11_seg, f"{same}; YOLO11N-Seg, 2.88M params vs 2.89M published"),
        ("yolov5", "Yolo-v5"): (
            yolov5,
            "YOLOv5-M (v6+ layout: 6x6 stem, C3, SPPF) with the anchor-based head: 21.19M params vs 21.2M published, "
            "and 81.1 MB float, which fit the original YOLOv5m and not the anchor-free yolov5mu (25.1M) that AI Hub's "
            "current model.py loads; decoded with the split xy / wh / scores decoder AI Hub uses for YOLOv7 (same "
            "math as YOLOv5's Detect); random weights",
        ),
        ("yolov6", "Yolo-v6"): (
            yolov6,
            f"{same}; YOLOv6-N v3.0 (deployed RepVGG, fused BN), 4.65M params vs 4.68M published",
        ),
        ("yolox", "Yolo-X"): (yolox, f"{same}; YOLOX-S, 8.97M params vs 8.98M published"),
        ("yolov7", "Yolo-v7"): (yolov7, f"{same}; YOLOv7-tiny, 6.23M params vs 6.24M published"),
    }
