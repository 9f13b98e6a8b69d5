"""Calibration graphs: vision models of Qualcomm's published AI Hub measurements (see build_graphs.py).

Plain torch definitions (random weights; only shapes count) with the input shape of each model's ``get_input_spec``
in quic/ai-hub-models and the outputs of AI Hub's wrapper ``forward``.
"""

from __future__ import annotations

from typing import Any

from tools.calibration.zoo.transformers import layer_norm_2d
from tools.calibration.zoo.yolo_parts import V8_BACKBONE, V8_HEAD, ultralytics_net, xywh2xyxy


def img(h: int, w: int, c: int = 3) -> tuple[Any, ...]:
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
    return _single_class_segmentor(ultralytics_net(V8_BACKBONE + V8_HEAD, 0.33, 0.5, seg=True, nc=1)), img(640, 640)


def fastsam_x() -> tuple[Any, tuple[Any, ...]]:
    """FastSAM-x = YOLOv8x-seg (depth 1.0, width 1.25, max_channels 512) with nc=1."""
    net = ultralytics_net(V8_BACKBONE + V8_HEAD, 1.0, 1.25, seg=True, nc=1, max_channels=512)
    return _single_class_segmentor(net), img(640, 640)


# --- DLA-102-X (timm dla102x: Yu et al. 2018, ResNeXt bottlenecks, 32 groups x 4 channels) -------------------------


def _imagenet_norm(image: Any) -> Any:
    """AI Hub's ImagenetClassifier normalizes the [0, 1] image with torchvision's mean and std in the graph."""
    import torch

    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    return (image - mean) / std


def _dla_tree(block: Any, root: Any) -> Any:
    """The DLA tree (Yu et al. 2018; timm's DlaTree, CenterNet's Tree) over a leaf ``block(cin, cout, stride)``
    called as ``block(x, shortcut)`` and a ``root(cin, cout)`` called on the list of its children."""
    from torch import nn

    class Tree(nn.Module):
        def __init__(self, lv: int, cin: int, cout: int, s: int = 1, level_root: bool = False, root_dim: int = 0):
            super().__init__()
            root_dim = (root_dim or 2 * cout) + (cin if level_root else 0)
            self.leaf, self.level_root = lv == 1, level_root
            self.down = nn.MaxPool2d(s, s) if s > 1 else nn.Identity()
            self.project: Any = nn.Identity()
            if cin != cout and self.leaf:
                self.project = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.tree1: Any
            self.tree2: Any
            if self.leaf:
                self.tree1, self.tree2 = block(cin, cout, s), block(cout, cout, 1)
                self.root = root(root_dim, cout)
            else:
                self.tree1 = Tree(lv - 1, cin, cout, s)
                self.tree2 = Tree(lv - 1, cout, cout, root_dim=root_dim + cout)

        def forward(self, x: Any, children: list[Any] | None = None) -> Any:
            children = [] if children is None else children
            bottom = self.down(x)
            if self.level_root:
                children.append(bottom)
            if self.leaf:
                x1 = self.tree1(x, self.project(bottom))
                return self.root([self.tree2(x1), x1, *children])
            x1 = self.tree1(x)
            children.append(x1)
            return self.tree2(x1, children)

    return Tree


def _dla(levels: tuple[int, ...], channels: tuple[int, ...], cardinality: int, base_width: int) -> Any:
    import math

    import torch
    from torch import nn

    def cbr(cin: int, cout: int, k: int, s: int = 1, relu: bool = True, groups: int = 1) -> Any:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, cout: int, s: int) -> None:
            super().__init__()
            mid = int(math.floor(cout * base_width / 64) * cardinality) // 2
            self.body = nn.Sequential(
                cbr(cin, mid, 1), cbr(mid, mid, 3, s, groups=cardinality), cbr(mid, cout, 1, relu=False)
            )

        def forward(self, x: Any, shortcut: Any = None) -> Any:
            return torch.relu(self.body(x) + (x if shortcut is None else shortcut))

    class Root(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv = cbr(cin, cout, 1, relu=False)

        def forward(self, xs: list[Any]) -> Any:
            return torch.relu(self.conv(torch.cat(xs, 1)) + xs[0])  # residual root (shortcut_root=True)

    Tree = _dla_tree(Bottleneck, Root)

    class DLA(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c = channels
            self.stem = nn.Sequential(
                cbr(3, c[0], 7),
                *(cbr(c[0], c[0], 3) for _ in range(levels[0])),
                *(cbr(c[0] if i == 0 else c[1], c[1], 3, 2 if i == 0 else 1) for i in range(levels[1])),
            )
            self.trees = nn.Sequential(
                *(Tree(levels[i], c[i - 1], c[i], 2, level_root=i > 2) for i in range(2, len(levels)))
            )
            self.fc = nn.Conv2d(c[-1], 1000, 1)

        def forward(self, image: Any) -> Any:
            x = self.trees(self.stem(_imagenet_norm(image)))
            return self.fc(x.mean((2, 3), keepdim=True)).flatten(1)

    return DLA()


def dla102x() -> tuple[Any, tuple[Any, ...]]:
    return _dla((1, 1, 1, 3, 4, 1), (16, 32, 128, 256, 512, 1024), 32, 4), img(224, 224)


# --- EasyOCR (JaidedAI/EasyOCR): CRAFT detector, generation-2 VGG + BiLSTM recognizer (english_g2) -----------------


def easyocr_detector() -> tuple[Any, tuple[Any, ...]]:
    """CRAFT (Baek et al. 2019): VGG16-BN up to conv5_2, a dilated fc6/fc7, four U-Net up-blocks, a 2-map head."""
    import torch
    from torch import nn

    def cb(cin: int, cout: int) -> list[Any]:
        return [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout)]

    relu, pool = nn.ReLU, nn.MaxPool2d
    # torchvision vgg16_bn features split where CRAFT taps them (each slice ends at a BN, before its ReLU)
    slice1 = nn.Sequential(*cb(3, 64), relu(), *cb(64, 64), relu(), pool(2, 2), *cb(64, 128), relu(), *cb(128, 128))
    slice2 = nn.Sequential(relu(), pool(2, 2), *cb(128, 256), relu(), *cb(256, 256))
    slice3 = nn.Sequential(relu(), *cb(256, 256), relu(), pool(2, 2), *cb(256, 512), relu(), *cb(512, 512))
    slice4 = nn.Sequential(relu(), *cb(512, 512), relu(), pool(2, 2), *cb(512, 512), relu(), *cb(512, 512))
    slice5 = nn.Sequential(pool(3, 1, 1), nn.Conv2d(512, 1024, 3, padding=6, dilation=6), nn.Conv2d(1024, 1024, 1))

    def up(cin: int, mid: int, cout: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin + mid, mid, 1), nn.BatchNorm2d(mid), relu(), *cb(mid, cout), relu())

    class Craft(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.slices = nn.ModuleList([slice1, slice2, slice3, slice4, slice5])
            self.ups = nn.ModuleList([up(1024, 512, 256), up(512, 256, 128), up(256, 128, 64), up(128, 64, 32)])
            self.cls = nn.Sequential(
                nn.Conv2d(32, 32, 3, 1, 1), relu(), nn.Conv2d(32, 32, 3, 1, 1), relu(),
                nn.Conv2d(32, 16, 3, 1, 1), relu(), nn.Conv2d(16, 16, 1), relu(), nn.Conv2d(16, 2, 1),
            )  # fmt: skip

        def forward(self, image: Any) -> Any:
            x, taps = _imagenet_norm(image), []
            for sl in self.slices:
                x = sl(x)
                taps.append(x)
            y = self.ups[0](torch.cat([taps[4], taps[3]], 1))
            for i, tap in enumerate((taps[2], taps[1], taps[0])):
                y = nn.functional.interpolate(y, size=[int(tap.shape[2]), int(tap.shape[3])], mode="bilinear")
                y = self.ups[i + 1](torch.cat([y, tap], 1))
            return self.cls(y).permute(0, 2, 3, 1)

    return Craft(), img(608, 800)


def easyocr_recognizer() -> tuple[Any, tuple[Any, ...]]:
    """english_g2: VGG feature extractor (32-64-128-256 channels), height pooled away, two BiLSTM(256) + linear
    layers, 97 classes; AI Hub's wrapper maps the [0, 1] grey image to [-1, 1]."""
    from torch import nn

    class BiLSTM(nn.Module):
        def __init__(self, cin: int, hidden: int, cout: int) -> None:
            super().__init__()
            self.rnn = nn.LSTM(cin, hidden, bidirectional=True, batch_first=True)
            self.linear = nn.Linear(2 * hidden, cout)

        def forward(self, x: Any) -> Any:
            return self.linear(self.rnn(x)[0])

    relu, pool = nn.ReLU, nn.MaxPool2d

    class Recognizer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 32, 3, 1, 1), relu(), pool(2, 2),
                nn.Conv2d(32, 64, 3, 1, 1), relu(), pool(2, 2),
                nn.Conv2d(64, 128, 3, 1, 1), relu(), nn.Conv2d(128, 128, 3, 1, 1), relu(), pool((2, 1), (2, 1)),
                nn.Conv2d(128, 256, 3, 1, 1, bias=False), nn.BatchNorm2d(256), relu(),
                nn.Conv2d(256, 256, 3, 1, 1, bias=False), nn.BatchNorm2d(256), relu(), pool((2, 1), (2, 1)),
                nn.Conv2d(256, 256, 2, 1, 0), relu(),
            )  # fmt: skip
            self.pool = nn.AdaptiveAvgPool2d((None, 1))
            self.seq = nn.Sequential(BiLSTM(256, 256, 256), BiLSTM(256, 256, 256))
            self.pred = nn.Linear(256, 97)

        def forward(self, image: Any) -> Any:
            v = self.pool(self.features((image - 0.5) / 0.5).permute(0, 3, 1, 2)).squeeze(3)
            return self.pred(self.seq(v))

    return Recognizer(), img(64, 800, 1)


# --- DeepLabV3+ Xception65 (LikeLy-Journey/SegmenTron, pascal_voc_deeplabv3_plus.yaml, output stride 16) -----------


def deeplab_xception() -> tuple[Any, tuple[Any, ...]]:
    import torch
    from torch import nn

    f = nn.functional

    def sep(cin: int, cout: int, dilation: int = 1, stride: int = 1, relu_first: bool = True) -> Any:
        """SegmenTron's SeparableConv2d: depthwise 3x3 + BN, pointwise + BN; ReLU before (relu_first) or after
        each BN."""
        dw = [nn.Conv2d(cin, cin, 3, stride, dilation, dilation, groups=cin, bias=False), nn.BatchNorm2d(cin)]
        pw = [nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        if relu_first:
            return nn.Sequential(nn.ReLU(), *dw, *pw)
        return nn.Sequential(*dw, nn.ReLU(), *pw, nn.ReLU())

    class Block(nn.Module):
        def __init__(
            self, ch: tuple[int, int, int, int], s: int = 1, d: int = 1, skip: str = "conv", relu_first: bool = True
        ) -> None:
            super().__init__()
            self.seps = nn.ModuleList(
                [
                    sep(ch[0], ch[1], d, 1, relu_first),
                    sep(ch[1], ch[2], d, 1, relu_first),
                    sep(ch[2], ch[3], d, s, relu_first),
                ]
            )
            self.skip = skip
            if skip == "conv":
                self.short = nn.Sequential(nn.Conv2d(ch[0], ch[3], 1, s, bias=False), nn.BatchNorm2d(ch[3]))

        def forward(self, x: Any) -> tuple[Any, Any]:
            sc2 = self.seps[1](self.seps[0](x))
            y = self.seps[2](sc2)
            if self.skip == "conv":
                y = y + self.short(x)
            elif self.skip == "sum":
                y = y + x
            return y, sc2

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            )  # fmt: skip
            self.entry = nn.ModuleList(
                [Block((64, 128, 128, 128), 2), Block((128, 256, 256, 256), 2), Block((256, 728, 728, 728), 2)]
            )
            self.middle = nn.ModuleList(Block((728,) * 4, skip="sum") for _ in range(16))
            self.exit = nn.ModuleList(
                [Block((728, 728, 1024, 1024), 1, 1), Block((1024, 1536, 1536, 2048), 1, 2, "none", False)]
            )
            self.aspp0 = nn.Sequential(nn.Conv2d(2048, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU())
            self.aspp = nn.ModuleList(sep(2048, 256, d, relu_first=False) for d in (6, 12, 18))
            self.pool = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Conv2d(2048, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU()
            )
            self.project = nn.Sequential(nn.Conv2d(1280, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU())
            self.c1_block = nn.Sequential(nn.Conv2d(256, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU())
            self.head = nn.Sequential(
                sep(304, 256, relu_first=False), sep(256, 256, relu_first=False), nn.Conv2d(256, 21, 1)
            )

        def forward(self, image: Any) -> Any:
            x = self.stem((image - 0.5) / 0.5)
            x, _ = self.entry[0](x)
            x, c1 = self.entry[1](x)
            x, _ = self.entry[2](x)
            for b in [*self.middle, *self.exit]:
                x, _ = b(x)
            hw = [int(x.shape[2]), int(x.shape[3])]
            pooled = f.interpolate(self.pool(x), size=hw, mode="bilinear", align_corners=True)
            x = self.project(torch.cat([pooled, self.aspp0(x), *(a(x) for a in self.aspp)], 1))
            x = f.interpolate(x, size=[int(c1.shape[2]), int(c1.shape[3])], mode="bilinear", align_corners=True)
            x = self.head(torch.cat([x, self.c1_block(c1)], 1))
            x = f.interpolate(x, size=[int(image.shape[2]), int(image.shape[3])], mode="bilinear", align_corners=True)
            return x.argmax(1).to(torch.uint8)

    return Net(), img(480, 520)


# --- MiDaS v2.1 small (isl-org/MiDaS midas_net_custom.py, midas_v21_small_256) --------------------------------------


def _effnet_lite3_stages() -> Any:
    """geffnet tf_efficientnet_lite3 (width 1.2, depth 1.4, ReLU6, no SE) as 7 stages after the 32-channel stem; TF
    "same" padding: stride-2 convs pad explicitly (ZeroPad2d, more at the end), the others symmetrically."""
    import math

    from torch import nn

    def conv(cin: int, cout: int, k: int, s: int, groups: int = 1) -> list[Any]:
        if s == 1:
            return [nn.Conv2d(cin, cout, k, 1, k // 2, groups=groups, bias=False)]
        lo = (k - s) // 2
        return [
            nn.ZeroPad2d((lo, k - s - lo, lo, k - s - lo)),
            nn.Conv2d(cin, cout, k, s, 0, groups=groups, bias=False),
        ]

    class IR(nn.Module):
        def __init__(self, cin: int, cout: int, k: int, s: int, e: int) -> None:
            super().__init__()
            mid = cin * e
            expand = [*conv(cin, mid, 1, 1), nn.BatchNorm2d(mid), nn.ReLU6()] if e != 1 else []
            self.body = nn.Sequential(
                *expand, *conv(mid, mid, k, s, mid), nn.BatchNorm2d(mid), nn.ReLU6(), *conv(mid, cout, 1, 1),
                nn.BatchNorm2d(cout),
            )  # fmt: skip
            self.res = s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            return x + self.body(x) if self.res else self.body(x)

    # (repeats, kernel, stride, expansion, channels) of EfficientNet-B0, scaled; first and last stage depth fixed
    arch = [(1, 3, 1, 1, 24), (2, 3, 2, 6, 32), (2, 5, 2, 6, 48), (3, 3, 2, 6, 96), (3, 5, 1, 6, 136),
            (4, 5, 2, 6, 232), (1, 3, 1, 6, 384)]  # fmt: skip
    stages, cin = [], 32
    for i, (r, k, s, e, c) in enumerate(arch):
        n = r if i in (0, len(arch) - 1) else math.ceil(r * 1.4)
        stages.append(nn.Sequential(*(IR(cin if j == 0 else c, c, k, s if j == 0 else 1, e) for j in range(n))))
        cin = c
    stem = nn.Sequential(*conv(3, 32, 3, 2), nn.BatchNorm2d(32), nn.ReLU6())
    return stem, stages


def midas() -> tuple[Any, tuple[Any, ...]]:
    """MidasNet_small: EfficientNet-Lite3 encoder, expanded 64-128-256-512 scratch convs, four fusion blocks, output
    head with ReLU; AI Hub's wrapper normalizes the image and keeps the [1, 1, H, W] depth map (squeeze removed)."""
    from torch import nn

    f = nn.functional

    class RCU(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1, self.conv2, self.act = nn.Conv2d(c, c, 3, 1, 1), nn.Conv2d(c, c, 3, 1, 1), nn.ReLU()

        def forward(self, x: Any) -> Any:
            return self.conv2(self.act(self.conv1(self.act(x)))) + x

    class Fusion(nn.Module):
        """FeatureFusionBlock_custom; the deepest block has no lateral input, so its unused first RCU is left out
        (its weights are not in the exported graph)."""

        def __init__(self, c: int, cout: int, lateral: bool) -> None:
            super().__init__()
            self.rcu1 = RCU(c) if lateral else None
            self.rcu2, self.out = RCU(c), nn.Conv2d(c, cout, 1)

        def forward(self, x: Any, skip: Any = None) -> Any:
            if self.rcu1 is not None:
                x = x + self.rcu1(skip)
            x = f.interpolate(self.rcu2(x), scale_factor=2.0, mode="bilinear", align_corners=True)
            return self.out(x)

    stem, st = _effnet_lite3_stages()

    class Midas(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(
                [nn.Sequential(stem, st[0], st[1]), st[2], nn.Sequential(st[3], st[4]), nn.Sequential(st[5], st[6])]
            )
            self.rn = nn.ModuleList(
                nn.Conv2d(a, b, 3, 1, 1, bias=False)
                for a, b in zip((32, 48, 136, 384), (64, 128, 256, 512), strict=True)
            )
            self.fuse = nn.ModuleList(
                [Fusion(64, 64, True), Fusion(128, 64, True), Fusion(256, 128, True), Fusion(512, 256, False)]
            )
            self.head = nn.Sequential(
                nn.Conv2d(64, 32, 3, 1, 1), nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=True),
                nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, 1, 1), nn.ReLU(),
            )  # fmt: skip

        def forward(self, image: Any) -> Any:
            x, feats = _imagenet_norm(image), []
            for layer, rn in zip(self.layers, self.rn, strict=True):
                x = layer(x)
                feats.append(rn(x))
            p = self.fuse[3](feats[3])
            for i in (2, 1, 0):
                p = self.fuse[i](p, feats[i])
            return self.head(p)

    return Midas(), img(256, 256)


# --- PIDNet-S (XuJiacong/PIDNet models/pidnet.py, get_pred_model: planes 32, no auxiliary heads) -------------------


def pidnet() -> tuple[Any, tuple[Any, ...]]:
    import torch
    from torch import nn

    f = nn.functional

    def bn_relu_conv(cin: int, cout: int, k: int = 1, groups: int = 1) -> Any:
        return nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, k, 1, k // 2, groups=groups, bias=False)
        )

    def conv_bn(cin: int, cout: int, k: int = 1, s: int = 1) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout))

    class Block(nn.Module):
        """BasicBlock (expansion 1) or Bottleneck (expansion 2); ``relu`` after the residual sum or not."""

        def __init__(self, cin: int, c: int, s: int, bottleneck: bool, relu: bool) -> None:
            super().__init__()
            cout = 2 * c if bottleneck else c
            if bottleneck:
                self.body = nn.Sequential(
                    *conv_bn(cin, c), nn.ReLU(), *conv_bn(c, c, 3, s), nn.ReLU(), *conv_bn(c, cout)
                )
            else:
                self.body = nn.Sequential(*conv_bn(cin, c, 3, s), nn.ReLU(), *conv_bn(c, c, 3))
            self.down = conv_bn(cin, cout, 1, s) if s != 1 or cin != cout else nn.Identity()
            self.relu = relu

        def forward(self, x: Any) -> Any:
            y = self.body(x) + self.down(x)
            return torch.relu(y) if self.relu else y

    def layer(cin: int, c: int, n: int, s: int = 1, bottleneck: bool = False) -> Any:
        """_make_layer: the last block has no ReLU when there are several; a Bottleneck never ends in one."""
        e = 2 if bottleneck else 1
        return nn.Sequential(
            *(
                Block(
                    cin if i == 0 else c * e,
                    c,
                    s if i == 0 else 1,
                    bottleneck,
                    not bottleneck and (i < n - 1 or n == 1),
                )
                for i in range(n)
            )
        )

    class PagFM(nn.Module):
        def __init__(self, c: int, mid: int) -> None:
            super().__init__()
            self.f_x, self.f_y = conv_bn(c, mid), conv_bn(c, mid)

        def forward(self, x: Any, y: Any) -> Any:
            hw = [int(x.shape[2]), int(x.shape[3])]
            y_q = f.interpolate(self.f_y(y), size=hw, mode="bilinear", align_corners=False)
            sim = torch.sigmoid(torch.sum(self.f_x(x) * y_q, dim=1).unsqueeze(1))
            return (1 - sim) * x + sim * f.interpolate(y, size=hw, mode="bilinear", align_corners=False)

    class PAPPM(nn.Module):
        def __init__(self, cin: int, br: int, cout: int) -> None:
            super().__init__()
            pools = [nn.AvgPool2d(5, 2, 2), nn.AvgPool2d(9, 4, 4), nn.AvgPool2d(17, 8, 8), nn.AdaptiveAvgPool2d(1)]
            self.scales = nn.ModuleList(nn.Sequential(p, bn_relu_conv(cin, br)) for p in pools)
            self.scale0 = bn_relu_conv(cin, br)
            self.process = bn_relu_conv(4 * br, 4 * br, 3, groups=4)
            self.compression, self.shortcut = bn_relu_conv(5 * br, cout), bn_relu_conv(cin, cout)

        def forward(self, x: Any) -> Any:
            hw = [int(x.shape[2]), int(x.shape[3])]
            x0 = self.scale0(x)
            ups = [f.interpolate(s(x), size=hw, mode="bilinear", align_corners=False) + x0 for s in self.scales]
            return self.compression(torch.cat([x0, self.process(torch.cat(ups, 1))], 1)) + self.shortcut(x)

    p = 32

    class PIDNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, p, 3, 2, 1), nn.BatchNorm2d(p), nn.ReLU(), nn.Conv2d(p, p, 3, 2, 1), nn.BatchNorm2d(p),
                nn.ReLU(),
            )  # fmt: skip
            self.layer1, self.layer2 = layer(p, p, 2), layer(p, 2 * p, 2, 2)
            self.layer3, self.layer4 = layer(2 * p, 4 * p, 3, 2), layer(4 * p, 8 * p, 3, 2)
            self.layer5 = layer(8 * p, 8 * p, 2, 2, True)
            self.compression3, self.compression4 = conv_bn(4 * p, 2 * p), conv_bn(8 * p, 2 * p)
            self.pag3, self.pag4 = PagFM(2 * p, p), PagFM(2 * p, p)
            self.layer3_, self.layer4_ = layer(2 * p, 2 * p, 2), layer(2 * p, 2 * p, 2)
            self.layer5_ = layer(2 * p, 2 * p, 1, bottleneck=True)
            self.layer3_d = Block(2 * p, p, 1, False, False)
            self.layer4_d = layer(p, p, 1, bottleneck=True)
            self.diff3, self.diff4 = conv_bn(4 * p, p, 3), conv_bn(8 * p, 2 * p, 3)
            self.spp = PAPPM(16 * p, 96, 4 * p)
            self.conv_p, self.conv_i = conv_bn(4 * p, 4 * p), conv_bn(4 * p, 4 * p)  # Light_Bag
            self.layer5_d = layer(2 * p, 2 * p, 1, bottleneck=True)
            self.final = nn.Sequential(
                bn_relu_conv(4 * p, 128, 3), nn.BatchNorm2d(128), nn.ReLU(), nn.Conv2d(128, 19, 1)
            )

        def forward(self, image: Any) -> Any:
            x = torch.relu(self.layer2(torch.relu(self.layer1(self.conv1(image)))))
            x_, x_d = self.layer3_(x), self.layer3_d(x)
            hw = [int(x_d.shape[2]), int(x_d.shape[3])]
            x = torch.relu(self.layer3(x))
            x_ = self.pag3(x_, self.compression3(x))
            x_d = x_d + f.interpolate(self.diff3(x), size=hw, mode="bilinear", align_corners=False)
            x = torch.relu(self.layer4(x))
            x_, x_d = self.layer4_(torch.relu(x_)), self.layer4_d(torch.relu(x_d))
            x_ = self.pag4(x_, self.compression4(x))
            x_d = x_d + f.interpolate(self.diff4(x), size=hw, mode="bilinear", align_corners=False)
            x_, x_d = self.layer5_(torch.relu(x_)), self.layer5_d(torch.relu(x_d))
            x = f.interpolate(self.spp(self.layer5(x)), size=hw, mode="bilinear", align_corners=False)
            edge = torch.sigmoid(x_d)
            return self.final(self.conv_p((1 - edge) * x + x_) + self.conv_i(x + edge * x_))

    return PIDNet(), img(1024, 2048)


# --- PSPNet (hszhao/semseg model/pspnet.py, ade20k_pspnet101: deep-stem ResNet-101, output stride 8, PPM) ---------


def pspnet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's wrapper runs the image and its horizontal mirror as a batch of 2 and keeps the first result."""
    import torch
    from torch import nn

    f = nn.functional

    def cbr(cin: int, cout: int, k: int, s: int = 1, d: int = 1, relu: bool = True) -> list[Any]:
        layers = [nn.Conv2d(cin, cout, k, s, d * (k // 2), d, bias=False), nn.BatchNorm2d(cout)]
        return [*layers, nn.ReLU()] if relu else layers

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, c: int, s: int, d: int) -> None:
            super().__init__()
            self.body = nn.Sequential(*cbr(cin, c, 1), *cbr(c, c, 3, s, d), *cbr(c, 4 * c, 1, relu=False))
            self.down = nn.Sequential(*cbr(cin, 4 * c, 1, s, relu=False)) if cin != 4 * c or s != 1 else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.down(x))

    def stage(cin: int, c: int, n: int, s: int, d: int) -> Any:
        return nn.Sequential(*(Bottleneck(cin if i == 0 else 4 * c, c, s if i == 0 else 1, d) for i in range(n)))

    class PSPNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Sequential(
                *cbr(3, 64, 3, 2), *cbr(64, 64, 3), *cbr(64, 128, 3), nn.MaxPool2d(3, 2, 1),
                stage(128, 64, 3, 1, 1), stage(256, 128, 4, 2, 1), stage(512, 256, 23, 1, 2), stage(1024, 512, 3, 1, 4),
            )  # fmt: skip
            self.ppm = nn.ModuleList(nn.Sequential(nn.AdaptiveAvgPool2d(b), *cbr(2048, 512, 1)) for b in (1, 2, 3, 6))
            self.cls = nn.Sequential(*cbr(4096, 512, 3), nn.Conv2d(512, 150, 1))

        def forward(self, image: Any) -> Any:
            h, w = int(image.shape[2]), int(image.shape[3])
            x = self.backbone(torch.cat([image, image.flip(3)], 0))
            hw = [int(x.shape[2]), int(x.shape[3])]
            x = torch.cat(
                [x, *(f.interpolate(p(x), size=hw, mode="bilinear", align_corners=True) for p in self.ppm)], 1
            )
            x = f.interpolate(self.cls(x), size=[h, w], mode="bilinear", align_corners=True)
            return x[0].unsqueeze(0)

    return PSPNet(), img(473, 473)


# --- 3D-Deep-BOX VGG3DDetection (skhadem/3D-BoundingBox torch_lib/Model.py: VGG19-BN features, 2 bins) -------------


def deepbox_vgg() -> tuple[Any, tuple[Any, ...]]:
    from torch import nn

    cfg = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0]
    layers: list[Any] = []
    cin = 3
    for c in cfg:
        if c == 0:
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU()]
            cin = c

    def mlp(hidden: int, cout: int) -> Any:
        return nn.Sequential(
            nn.Linear(512 * 7 * 7, hidden), nn.ReLU(), nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Dropout(), nn.Linear(hidden, cout),
        )  # fmt: skip

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.orientation, self.confidence, self.dimension = mlp(256, 4), mlp(256, 2), mlp(512, 3)

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            x = self.features(image).view(-1, 512 * 7 * 7)
            orient = nn.functional.normalize(self.orientation(x).view(-1, 2, 2), dim=2)
            return orient, self.confidence(x), self.dimension(x)

    return Model(), img(224, 224)


# --- RTMPose-m wholebody (mmpose rtmpose-m_8xb64-270e_coco-wholebody-256x192: CSPNeXt-m + RTMCC head, 133 points) --


def _cspnext_parts() -> tuple[Any, Any, Any]:
    """mmdet's ConvModule (conv, BN, SiLU), CSPLayer with CSPNeXt blocks (expand ratio 0.5, optional channel
    attention) and SPPBottleneck."""
    import torch
    from torch import nn

    def cm(cin: int, cout: int, k: int = 1, s: int = 1, groups: int = 1) -> Any:
        return nn.Sequential(
            nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.SiLU()
        )

    class Block(nn.Module):
        """CSPNeXtBlock: 3x3 conv, then depthwise-separable 5x5 conv, identity add."""

        def __init__(self, c: int, add: bool) -> None:
            super().__init__()
            self.body = nn.Sequential(cm(c, c, 3), cm(c, c, 5, groups=c), cm(c, c, 1))
            self.add = add

        def forward(self, x: Any) -> Any:
            return x + self.body(x) if self.add else self.body(x)

    class CSPLayer(nn.Module):
        def __init__(self, cin: int, cout: int, n: int, add: bool, attention: bool = True) -> None:
            super().__init__()
            mid = cout // 2
            self.main, self.short, self.final = cm(cin, mid), cm(cin, mid), cm(2 * mid, cout)
            self.blocks = nn.Sequential(*(Block(mid, add) for _ in range(n)))
            self.fc = nn.Conv2d(2 * mid, 2 * mid, 1) if attention else None  # ChannelAttention

        def forward(self, x: Any) -> Any:
            y = torch.cat([self.blocks(self.main(x)), self.short(x)], 1)
            if self.fc is not None:
                y = y * nn.functional.hardsigmoid(self.fc(y.mean((2, 3), keepdim=True)))
            return self.final(y)

    class SPP(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1, self.conv2 = cm(c, c // 2), cm(c // 2 * 4, c)
            self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))

        def forward(self, x: Any) -> Any:
            x = self.conv1(x)
            return self.conv2(torch.cat([x, *(p(x) for p in self.pools)], 1))

    return cm, CSPLayer, SPP


def _cspnext(deepen: float, widen: float, outs: int = 1) -> Any:
    """mmdet's CSPNeXt (P5 arch, channel attention); returns the last ``outs`` stage maps (one tensor if 1)."""
    from torch import nn

    cm, csp_layer, spp_cls = _cspnext_parts()

    def w(c: int) -> int:
        return int(c * widen)

    stages: list[Any] = [nn.Sequential(cm(3, w(32), 3, 2), cm(w(32), w(32), 3), cm(w(32), w(64), 3))]
    for cin, cout, n, add, spp in [(64, 128, 3, True, False), (128, 256, 6, True, False), (256, 512, 6, True, False),
                                   (512, 1024, 3, False, True)]:  # fmt: skip
        layers = [cm(w(cin), w(cout), 3, 2), *([spp_cls(w(cout))] if spp else [])]
        stages.append(nn.Sequential(*layers, csp_layer(w(cout), w(cout), max(round(n * deepen), 1), add)))

    class CSPNeXt(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stages = nn.ModuleList(stages)

        def forward(self, x: Any) -> Any:
            feats = []
            for st in self.stages:
                x = st(x)
                feats.append(x)
            return feats[-1] if outs == 1 else feats[-outs:]

    return CSPNeXt()


def rtmpose_body2d() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's wrapper: RGB -> BGR, mmpose mean / std, backbone and RTMCC head; returns the SimCC x / y logits."""
    import math

    import torch
    from torch import nn

    class ScaleNorm(nn.Module):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.scale, self.g = dim**-0.5, nn.Parameter(torch.ones(1))

        def forward(self, x: Any) -> Any:
            return x / (torch.norm(x, dim=-1, keepdim=True) * self.scale).clamp(min=1e-5) * self.g

    class GAU(nn.Module):
        """RTMCCBlock, self-attention form: gated attention unit with squared-ReLU kernel, scaled residual."""

        def __init__(self, d: int = 256, e: int = 512, s: int = 128) -> None:
            super().__init__()
            self.e, self.s = e, s
            self.ln, self.uv, self.o = ScaleNorm(d), nn.Linear(d, 2 * e + s, bias=False), nn.Linear(e, d, bias=False)
            self.gamma, self.beta = nn.Parameter(torch.rand(2, s)), nn.Parameter(torch.rand(2, s))
            self.res_scale = nn.Parameter(torch.ones(d))

        def forward(self, x: Any) -> Any:
            u, v, base = torch.split(nn.functional.silu(self.uv(self.ln(x))), [self.e, self.e, self.s], dim=2)
            q, k = torch.unbind(base.unsqueeze(2) * self.gamma[None, None, :] + self.beta, dim=2)
            kernel = torch.square(torch.relu(torch.bmm(q, k.permute(0, 2, 1)) / math.sqrt(self.s)))
            return x * self.res_scale + self.o(u * torch.bmm(kernel, v))

    class RTMPose(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = _cspnext(0.67, 0.75)
            self.final_layer = nn.Conv2d(768, 133, 7, 1, 3)
            self.mlp = nn.Sequential(ScaleNorm(48), nn.Linear(48, 256, bias=False))
            self.gau = GAU()
            self.cls_x, self.cls_y = nn.Linear(256, 384, bias=False), nn.Linear(256, 512, bias=False)
            self.mean = torch.tensor([123.675, 116.28, 103.53]).reshape(1, 3, 1, 1)
            self.std = torch.tensor([58.395, 57.12, 57.375]).reshape(1, 3, 1, 1)

        def forward(self, image: Any) -> tuple[Any, Any]:
            x = (image[:, [2, 1, 0], ...] - self.mean) / self.std
            feats = self.gau(self.mlp(torch.flatten(self.final_layer(self.backbone(x)), 2)))
            return self.cls_x(feats), self.cls_y(feats)

    return RTMPose(), img(256, 192)


# --- SINet (clovaai/ext_portrait_segmentation models/SINet.py, SINet(classes=2, p=2, q=8, chnn=1)) ----------------

# S2 modules' two branches: (depthwise kernel, average-pool factor)
_SINET_CONFIG = [[(3, 1), (5, 1)], [(3, 1), (3, 1)], [(3, 1), (5, 1)], [(3, 1), (3, 1)], [(5, 1), (3, 2)],
                 [(5, 2), (3, 4)], [(3, 1), (3, 1)], [(5, 1), (5, 1)], [(3, 2), (3, 4)], [(3, 1), (5, 2)]]  # fmt: skip


def sinet() -> tuple[Any, tuple[Any, ...]]:
    import torch
    from torch import nn

    def bn(c: int) -> Any:
        return nn.BatchNorm2d(c, eps=1e-3)

    def cbr(cin: int, cout: int, k: int, s: int = 1) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), bn(cout), nn.PReLU(cout))

    class SqueezeBlock(nn.Module):
        """Global average -> dense layers with PReLU -> channel scale (no sigmoid)."""

        def __init__(self, c: int, divide: int) -> None:
            super().__init__()
            layers = [nn.Linear(c, c // divide), nn.PReLU(c // divide)]
            self.dense = (
                nn.Sequential(*layers, nn.Linear(c // divide, c), nn.PReLU(c)) if divide > 1 else nn.Sequential(*layers)
            )

        def forward(self, x: Any) -> Any:
            n, c = int(x.shape[0]), int(x.shape[1])
            return self.dense(x.mean((2, 3))).view(n, c, 1, 1) * x

    def se_sep_cbr(cin: int, cout: int, divide: int) -> Any:
        return nn.Sequential(
            nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False), SqueezeBlock(cin, divide),
            nn.Conv2d(cin, cout, 1, bias=False), bn(cout), nn.PReLU(cout),
        )  # fmt: skip

    class S2Block(nn.Module):
        def __init__(self, cin: int, cout: int, k: int, avg: int) -> None:
            super().__init__()
            self.down = nn.AvgPool2d(avg, avg) if avg > 1 else nn.Identity()
            self.up = nn.UpsamplingBilinear2d(scale_factor=avg) if avg > 1 else nn.Identity()
            self.conv = nn.Sequential(
                nn.Conv2d(cin, cin, k, 1, k // 2, groups=cin, bias=False), bn(cin), nn.PReLU(cin),
                nn.Conv2d(cin, cout, 1, bias=False),
            )  # fmt: skip
            self.bn = bn(cout)

        def forward(self, x: Any) -> Any:
            return self.bn(self.up(self.conv(self.down(x))))

    class S2Module(nn.Module):
        """Grouped 1x1 reduce, channel shuffle, two S2 blocks on the same input, concat, residual, BN + PReLU."""

        def __init__(self, cin: int, cout: int, cfg: list[tuple[int, int]], add: bool = True) -> None:
            super().__init__()
            n = cout // 2
            self.c1 = nn.Conv2d(cin, n, 1, bias=False, groups=2)
            self.d = nn.ModuleList([S2Block(n, cout - n, *cfg[0]), S2Block(n, n, *cfg[1])])
            self.br, self.add = nn.Sequential(bn(cout), nn.PReLU(cout)), add

        def forward(self, x: Any) -> Any:
            y = self.c1(x)
            n, c, h, w = (int(v) for v in y.shape)
            y = y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
            out = torch.cat([d(y) for d in self.d], 1)
            return self.br(x + out if self.add else out)

    class SINet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.level1, self.level2_0 = cbr(3, 12, 3, 2), se_sep_cbr(12, 16, 1)
            self.level2 = nn.Sequential(S2Module(16, 48, _SINET_CONFIG[0], False), S2Module(48, 48, _SINET_CONFIG[1]))
            self.br2 = nn.Sequential(bn(64), nn.PReLU(64))
            self.level3_0 = se_sep_cbr(64, 48, 2)
            self.level3 = nn.Sequential(
                S2Module(48, 96, _SINET_CONFIG[2], False), *(S2Module(96, 96, _SINET_CONFIG[i]) for i in range(3, 10))
            )
            self.br3 = nn.Sequential(bn(144), nn.PReLU(144))
            self.enc_cls = nn.Conv2d(144, 2, 1, bias=False)
            self.up = nn.UpsamplingBilinear2d(scale_factor=2)
            self.bn_3, self.bn_2, self.level2_c = bn(2), bn(2), cbr(48, 2, 1)
            self.classifier = nn.Sequential(
                nn.UpsamplingBilinear2d(scale_factor=2), nn.Conv2d(2, 2, 3, 1, 1, bias=False)
            )
            self.mean = (torch.tensor([113.05697, 120.847824, 133.786]) / 255).reshape(1, 3, 1, 1)
            self.std = torch.tensor([65.05263, 65.393776, 67.238205]).reshape(1, 3, 1, 1)

        def forward(self, image: Any) -> Any:
            out2_0 = self.level2_0(self.level1((image - self.mean) / self.std))
            out2 = self.level2(out2_0)
            out3_0 = self.level3_0(self.br2(torch.cat([out2_0, out2], 1)))
            enc = self.enc_cls(self.br3(torch.cat([out3_0, self.level3(out3_0)], 1)))
            stage1 = self.bn_3(self.up(enc))
            gate = (1 - torch.max(torch.softmax(stage1, 1), dim=1)[0]).unsqueeze(1).expand_as(stage1)
            return self.classifier(self.bn_2(self.up(self.level2_c(out2) * gate + stage1)))

    return SINet(), img(224, 224)


# --- SalsaNext (TiagoCortinhal/SalsaNext train/tasks/semantic/modules/SalsaNext.py, 20 classes) --------------------


def salsanext() -> tuple[Any, tuple[Any, ...]]:
    """Range-image segmentation: 5x64x2048 LiDAR projection in, per-pixel softmax over 20 classes out."""
    import torch
    from torch import nn

    def cab(cin: int, cout: int, k: int = 3, d: int = 1, pad: int = 1) -> Any:
        """conv -> LeakyReLU -> BN, SalsaNext's order."""
        return nn.Sequential(nn.Conv2d(cin, cout, k, 1, pad, d), nn.LeakyReLU(), nn.BatchNorm2d(cout))

    class Context(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv1 = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.LeakyReLU())
            self.body = nn.Sequential(cab(cout, cout), cab(cout, cout, 3, 2, 2))

        def forward(self, x: Any) -> Any:
            s = self.conv1(x)
            return s + self.body(s)

    class Multi(nn.Module):
        """3x3, dilated 3x3, dilated 2x2 convs in series, their outputs concatenated and fused by a 1x1."""

        def __init__(self, cin: int, c: int) -> None:
            super().__init__()
            self.c1, self.c2, self.c3 = cab(cin, c), cab(c, c, 3, 2, 2), cab(c, c, 2, 2, 1)
            self.fuse = nn.Sequential(nn.Conv2d(3 * c, c, 1), nn.LeakyReLU(), nn.BatchNorm2d(c))

        def forward(self, x: Any) -> Any:
            a = self.c1(x)
            b = self.c2(a)
            return self.fuse(torch.cat([a, b, self.c3(b)], 1))

    class Res(nn.Module):
        def __init__(self, cin: int, cout: int, pool: bool) -> None:
            super().__init__()
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.LeakyReLU())
            self.multi = Multi(cin, cout)
            self.pool = nn.AvgPool2d(3, 2, 1) if pool else None

        def forward(self, x: Any) -> tuple[Any, Any]:
            y = self.short(x) + self.multi(x)
            return (self.pool(y) if self.pool is not None else y), y

    class Up(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.shuffle, self.multi = nn.PixelShuffle(2), Multi(cin // 4 + 2 * cout, cout)

        def forward(self, x: Any, skip: Any) -> Any:
            return self.multi(torch.cat([self.shuffle(x), skip], 1))

    class SalsaNext(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.context = nn.Sequential(Context(5, 32), Context(32, 32), Context(32, 32))
            self.res = nn.ModuleList(
                [Res(32, 64, True), Res(64, 128, True), Res(128, 256, True), Res(256, 256, True), Res(256, 256, False)]
            )
            self.up = nn.ModuleList([Up(256, 128), Up(128, 128), Up(128, 64), Up(64, 32)])
            self.logits = nn.Conv2d(32, 20, 1)

        def forward(self, lidar: Any) -> Any:
            x, skips = self.context(lidar), []
            for r in self.res:
                x, skip = r(x)
                skips.append(skip)
            for up, skip in zip(self.up, reversed(skips[:4]), strict=True):
                x = up(x, skip)
            return torch.softmax(self.logits(x), 1)

    return SalsaNext(), img(64, 2048, 5)


# --- BGNet (thograce/BGNet net/bgnet.py: Res2Net-50 v1b 26w x 4s, edge-aware module, EFM / CAM fusion) ------------


def _res2net50_v1b() -> Any:
    """Res2Net-50 v1b (deep stem, average-pool downsample shortcuts), returning the four stage outputs."""
    import math

    import torch
    from torch import nn

    def cbr(cin: int, cout: int, k: int, s: int = 1, relu: bool = True) -> list[Any]:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
        return [*layers, nn.ReLU()] if relu else layers

    class Bottle2neck(nn.Module):
        def __init__(self, cin: int, planes: int, s: int, stage: bool) -> None:
            super().__init__()
            w = math.floor(planes * 26 / 64)
            self.w, self.stage = w, stage
            self.conv1 = nn.Sequential(*cbr(cin, 4 * w, 1))
            self.convs = nn.ModuleList(nn.Sequential(*cbr(w, w, 3, s)) for _ in range(3))
            self.pool = nn.AvgPool2d(3, s, 1) if stage else None
            self.conv3 = nn.Sequential(*cbr(4 * w, 4 * planes, 1, relu=False))
            self.down = (
                nn.Sequential(
                    nn.AvgPool2d(s, s, ceil_mode=True, count_include_pad=False), *cbr(cin, 4 * planes, 1, relu=False)
                )
                if stage
                else nn.Identity()
            )

        def forward(self, x: Any) -> Any:
            spx = torch.split(self.conv1(x), self.w, 1)
            outs: list[Any] = []
            for i, conv in enumerate(self.convs):
                outs.append(conv(spx[i] if i == 0 or self.stage else outs[-1] + spx[i]))
            outs.append(self.pool(spx[3]) if self.pool is not None else spx[3])
            return torch.relu(self.conv3(torch.cat(outs, 1)) + self.down(x))

    class Res2Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(*cbr(3, 32, 3, 2), *cbr(32, 32, 3), *cbr(32, 64, 3), nn.MaxPool2d(3, 2, 1))
            stages, cin = [], 64
            for planes, n, s in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
                stages.append(
                    nn.Sequential(
                        *(
                            Bottle2neck(cin if i == 0 else 4 * planes, planes, s if i == 0 else 1, i == 0)
                            for i in range(n)
                        )
                    )
                )
                cin = 4 * planes
            self.stages = nn.ModuleList(stages)

        def forward(self, x: Any) -> list[Any]:
            x, feats = self.stem(x), []
            for st in self.stages:
                x = st(x)
                feats.append(x)
            return feats

    return Res2Net()


def bgnet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's wrapper normalizes the image and returns the finest prediction (o1); the coarser heads and the
    edge map output are not in its graph."""
    import math

    import torch
    from torch import nn

    f = nn.functional

    def cbr(cin: int, cout: int, k: int = 3, d: int = 1, bias: bool = False) -> Any:
        pad = d if k == 3 else 0
        return nn.Sequential(nn.Conv2d(cin, cout, k, 1, pad, d, bias=bias), nn.BatchNorm2d(cout), nn.ReLU())

    def size(t: Any) -> list[int]:
        return [int(t.shape[2]), int(t.shape[3])]

    class EFM(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            t = int(abs((math.log(c, 2) + 1) / 2))
            k = t if t % 2 else t + 1
            self.conv2d, self.conv1d = cbr(c, c), nn.Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False)

        def forward(self, c: Any, att: Any) -> Any:
            if size(c) != size(att):
                att = f.interpolate(att, size(c), mode="bilinear", align_corners=False)
            x = self.conv2d(c * att + c)
            wei = self.conv1d(x.mean((2, 3), keepdim=True).squeeze(-1).transpose(-1, -2))
            return x * torch.sigmoid(wei.transpose(-1, -2).unsqueeze(-1))

    class CAM(nn.Module):
        def __init__(self, hc: int, c: int) -> None:
            super().__init__()
            q = c // 4
            self.conv1_1 = cbr(hc + c, c, 1, bias=True)
            self.branches = nn.ModuleList(cbr(q, q, 3, d) for d in (1, 2, 3, 4))
            self.conv1_2, self.conv3_3 = cbr(c, c, 1, bias=True), cbr(c, c)

        def forward(self, lf: Any, hf: Any) -> Any:
            if size(lf) != size(hf):
                hf = f.interpolate(hf, size=size(lf), mode="bilinear", align_corners=False)
            x = self.conv1_1(torch.cat((lf, hf), 1))
            xc = torch.chunk(x, 4, dim=1)
            x0 = self.branches[0](xc[0] + xc[1])
            x1 = self.branches[1](xc[1] + x0 + xc[2])
            x2 = self.branches[2](xc[2] + x1 + xc[3])
            x3 = self.branches[3](xc[3] + x2)
            return self.conv3_3(x + self.conv1_2(torch.cat((x0, x1, x2, x3), 1)))

    class BGNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.resnet = _res2net50_v1b()
            self.eam_reduce1, self.eam_reduce4 = cbr(256, 64, 1, bias=True), cbr(2048, 256, 1, bias=True)
            self.eam_block = nn.Sequential(cbr(320, 256), cbr(256, 256), nn.Conv2d(256, 1, 1))
            self.efm = nn.ModuleList(EFM(c) for c in (256, 512, 1024, 2048))
            self.reduce = nn.ModuleList(
                cbr(a, b, 1, bias=True) for a, b in ((256, 64), (512, 128), (1024, 256), (2048, 256))
            )
            self.cam1, self.cam2, self.cam3 = CAM(128, 64), CAM(256, 128), CAM(256, 256)
            self.predictor1 = nn.Conv2d(64, 1, 1)

        def forward(self, image: Any) -> Any:
            feats = self.resnet(_imagenet_norm(image))
            x4 = f.interpolate(self.eam_reduce4(feats[3]), size(feats[0]), mode="bilinear", align_corners=False)
            edge_att = torch.sigmoid(self.eam_block(torch.cat((x4, self.eam_reduce1(feats[0])), 1)))
            xr = [r(e(x, edge_att)) for r, e, x in zip(self.reduce, self.efm, feats, strict=True)]
            x1234 = self.cam1(xr[0], self.cam2(xr[1], self.cam3(xr[2], xr[3])))
            return f.interpolate(self.predictor1(x1234), scale_factor=4.0, mode="bilinear", align_corners=False)

    return BGNet(), img(416, 416)


# --- GPUNet (NVIDIA DeepLearningExamples GPUNet, configs/batch1/GV100/0.65ms.json = GPUNet-0) ----------------------

# (type, in, out, stride, expansion, act, SE) after the 3 -> 32 SiLU stem; conv = ConvBnAct 3x3, fused = EdgeResidual,
# irb = InvertedResidual
_GPUNET0 = [("conv", 32, 32, 1, 0, "relu", False), ("conv", 32, 32, 1, 0, "relu", False),
            ("fused", 32, 32, 2, 5, "relu", False), ("fused", 32, 32, 1, 5, "relu", False),
            ("fused", 32, 64, 2, 5, "relu", False), ("fused", 64, 64, 1, 5, "relu", False),
            ("fused", 64, 64, 1, 5, "relu", False), ("irb", 64, 256, 2, 5, "swish", False),
            ("irb", 256, 256, 1, 5, "swish", False), ("irb", 256, 256, 1, 5, "swish", False),
            ("irb", 256, 704, 2, 5, "relu", True), ("irb", 704, 704, 1, 5, "relu", True)]  # fmt: skip


def gpunet() -> tuple[Any, tuple[Any, ...]]:
    """The fused blocks use the builder's "same" padding, which for stride 2 becomes no padding at all (the repo's
    create_conv2d drops the dynamic pad); AI Hub's ImageNet wrapper normalizes the image; 224x224 as profiled."""
    from torch import nn

    def act(name: str) -> Any:
        return nn.SiLU() if name == "swish" else nn.ReLU()

    def cba(cin: int, cout: int, k: int, s: int, a: str | None, pad: int | None = None, groups: int = 1) -> list[Any]:
        conv = nn.Conv2d(cin, cout, k, s, k // 2 if pad is None else pad, groups=groups, bias=False)
        return [conv, nn.BatchNorm2d(cout, eps=1e-3), *([act(a)] if a else [])]

    class SE(nn.Module):
        def __init__(self, c: int, rd: int) -> None:
            super().__init__()
            self.reduce, self.expand = nn.Conv2d(c, rd, 1), nn.Conv2d(rd, c, 1)

        def forward(self, x: Any) -> Any:
            return x * self.expand(self.reduce(x.mean((2, 3), keepdim=True)).relu()).sigmoid()

    class Block(nn.Module):
        def __init__(self, kind: str, cin: int, cout: int, s: int, e: int, a: str, se: bool) -> None:
            super().__init__()
            layers: list[Any]
            if kind == "conv":
                layers = cba(cin, cout, 3, s, a)
            else:
                mid = max(8, int(cin * e + 4) // 8 * 8)
                squeeze = [SE(mid, round(mid * 0.25 / e))] if se else []
                if kind == "fused":
                    layers = [*cba(cin, mid, 3, s, a, 1 if s == 1 else 0), *squeeze, *cba(mid, cout, 1, 1, None)]
                else:
                    layers = [*cba(cin, mid, 1, 1, a), *cba(mid, mid, 3, s, a, groups=mid), *squeeze]
                    layers += cba(mid, cout, 1, 1, None)
            self.body = nn.Sequential(*layers)
            self.res = kind != "conv" and s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            return x + self.body(x) if self.res else self.body(x)

    class GPUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(
                *cba(3, 32, 3, 2, "swish"), *(Block(*cfg) for cfg in _GPUNET0), *cba(704, 1280, 1, 1, "relu")
            )
            self.fc = nn.Linear(1280, 1000)

        def forward(self, image: Any) -> Any:
            return self.fc(self.net(_imagenet_norm(image)).mean((2, 3)))

    return GPUNet(), img(224, 224)


# --- CenterNet (xingyizhou/CenterNet pose_dla_dcn.py: DLA-34, DLAUp / IDAUp with DCNv2, AI Hub's DCN in plain ops) --


def _dcn() -> Any:
    """Modulated deformable 3x3 conv as AI Hub's custom_dcn_forward computes it: offsets and mask from a conv,
    bilinear sampling by gathering the four neighbours of every kernel tap, then a stride-3 conv over the
    tap-expanded map."""
    import torch
    from torch import nn

    class DCN(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv_offset_mask = nn.Conv2d(cin, 27, 3, 1, 1)
            self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3) * 0.01)
            self.bias = nn.Parameter(torch.zeros(cout))

        def forward(self, x: Any) -> Any:
            o1, o2, mask = torch.chunk(self.conv_offset_mask(x), 3, dim=1)
            offset, mask = torch.cat((o1, o2), 1), torch.sigmoid(mask)
            _, c, h, w = (int(v) for v in x.shape)
            gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
            ky, kx = torch.meshgrid(torch.arange(3), torch.arange(3), indexing="ij")
            p0 = torch.stack([gy, gx]).view(1, 2, h, w)
            pk = torch.stack([ky.reshape(-1), kx.reshape(-1)], 1).view(9, 2, 1, 1)
            p = ((p0 + pk) + offset.view(9, 2, h, w)).permute(0, 2, 3, 1)
            xp = nn.functional.pad(x, (1, 1, 1, 1))
            hp, wp = h + 2, w + 2
            fy, fx = torch.split(p, 1, dim=-1)
            iy, ix = torch.floor(fy).long(), torch.floor(fx).long()
            x0, x1 = ix.squeeze(-1).clamp(0, wp - 1), (ix.squeeze(-1) + 1).clamp(0, wp - 1)
            y0, y1 = iy.squeeze(-1).clamp(0, hp - 1), (iy.squeeze(-1) + 1).clamp(0, hp - 1)
            dy, dx = fy - iy, fx - ix
            img = xp.permute(0, 2, 3, 1).squeeze(0)
            sampled = ((1 - dx) * (1 - dy) * img[y0, x0] + dx * (1 - dy) * img[y0, x1]) + (
                (1 - dx) * dy * img[y1, x0] + dx * dy * img[y1, x1]
            )
            sampled = sampled * mask.permute(1, 2, 3, 0)
            sampled = (
                sampled.permute(1, 0, 2, 3).reshape(h * 3, 3, w, c).permute(0, 2, 1, 3).reshape(1, h * 3, w * 3, c)
            )
            return nn.functional.conv2d(sampled.permute(0, 3, 1, 2), self.weight, self.bias, stride=(3, 3))

    return DCN


def _centernet(heads: dict[str, int], bgr_mean_std: tuple[tuple[float, ...], tuple[float, ...]]) -> Any:
    import torch
    from torch import nn

    dcn = _dcn()

    def cbr(cin: int, cout: int, k: int = 3, s: int = 1, relu: bool = True) -> list[Any]:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
        return [*layers, nn.ReLU()] if relu else layers

    class Basic(nn.Module):
        def __init__(self, cin: int, cout: int, s: int) -> None:
            super().__init__()
            self.body = nn.Sequential(*cbr(cin, cout, 3, s), *cbr(cout, cout, 3, relu=False))

        def forward(self, x: Any, residual: Any = None) -> Any:
            return torch.relu(self.body(x) + (x if residual is None else residual))

    class Root(nn.Module):  # no residual
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv = nn.Sequential(*cbr(cin, cout, 1))

        def forward(self, xs: list[Any]) -> Any:
            return self.conv(torch.cat(xs, 1))

    Tree = _dla_tree(Basic, Root)

    def deform(cin: int, cout: int) -> Any:
        return nn.Sequential(dcn(cin, cout), nn.BatchNorm2d(cout), nn.ReLU())

    class IDAUp(nn.Module):
        def __init__(self, o: int, channels: list[int], up_f: list[int]) -> None:
            super().__init__()
            self.proj = nn.ModuleList(deform(c, o) for c in channels[1:])
            self.node = nn.ModuleList(deform(o, o) for _ in channels[1:])
            self.up = nn.ModuleList(nn.ConvTranspose2d(o, o, 2 * f, f, f // 2, groups=o, bias=False) for f in up_f[1:])

        def forward(self, layers: list[Any], startp: int, endp: int) -> None:
            for i in range(startp + 1, endp):
                j = i - startp - 1
                layers[i] = self.node[j](self.up[j](self.proj[j](layers[i])) + layers[i - 1])

    class CenterNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(3, 16, 7, 1, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(), *cbr(16, 16), *cbr(16, 32, 3, 2)
            )
            self.level2 = Tree(1, 32, 64, 2)
            self.level3, self.level4 = Tree(2, 64, 128, 2, True), Tree(2, 128, 256, 2, True)
            self.level5 = Tree(1, 256, 512, 2, True)
            # DLAUp(2, [64, 128, 256, 512], [1, 2, 4, 8])
            self.ida = nn.ModuleList(
                [IDAUp(256, [256, 512], [1, 2]), IDAUp(128, [128, 256, 256], [1, 2, 2]),
                 IDAUp(64, [64, 128, 128, 128], [1, 2, 2, 2])]
            )  # fmt: skip
            self.ida_up = IDAUp(64, [64, 128, 256], [1, 2, 4])
            self.heads = nn.ModuleList(
                nn.Sequential(nn.Conv2d(64, 256, 3, 1, 1), nn.ReLU(), nn.Conv2d(256, n, 1)) for n in heads.values()
            )
            self.mean = torch.tensor(bgr_mean_std[0]).reshape(1, 3, 1, 1)
            self.std = torch.tensor(bgr_mean_std[1]).reshape(1, 3, 1, 1)

        def forward(self, image: Any) -> list[Any]:
            x = self.stem((image[:, [2, 1, 0]] - self.mean) / self.std)
            layers = [x, x]  # levels 0-1 (only their count matters to DLAUp's indexing)
            for lvl in (self.level2, self.level3, self.level4, self.level5):
                x = lvl(x)
                layers.append(x)
            out = [layers[-1]]
            for i, ida in enumerate(self.ida):
                ida(layers, len(layers) - i - 2, len(layers))
                out.insert(0, layers[-1])
            y = out[:3]
            self.ida_up(y, 0, 3)
            return [h(y[-1]) for h in self.heads]

    return CenterNet()


_CENTERNET_NORM = ((0.408, 0.447, 0.470), (0.289, 0.274, 0.278))
_TORCHVISION_NORM = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def _centernet_wrapped(
    heads: dict[str, int], norm: tuple[tuple[float, ...], tuple[float, ...]], hw: tuple[int, int]
) -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's CenterNet wrappers: sigmoid on the heat maps (hm, hm_hp), exp(-depth) on dep."""
    import torch

    net = _centernet(heads, norm)
    names = list(heads)

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = net

        def forward(self, image: Any) -> tuple[Any, ...]:
            outs = self.model(image)
            post = {"hm": torch.sigmoid, "hm_hp": torch.sigmoid, "dep": lambda t: torch.exp(-t)}
            return tuple(post[n](o) if n in post else o for n, o in zip(names, outs, strict=True))

    return Wrapper(), img(*hw)


def centernet_2d() -> tuple[Any, tuple[Any, ...]]:
    return _centernet_wrapped({"hm": 80, "wh": 2, "reg": 2}, _CENTERNET_NORM, (512, 512))


def centernet_3d() -> tuple[Any, tuple[Any, ...]]:
    heads = {"hm": 3, "dep": 1, "rot": 8, "dim": 3, "wh": 2, "reg": 2}
    return _centernet_wrapped(heads, _TORCHVISION_NORM, (384, 1280))


def centernet_pose() -> tuple[Any, tuple[Any, ...]]:
    heads = {"hm": 1, "wh": 2, "hps": 34, "reg": 2, "hm_hp": 17, "hp_offset": 2}
    return _centernet_wrapped(heads, _CENTERNET_NORM, (256, 256))


# --- AOT-GAN (researchmm/AOT-GAN-for-Inpainting src/model/aotgan.py InpaintGenerator, rates 1-2-4-8, 8 blocks) ------


def aotgan() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's RepaintModel wrapper: [0, 1] RGB -> [-1, 1] BGR, masked, generator, back to [0, 1] RGB; its layer-norm
    patch computes the std as sqrt(sum((x - mean)^2 / (n - 1)))."""
    import torch
    from torch import nn

    def pad_conv(cin: int, cout: int, d: int) -> list[Any]:
        return [nn.ReflectionPad2d(d), nn.Conv2d(cin, cout, 3, 1, 0, d)]

    class AOTBlock(nn.Module):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.blocks = nn.ModuleList(nn.Sequential(*pad_conv(dim, dim // 4, r), nn.ReLU()) for r in (1, 2, 4, 8))
            self.fuse, self.gate = nn.Sequential(*pad_conv(dim, dim, 1)), nn.Sequential(*pad_conv(dim, dim, 1))

        def forward(self, x: Any) -> Any:
            out = self.fuse(torch.cat([b(x) for b in self.blocks], 1))
            g = self.gate(x)
            mean = g.mean((2, 3), keepdim=True)
            n = int(g.shape[2]) * int(g.shape[3])
            std = torch.sqrt(torch.sum((g - mean) ** 2 / (n - 1), (2, 3), keepdim=True)) + 1e-9
            mask = torch.sigmoid(5 * (2 * (g - mean) / std - 1))
            return x * (1 - mask) + out * mask

    class UpConv(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, 1, 1)

        def forward(self, x: Any) -> Any:
            return self.conv(nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True))

    class AOTGAN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(
                nn.ReflectionPad2d(3), nn.Conv2d(4, 64, 7), nn.ReLU(), nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(),
                nn.Conv2d(128, 256, 4, 2, 1), nn.ReLU(),
            )  # fmt: skip
            self.middle = nn.Sequential(*(AOTBlock(256) for _ in range(8)))
            self.decoder = nn.Sequential(
                UpConv(256, 128), nn.ReLU(), UpConv(128, 64), nn.ReLU(), nn.Conv2d(64, 3, 3, 1, 1)
            )

        def forward(self, image: Any, mask: Any) -> Any:
            bgr = torch.flip(image * 2 - 1, dims=[1])
            x = torch.cat([bgr * (1 - mask) + mask, mask], 1)
            pred = torch.tanh(self.decoder(self.middle(self.encoder(x))))
            return (torch.clamp(torch.flip(pred, dims=[1]), -1, 1) + 1) / 2

    return AOTGAN(), (*img(512, 512), *img(512, 512, 1))


# --- Lite-HRNet-18 (mmpose td-hm_litehrnet-18_8xb64-210e_coco-256x192: LiteHRNet backbone + 1x1 heatmap head) -------


def _shuffle(x: Any) -> Any:
    n, c, h, w = (int(v) for v in x.shape)
    return x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


def litehrnet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's wrapper: RGB -> BGR, mmpose mean / std, heatmaps, then argmax keypoints (index // 48, index % 48)."""
    import torch
    from torch import nn

    f = nn.functional

    def cm(cin: int, cout: int, k: int = 1, s: int = 1, groups: int = 1, act: bool = True) -> list[Any]:
        """mmcv ConvModule with BN: conv (no bias), BN, optional ReLU."""
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return [*layers, nn.ReLU()] if act else layers

    def dw_pw(cin: int, cout: int, s: int = 1, relu: bool = True) -> Any:
        """Depthwise 3x3 + BN, pointwise + BN (+ ReLU): transitions, fuse downsamples, head projections."""
        return nn.Sequential(*cm(cin, cin, 3, s, cin, act=False), *cm(cin, cout, 1, act=relu))

    class Stem(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Sequential(*cm(3, 32, 3, 2))
            self.branch1 = nn.Sequential(*cm(16, 16, 3, 2, 16, act=False), *cm(16, 16))
            self.branch2 = nn.Sequential(*cm(16, 32), *cm(32, 32, 3, 2, 32, act=False), *cm(32, 16))

        def forward(self, x: Any) -> Any:
            x1, x2 = self.conv1(x).chunk(2, dim=1)
            return _shuffle(torch.cat((self.branch1(x1), self.branch2(x2)), 1))

    class CCW(nn.Module):
        """Conditional channel weighting: cross-resolution weighting, depthwise 3x3, spatial weighting."""

        def __init__(self, chs: list[int]) -> None:
            super().__init__()
            half = [c // 2 for c in chs]
            self.halves, total = half, sum(half)
            self.crw = nn.Sequential(*cm(total, total // 8), nn.Conv2d(total // 8, total, 1, bias=False))
            self.crw_bn = nn.BatchNorm2d(total)
            self.dws = nn.ModuleList(nn.Sequential(*cm(c, c, 3, 1, c, act=False)) for c in half)
            self.sws = nn.ModuleList(
                nn.Sequential(nn.Conv2d(c, c // 4, 1), nn.ReLU(), nn.Conv2d(c // 4, c, 1), nn.Sigmoid()) for c in half
            )

        def forward(self, xs: list[Any]) -> list[Any]:
            parts = [x.chunk(2, dim=1) for x in xs]
            x2 = [p[1] for p in parts]
            mini = (int(x2[-1].shape[2]), int(x2[-1].shape[3]))
            pooled = torch.cat([f.adaptive_avg_pool2d(t, mini) for t in x2[:-1]] + [x2[-1]], 1)
            weights = torch.split(torch.sigmoid(self.crw_bn(self.crw(pooled))), self.halves, dim=1)
            out = []
            for p, t, w, dw, sw in zip(parts, x2, weights, self.dws, self.sws, strict=True):
                t = dw(t * f.interpolate(w, size=[int(t.shape[2]), int(t.shape[3])], mode="nearest"))
                t = t * sw(t.mean((2, 3), keepdim=True))
                out.append(_shuffle(torch.cat([p[0], t], 1)))
            return out

    class Module(nn.Module):
        def __init__(self, chs: list[int]) -> None:
            super().__init__()
            self.blocks = nn.Sequential(CCW(chs), CCW(chs))
            n = len(chs)
            fuse: list[Any] = []
            for i in range(n):
                row: list[Any] = []
                for j in range(n):
                    if j > i:
                        row.append(
                            nn.Sequential(*cm(chs[j], chs[i], act=False), nn.Upsample(scale_factor=2.0 ** (j - i)))
                        )
                    elif j == i:
                        row.append(nn.Identity())
                    else:
                        steps = [dw_pw(chs[j], chs[j], 2) for _ in range(i - j - 1)]
                        row.append(nn.Sequential(*steps, dw_pw(chs[j], chs[i], 2, relu=False)))
                fuse.append(nn.ModuleList(row))
            self.fuse = nn.ModuleList(fuse)

        def forward(self, xs: list[Any]) -> list[Any]:
            out = self.blocks(xs)
            res = []
            row: Any
            for i, row in enumerate(self.fuse):
                # mmpose starts y from branch 0 (fused for i > 0) and then adds every branch again, branch 0 included
                y = out[0] if i == 0 else row[0](out[0])
                for j, layer in enumerate(row):
                    y = y + (out[j] if i == j else layer(out[j]))
                res.append(torch.relu(y))
            return res

    class LiteHRNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = Stem()
            self.trans0 = nn.ModuleList([dw_pw(32, 40), dw_pw(32, 80, 2)])
            self.stage0 = nn.Sequential(*(Module([40, 80]) for _ in range(2)))
            self.trans1 = dw_pw(80, 160, 2)
            self.stage1 = nn.Sequential(*(Module([40, 80, 160]) for _ in range(4)))
            self.trans2 = dw_pw(160, 320, 2)
            self.stage2 = nn.Sequential(*(Module([40, 80, 160, 320]) for _ in range(2)))
            self.projects = nn.ModuleList(dw_pw(a, b) for a, b in ((320, 160), (160, 80), (80, 40), (40, 40)))
            self.final = nn.Conv2d(40, 17, 1)
            self.mean = torch.tensor([123.675, 116.28, 103.53]).reshape(1, 3, 1, 1)
            self.std = torch.tensor([58.395, 57.12, 57.375]).reshape(1, 3, 1, 1)

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            x = self.stem((image[:, [2, 1, 0], ...] - self.mean) / self.std)
            ys = self.stage0([t(x) for t in self.trans0])
            ys = self.stage1([*ys, self.trans1(ys[-1])])
            ys = self.stage2([*ys, self.trans2(ys[-1])])
            last = None
            for proj, t in zip(self.projects, ys[::-1], strict=True):
                if last is not None:
                    t = t + f.interpolate(
                        last, size=[int(t.shape[2]), int(t.shape[3])], mode="bilinear", align_corners=True
                    )
                last = proj(t)
            heatmaps = self.final(last)
            scores, idx = torch.max(heatmaps.view(1, 17, -1), dim=2)
            keypoints = torch.stack(((idx % 48).float(), (idx // 48).float()), dim=-1)
            return keypoints, scores, heatmaps

    return LiteHRNet(), img(256, 192)


# --- RTMDet-M (mmdet rtmdet_m_8xb32-300e_coco: CSPNeXt-m, CSPNeXtPAFPN, RTMDetSepBNHead with shared convs) ----------


def rtmdet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's wrapper decodes in the graph: sigmoid scores, best class and score, distance-to-box around each
    cell's corner, (boxes, scores, class index as int8). No input normalization in its forward."""
    import torch
    from torch import nn

    cm, csp_layer, _ = _cspnext_parts()
    ch, out_c, n = [192, 384, 768], 192, 2

    class RTMDet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = _cspnext(0.67, 0.75, outs=3)
            self.reduce = nn.ModuleList([cm(ch[2], ch[1]), cm(ch[1], ch[0])])
            self.top_down = nn.ModuleList(
                [csp_layer(2 * ch[1], ch[1], n, False, False), csp_layer(2 * ch[0], ch[0], n, False, False)]
            )
            self.down = nn.ModuleList([cm(ch[0], ch[0], 3, 2), cm(ch[1], ch[1], 3, 2)])
            self.bottom_up = nn.ModuleList(
                [csp_layer(2 * ch[0], ch[1], n, False, False), csp_layer(2 * ch[1], ch[2], n, False, False)]
            )
            self.out_convs = nn.ModuleList(cm(c, out_c, 3) for c in ch)
            # share_conv: the 3x3 convs are shared by the three levels, each level keeps its own BN
            cls_convs = [nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False) for _ in range(2)]
            reg_convs = [nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False) for _ in range(2)]

            def tower(convs: list[Any]) -> Any:
                return nn.Sequential(*(m for c in convs for m in (c, nn.BatchNorm2d(out_c), nn.SiLU())))

            self.cls_towers = nn.ModuleList(tower(cls_convs) for _ in range(3))
            self.reg_towers = nn.ModuleList(tower(reg_convs) for _ in range(3))
            self.rtm_cls = nn.ModuleList(nn.Conv2d(out_c, 80, 1) for _ in range(3))
            self.rtm_reg = nn.ModuleList(nn.Conv2d(out_c, 4, 1) for _ in range(3))

        def neck(self, feats: list[Any]) -> list[Any]:
            inner = [feats[2]]
            for k, idx in enumerate((2, 1)):
                high = self.reduce[k](inner[0])
                inner[0] = high
                up = nn.functional.interpolate(high, scale_factor=2.0, mode="nearest")
                inner.insert(0, self.top_down[k](torch.cat([up, feats[idx - 1]], 1)))
            outs = [inner[0]]
            for k in range(2):
                outs.append(self.bottom_up[k](torch.cat([self.down[k](outs[-1]), inner[k + 1]], 1)))
            return [conv(o) for conv, o in zip(self.out_convs, outs, strict=True)]

        def forward(self, image: Any) -> tuple[Any, Any, Any]:
            boxes = []
            for i, x in enumerate(self.neck(self.backbone(image))):
                stride, g = 8 * 2**i, 80 // 2**i
                cls = torch.sigmoid(self.rtm_cls[i](self.cls_towers[i](x))).permute(0, 2, 3, 1)
                box = (self.rtm_reg[i](self.reg_towers[i](x)) * stride).permute(0, 2, 3, 1)
                conf = torch.max(cls, dim=3, keepdim=True)[0]
                idx = torch.argmax(cls, dim=3, keepdim=True).to(torch.float32)
                step = torch.linspace(0, g - 1, steps=g) * stride
                bx = torch.broadcast_to(step, [g, g])
                block = torch.stack([bx.unsqueeze(0), bx.transpose(1, 0).unsqueeze(0)], -1)
                xyxy = torch.cat([block - box[..., :2], block + box[..., 2:4]], -1)
                boxes.append(torch.cat([xyxy, idx, conf], -1).reshape(1, -1, 6))
            result = torch.cat(boxes, 1)
            return result[:, :, :4], result[:, :, 5], result[:, :, 4].to(torch.int8)

    return RTMDet(), img(640, 640)


# --- LaMa-Dilated (advimman/lama pix2pixhd_multidilated_catin_4dil_9b generator) -------------------------------------


def lama_dilated() -> tuple[Any, tuple[Any, ...]]:
    """MultiDilatedGlobalGenerator: 7x7 stem, 3 stride-2 downsamplings to 512 channels, 9 residual blocks whose 3x3
    convs split the input into 4 chunks convolved at dilations 1/2/4/8 (reflect padding) and summed, 3 transposed-conv
    upsamplings, sigmoid. AI Hub's wrapper masks the image, appends the mask and blends the prediction back."""
    import torch
    from torch import nn

    class MultiDilated(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.convs = nn.ModuleList(
                nn.Conv2d(c // 4, c, 3, padding=d, dilation=d, padding_mode="reflect") for d in (1, 2, 4, 8)
            )

        def forward(self, x: Any) -> Any:
            parts = x.chunk(4, dim=1)
            out = self.convs[0](parts[0])
            for conv, part in zip(self.convs[1:], parts[1:], strict=True):
                out = out + conv(part)
            return out

    class ResBlock(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.body = nn.Sequential(MultiDilated(c), nn.BatchNorm2d(c), nn.ReLU(), MultiDilated(c), nn.BatchNorm2d(c))

        def forward(self, x: Any) -> Any:
            return x + self.body(x)

    def cbr(cin: int, cout: int) -> list[Any]:
        return [nn.Conv2d(cin, cout, 3, 2, 1), nn.BatchNorm2d(cout), nn.ReLU()]

    def up(cin: int, cout: int) -> list[Any]:
        return [nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    class Lama(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.generator = nn.Sequential(
                nn.ReflectionPad2d(3), nn.Conv2d(4, 64, 7), nn.BatchNorm2d(64), nn.ReLU(),
                *cbr(64, 128), *cbr(128, 256), *cbr(256, 512),
                *(ResBlock(512) for _ in range(9)),
                *up(512, 256), *up(256, 128), *up(128, 64),
                nn.ReflectionPad2d(3), nn.Conv2d(64, 3, 7), nn.Sigmoid(),
            )  # fmt: skip

        def forward(self, image: Any, mask: Any) -> Any:
            pred = self.generator(torch.cat([image * (1 - mask), mask], 1))
            return mask * pred + (1 - mask) * image

    return Lama(), (*img(512, 512), *img(512, 512, 1))


# --- DDColor (piddnad/DDColor ddcolor_model.py, ddcolor_paper_tiny: ConvNeXt-T, pixel decoder, 100 color queries) ---


def ddcolor() -> tuple[Any, tuple[Any, ...]]:
    """Encoder features tapped after the extra channels-first LayerNorms norm0-3; three UNet-wide blocks (pixel
    shuffle in AI Hub's 5-D reshape form, replication-pad + 2x2 average blur), a x4 shuffle to the image features;
    the multi-scale colour decoder (9 post-norm layers cycling over 3 scales, sine positions); the einsum as AI Hub's
    matmul; a 1x1 refine conv to the two AB channels. Spectral norm folds into plain conv weights at inference."""
    import math

    import torch
    from torch import nn

    f = nn.functional

    LN2d = layer_norm_2d()

    class Block(nn.Module):
        def __init__(self, d: int) -> None:
            super().__init__()
            self.dwconv, self.norm = nn.Conv2d(d, d, 7, padding=3, groups=d), nn.LayerNorm(d, eps=1e-6)
            self.pw1, self.pw2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
            self.gamma = nn.Parameter(1e-6 * torch.ones(d))

        def forward(self, x: Any) -> Any:
            y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
            return x + (self.gamma * self.pw2(f.gelu(self.pw1(y)))).permute(0, 3, 1, 2)

    def shuffle(x: Any, s: int) -> Any:
        n, _, h, w = (int(v) for v in x.shape)
        return x.reshape(-1, s, s, h, w).permute(0, 3, 1, 4, 2).reshape(n, -1, h * s, w * s)

    class Shuf(nn.Module):
        """CustomPixelShuffle_ICNR with blur; ``bn``: conv without bias + BN (extra_bn), else conv with bias."""

        def __init__(self, cin: int, cout: int, scale: int, bn: bool) -> None:
            super().__init__()
            conv = nn.Conv2d(cin, cout * scale * scale, 1, bias=not bn)
            self.conv = nn.Sequential(conv, nn.BatchNorm2d(cout * scale * scale)) if bn else conv
            self.scale = scale

        def forward(self, x: Any) -> Any:
            x = shuffle(torch.relu(self.conv(x)), self.scale)
            return f.avg_pool2d(f.pad(x, (1, 0, 1, 0), mode="replicate"), 2, 1)

    class UnetBlockWide(nn.Module):
        def __init__(self, up_in: int, x_in: int, out: int) -> None:
            super().__init__()
            self.shuf, self.bn = Shuf(up_in, out, 2, True), nn.BatchNorm2d(x_in)
            self.conv = nn.Sequential(nn.Conv2d(out + x_in, out, 3, 1, 1, bias=False), nn.ReLU(), nn.BatchNorm2d(out))

        def forward(self, up_in: Any, skip: Any) -> Any:
            return self.conv(torch.relu(torch.cat([self.shuf(up_in), self.bn(skip)], 1)))

    def sine_pos(x: Any) -> Any:
        n, _, h, w = (int(v) for v in x.shape)
        not_mask = ~torch.zeros((n, h, w), dtype=torch.bool)
        y = not_mask.cumsum(1, dtype=torch.float32)
        xx = not_mask.cumsum(2, dtype=torch.float32)
        y = y / (y[:, -1:, :] + 1e-6) * 2 * math.pi
        xx = xx / (xx[:, :, -1:] + 1e-6) * 2 * math.pi
        dim_t = torch.arange(128, dtype=torch.float32)
        dim_t = 10000 ** (2 * (dim_t // 2) / 128)
        px, py = xx[:, :, :, None] / dim_t, y[:, :, :, None] / dim_t
        px = torch.stack((px[:, :, :, 0::2].sin(), px[:, :, :, 1::2].cos()), dim=4).flatten(3)
        py = torch.stack((py[:, :, :, 0::2].sin(), py[:, :, :, 1::2].cos()), dim=4).flatten(3)
        return torch.cat((py, px), dim=3).permute(0, 3, 1, 2)

    class ColorDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = 256
            self.query_feat, self.query_embed = nn.Embedding(100, d), nn.Embedding(100, d)
            self.level_embed = nn.Embedding(3, d)
            self.input_proj = nn.ModuleList(nn.Conv2d(c, d, 1) for c in (512, 512, 256))
            self.cross = nn.ModuleList(nn.MultiheadAttention(d, 8) for _ in range(9))
            self.self_attn = nn.ModuleList(nn.MultiheadAttention(d, 8) for _ in range(9))
            self.ffn = nn.ModuleList(nn.Sequential(nn.Linear(d, 2048), nn.ReLU(), nn.Linear(2048, d)) for _ in range(9))
            self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(27))
            self.decoder_norm = nn.LayerNorm(d)
            self.color_embed = nn.ModuleList([nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)])

        def forward(self, xs: list[Any], img: Any) -> Any:
            src, pos = [], []
            for i, x in enumerate(xs):
                pos.append(sine_pos(x).flatten(2).permute(2, 0, 1))
                src.append(
                    (self.input_proj[i](x).flatten(2) + self.level_embed.weight[i][None, :, None]).permute(2, 0, 1)
                )
            qpos = self.query_embed.weight.unsqueeze(1).repeat(1, 1, 1)
            out = self.query_feat.weight.unsqueeze(1).repeat(1, 1, 1)
            for i in range(9):
                lv = i % 3
                out = self.norms[3 * i](out + self.cross[i](out + qpos, src[lv] + pos[lv], src[lv])[0])
                q = out + qpos
                out = self.norms[3 * i + 1](out + self.self_attn[i](q, q, out)[0])
                out = self.norms[3 * i + 2](out + self.ffn[i](out))
            e = self.decoder_norm(out).transpose(0, 1)
            e = self.color_embed[2](torch.relu(self.color_embed[1](torch.relu(self.color_embed[0](e)))))
            return torch.matmul(e, img.flatten(start_dim=2)).view(int(e.shape[0]), int(e.shape[1]), *img.shape[2:])

    class DDColor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims, depths = [96, 192, 384, 768], [3, 3, 9, 3]
            self.down = nn.ModuleList(
                [nn.Sequential(nn.Conv2d(3, 96, 4, 4), LN2d(96))]
                + [nn.Sequential(LN2d(dims[i]), nn.Conv2d(dims[i], dims[i + 1], 2, 2)) for i in range(3)]
            )
            self.stages = nn.ModuleList(
                nn.Sequential(*(Block(d) for _ in range(n))) for d, n in zip(dims, depths, strict=True)
            )
            self.taps = nn.ModuleList(LN2d(d) for d in dims)  # norm0-3
            self.layers = nn.ModuleList(
                [UnetBlockWide(768, 384, 512), UnetBlockWide(512, 192, 512), UnetBlockWide(512, 96, 256)]
            )
            self.last_shuf = Shuf(256, 256, 4, False)
            self.color_decoder = ColorDecoder()
            self.refine = nn.Conv2d(103, 2, 1)
            self.mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
            self.std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

        def forward(self, image: Any) -> Any:
            x = (image - self.mean) / self.std
            h, feats = x, []
            for down, stage, tap in zip(self.down, self.stages, self.taps, strict=True):
                h = stage(down(h))
                feats.append(tap(h))
            out0 = self.layers[0](feats[3], feats[2])
            out1 = self.layers[1](out0, feats[1])
            out2 = self.layers[2](out1, feats[0])
            colors = self.color_decoder([out0, out1, out2], self.last_shuf(out2))
            return self.refine(torch.cat([colors, x], 1))

    return DDColor(), img(256, 256)


def param_count(builder: Any) -> int:
    module, _ = builder()
    return sum(p.numel() for p in module.parameters())


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture, input and AI Hub wrapper (random weights)"
    dcn = "(random weights) with AI Hub's plain-op DCNv2 and output activations"
    unused = (
        "which the published count adds the DLA-34 ImageNet fc (0.51M) and two projection convs the forward never uses"
    )
    return {
        ("fastsam_s", "FastSam-S"): (fastsam_s, f"{same}; YOLOv8s-seg, one class, 11.79M params vs 11.8M published"),
        ("fastsam_x", "FastSam-X"): (fastsam_x, f"{same}; YOLOv8x-seg, one class, 71.75M params vs 72.2M published"),
        ("dla102x", "DLA-102-X"): (
            dla102x,
            "same architecture and input (random weights); timm dla102x with AI Hub's ImageNet normalization, "
            "26.31M params vs 26.3M published",
        ),
        ("easyocr", "EasyOCRDetector"): (
            easyocr_detector,
            f"{same}; CRAFT (VGG16-BN), 608x800, score maps NHWC; 20.77M params vs 20.8M published",
        ),
        ("easyocr", "EasyOCRRecognizer"): (
            easyocr_recognizer,
            f"{same}; english_g2 VGG + 2 BiLSTM, 1x1x64x800 grey; 3.78M params vs 3.84M published",
        ),
        ("deeplab_xception", "DeepLabXception"): (
            deeplab_xception,
            f"{same}; SegmenTron DeepLabV3+ Xception65, OS 16, 480x520, argmax mask; 41.06M params vs 41.26M published",
        ),
        ("midas", "Midas-V2"): (
            midas,
            f"{same}; MiDaS v2.1 small (EfficientNet-Lite3), 256x256; 16.60M params in the graph vs 16.6M published "
            "(the deepest fusion block's unused first residual unit, 4.7M weights, is not in the exported graph)",
        ),
        ("pidnet", "PidNet"): (
            pidnet,
            f"{same}; PIDNet-S (get_pred_model, no auxiliary heads), 1024x2048, 1/8-scale logits; 7.63M params vs "
            "8.06M published, but the published float size (29.1 MB) is exactly 7.63M fp32 weights (the paper: 7.6M)",
        ),
        ("pspnet", "PSPNet"): (
            pspnet,
            f"{same}; PSPNet-101 (ADE20K, 150 classes), image and mirror as batch 2, 473x473; 65.77M params vs "
            "65.7M published",
        ),
        ("deepbox", "VGG3DDetection"): (
            deepbox_vgg,
            f"{same}; VGG19-BN features + orientation / confidence / dimension MLPs, 224x224; 46.12M params vs "
            "46.1M published",
        ),
        ("rtmpose_body2d", "RTMPose-Body2d"): (
            rtmpose_body2d,
            f"{same}; RTMPose-m COCO-WholeBody (CSPNeXt-m, RTMCC head, 133 keypoints), 256x192; 17.95M params vs "
            "17.9M published",
        ),
        ("sinet", "SINet"): (
            sinet,
            "architecture identical to the source's SINet(classes=2, p=2, q=8) with AI Hub's normalization, 224x224 "
            "(random weights); 86.9K params, the paper's 0.087M, vs 91.9K published (92.7K with the BatchNorm "
            "running statistics, which the published count seems to include)",
        ),
        ("salsanext", "SalsaNext"): (
            salsanext,
            f"{same}; 1x5x64x2048 range image, softmax over 20 classes; 6.71M params vs 6.71M published",
        ),
        ("bgnet", "BGNet"): (
            bgnet,
            f"{same}; Res2Net-50 v1b backbone, 416x416, finest mask only (as the wrapper returns); 77.80M params vs "
            "77.8M published",
        ),
        ("gpunet", "GPUNet"): (
            gpunet,
            f"{same}; GPUNet-0 (GV100 0.65 ms config) at 224x224; 11.89M params vs 10.49M published, but the "
            "published float size (45.28 MB) is 11.87M fp32 weights, and NVIDIA gives 11.9M for GPUNet-0",
        ),
        ("litehrnet", "LiteHRNet"): (
            litehrnet,
            f"{same}; Lite-HRNet-18 + 1x1 heatmap head, 256x192, argmax keypoints; 1.13M params vs 1.11M published",
        ),
        ("rtmdet", "RTMDet"): (
            rtmdet,
            "architecture identical to mmdet RTMDet-M with AI Hub's in-graph decoding (random weights; box corners "
            "by concat where AI Hub assigns slices in place), 640x640; 24.71M unique params (mmdet's 24.71M) vs "
            "27.5M published, which counts the head's level-shared 3x3 convs once per level (27.36M)",
        ),
        ("lama_dilated", "LaMa-Dilated"): (
            lama_dilated,
            f"{same}; generator per LaMa's pix2pixhd_multidilated_catin_4dil_9b config (AI Hub loads its own copy "
            "of the training config; this one matches the published count), 512x512 image + mask; 45.65M params "
            "vs 45.6M published",
        ),
        ("ddcolor", "DDColor"): (
            ddcolor,
            f"{same}; ddcolor_paper_tiny (ConvNeXt-T, 100 queries, 9 decoder layers) with AI Hub's reshape pixel "
            "shuffle and matmul, 256x256; 55.01M params vs 56.3M published (2.3% short; the gap is not explained by "
            "the unused ConvNeXt head or normalization buffers)",
        ),
        ("aotgan", "AOT-GAN"): (
            aotgan,
            f"{same}; InpaintGenerator (8 AOT blocks), 512x512 image + mask; 15.20M params vs 15.2M published",
        ),
        ("centernet_2d", "CenterNet-2D"): (
            centernet_2d,
            f"architecture identical to CenterNet DLA-34-DCN ctdet {dcn}, 512x512; 19.63M params in "
            f"the graph vs 20.2M published, to {unused} (20.19M with them)",
        ),
        ("centernet_3d", "CenterNet-3D"): (
            centernet_3d,
            f"architecture identical to CenterNet DLA-34-DCN ddd {dcn}, 384x1280; 20.06M params in "
            f"the graph vs 20.6M published, to {unused} (20.61M with them)",
        ),
        ("centernet_pose", "CenterNet-Pose"): (
            centernet_pose,
            f"architecture identical to CenterNet DLA-34-DCN multi_pose {dcn}, 256x256 as get_input_spec "
            f"(card: 512x512); 20.07M params in the graph vs 20.6M published, to {unused} (20.62M with them)",
        ),
    }
