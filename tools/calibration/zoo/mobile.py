"""Calibration graphs: mobile models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from tools.calibration.build_graphs import img, torch_nn, zeros


def _hw(t: Any) -> list[int]:
    """A feature map's height and width as Python ints, so the traced graph holds constant sizes (as AI Hub's
    compiled, static-shape graph does) rather than Shape/Gather chains."""
    return [int(t.shape[2]), int(t.shape[3])]


def conv_bn_relu(cin: int, cout: int, k: int = 3, s: int = 1, bias: bool = False, relu: bool = True) -> Any:
    """Conv (same padding), batch norm, optionally ReLU."""
    nn = torch_nn()
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=bias), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)


@cache
def basic_block() -> Any:
    """ResNet's basic block class (two 3x3 conv-BN, a 1x1 conv-BN shortcut where the shape changes)."""
    import torch

    nn = torch_nn()

    class Basic(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, s: int) -> None:
            super().__init__()
            self.body = nn.Sequential(conv_bn_relu(cin, cout, 3, s), conv_bn_relu(cout, cout, 3, relu=False))
            self.down = conv_bn_relu(cin, cout, 1, s, relu=False) if s != 1 or cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.down(x))

    return Basic


def _yamnet() -> tuple[Any, tuple[Any, ...]]:
    """YAMNet (torch_audioset port): MobileNetV1 on a 96x64 log-mel patch, TF "SAME" padding, 521 sigmoid scores."""
    import torch

    nn = torch_nn()

    class ConvBnRelu(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, k: int, s: int, groups: int = 1) -> None:
            super().__init__()
            # TF SAME on even sizes: a stride-2 3x3 pads one row/column at the end only, as an explicit Pad
            self.pad_end = s == 2 and k == 3
            pad = 0 if self.pad_end else k // 2
            self.conv = nn.Conv2d(cin, cout, k, s, pad, groups=groups, bias=False)
            self.bn, self.act = nn.BatchNorm2d(cout, eps=1e-4), nn.ReLU()

        def forward(self, x: Any) -> Any:
            if self.pad_end:
                x = torch.nn.functional.pad(x, [0, 1, 0, 1])
            return self.act(self.bn(self.conv(x)))

    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    layers: list[Any] = [ConvBnRelu(1, 32, 3, 2)]
    cin = 32
    for cout, s in cfg:
        layers += [ConvBnRelu(cin, cin, 3, s, groups=cin), ConvBnRelu(cin, cout, 1, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 521), nn.Sigmoid()]
    return nn.Sequential(*layers), (zeros(1, 1, 96, 64),)


def _posenet_mobilenet() -> tuple[Any, tuple[Any, ...]]:
    """PoseNet (posenet-pytorch, mobilenet_v1_101): MobileNetV1 at output stride 16 (dilated tail), biased convs
    with ReLU6 (BN folded in the TF.js weights), four 1x1 heads; AI Hub's wrapper rescales the input to [-1, 1] and
    adds a 3x3 max-pool of the heatmaps."""
    import torch

    nn = torch_nn()
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    layers: list[Any] = [nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU6()]
    cin, stride, rate = 32, 2, 1
    for cout, s in cfg:
        if stride == 16:  # output stride reached: dilate instead of striding
            layer_stride, layer_rate, rate = 1, rate, rate * s
        else:
            layer_stride, layer_rate, stride = s, 1, stride * s
        pad = ((layer_stride - 1) + layer_rate * 2) // 2
        layers += [nn.Conv2d(cin, cin, 3, layer_stride, pad, layer_rate, groups=cin), nn.ReLU6()]
        layers += [nn.Conv2d(cin, cout, 1), nn.ReLU6()]
        cin = cout

    class PoseNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.heatmap, self.offset = nn.Conv2d(1024, 17, 1), nn.Conv2d(1024, 34, 1)
            self.fwd, self.bwd = nn.Conv2d(1024, 32, 1), nn.Conv2d(1024, 32, 1)

        def forward(self, image: Any) -> Any:
            x = self.features(image * 2.0 - 1.0)
            heat = torch.sigmoid(self.heatmap(x))
            max_vals = torch.nn.functional.max_pool2d(heat, 3, stride=1, padding=1)
            return heat, self.offset(x), self.fwd(x), self.bwd(x), max_vals

    return PoseNet(), img(513, 257)


def _deeplabv3_plus_mobilenet() -> tuple[Any, tuple[Any, ...]]:
    """DeepLabV3+ (jfzhang95/pytorch-deeplab-xception, backbone "mobilenet", output stride 16): MobileNetV2 without
    its 1280 head, explicit fixed padding before each inverted residual, ASPP (rates 1/6/12/18 + image pooling),
    decoder with the stride-4 24-channel features, 21 classes, bilinear upsampling to the input, then AI Hub's argmax
    to a uint8 mask. AI Hub profiles it at 520x520 (get_input_spec), not the 513x513 of its model card."""
    import torch

    nn = torch_nn()
    f = torch.nn.functional

    class InvRes(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, s: int, dilation: int, t: int) -> None:
            super().__init__()
            hid = cin * t
            layers: list[Any] = []
            if t != 1:
                layers += [nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6()]
            layers += [nn.Conv2d(hid, hid, 3, s, 0, dilation, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6()]
            layers += [nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.conv, self.dilation, self.res = nn.Sequential(*layers), dilation, s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            p = self.dilation  # (3 + 2 (d - 1) - 1) / 2 on each side
            y = self.conv(f.pad(x, [p, p, p, p]))
            return x + y if self.res else y

    feats: list[Any] = [nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6())]
    cin, stride, rate = 32, 2, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)]:  # fmt: skip
        if stride == 16:
            st, dil, rate = 1, rate, rate * s
        else:
            st, dil, stride = s, 1, stride * s
        for i in range(n):
            feats.append(InvRes(cin, c, st if i == 0 else 1, dil, t))
            cin = c

    def cbr(cin: int, cout: int, k: int, d: int = 1) -> Any:
        pad = 0 if k == 1 else d
        return nn.Sequential(nn.Conv2d(cin, cout, k, 1, pad, d, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class DeepLab(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.low, self.high = nn.Sequential(*feats[:4]), nn.Sequential(*feats[4:])
            self.aspp = nn.ModuleList([cbr(320, 256, 1)] + [cbr(320, 256, 3, d) for d in (6, 12, 18)])
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), cbr(320, 256, 1))
            self.project = cbr(1280, 256, 1)
            self.reduce = cbr(24, 48, 1)
            self.head = nn.Sequential(cbr(304, 256, 3), cbr(256, 256, 3), nn.Conv2d(256, 21, 1))

        def forward(self, image: Any) -> Any:
            mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
            low = self.low((image - mean) / std)
            x = self.high(low)
            pooled = f.interpolate(self.pool(x), size=_hw(x), mode="bilinear", align_corners=True)
            x = self.project(torch.cat([b(x) for b in self.aspp] + [pooled], 1))
            x = f.interpolate(x, size=_hw(low), mode="bilinear", align_corners=True)
            x = self.head(torch.cat([x, self.reduce(low)], 1))
            x = f.interpolate(x, size=_hw(image), mode="bilinear", align_corners=True)
            return x.argmax(1).to(torch.uint8)  # AI Hub's wrapper returns the class mask

    return DeepLab(), img(520)


def _ffnet(depths: list[int], head: str, narrow: bool = False, pre_down: bool = False) -> Any:
    """Qualcomm's FFNet (Mehta et al. 2022, Qualcomm-AI-research/FFNet), mobile variants: a slim ResNet of basic
    blocks (or the 3-stage "NS" narrow one), 1x1 adapter convs, the FAN-style up-branch with nearest upsampling,
    upsample-and-concatenate to stride 4 and a segmentation head (B: 3x3+3x3, C: 3x3+1x1), 19 classes, no final
    upsampling. "pre_down" models first smooth and halve the input with a fixed 5x5 Gaussian (reflect pad of the
    height). AI Hub's wrapper normalizes the image first."""
    import torch

    nn = torch_nn()
    f = torch.nn.functional

    cbr, Basic = conv_bn_relu, basic_block()

    def stage(cin: int, cout: int, n: int, s: int) -> Any:
        return nn.Sequential(Basic(cin, cout, s), *[Basic(cout, cout, 1) for _ in range(n - 1)])

    if narrow:  # ResNet-NS: 3x3 stem to stride 4 with 64 channels, three stages of 64/128/256
        chans = [64, 64, 128, 256]
        stem = nn.Sequential(cbr(3, 64, 3, 2), cbr(64, 64, 3, 2), cbr(64, 64, 3))
        stages = [stage(c_in, c_out, n, 2) for c_in, c_out, n in zip(chans[:3], chans[1:], depths, strict=True)]
    else:  # ResNet-S ("_D": layer1 strided too, so features at 1/8 ... 1/64 of a 2048x1024 input)
        chans = [64, 128, 192, 320]
        stem = nn.Sequential(cbr(3, 32, 3, 2), cbr(32, 64, 3, 2))
        first = 1 if pre_down else 2
        stages = [stage(c_in, c_out, n, first if i == 0 else 2)
                  for i, (c_in, c_out, n) in enumerate(zip([64, *chans[:3]], chans, depths, strict=True))]  # fmt: skip
    base = [64, 128, 128, 256] if head == "B" else [128, 128, 128, 128]
    outs = [96, 96, 64, 32] if head == "B" else [128, 16, 16, 16]

    class FFNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem, self.stages = stem, nn.ModuleList(stages)
            self.adapt = nn.ModuleList([cbr(a, b, 1) for a, b in zip(chans, base, strict=True)])
            self.sm = nn.ModuleList([cbr(base[i], outs[i], 3) for i in range(4)])
            self.up = nn.ModuleList([cbr(base[i], base[i - 1], 1) for i in range(1, 4)])
            mid = 256 if head == "B" else 128
            last = nn.Conv2d(mid, 19, 3, padding=1) if head == "B" else nn.Conv2d(mid, 19, 1)
            self.head = nn.Sequential(nn.Conv2d(sum(outs), mid, 3, padding=1), nn.BatchNorm2d(mid), nn.ReLU(), last)
            self.register_buffer("gauss", torch.ones(3, 1, 5, 5) / 25.0)

        def forward(self, image: Any) -> Any:
            mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
            x = (image - mean) / std
            if pre_down:
                x = f.conv2d(f.pad(x, [0, 0, 1, 1], mode="reflect"), self.gauss, stride=2, groups=3)
            feats = []
            x = self.stem(x)
            if narrow:
                feats.append(x)
            for st in self.stages:
                x = st(x)
                feats.append(x)
            feats = [a(t) for a, t in zip(self.adapt, feats, strict=True)]
            sm = [self.sm[3](feats[3])]
            x = feats[3]
            for i in (2, 1, 0):
                x = f.interpolate(self.up[i](x), size=_hw(feats[i]), mode="nearest") + feats[i]
                sm.insert(0, self.sm[i](x))
            size = _hw(sm[0])
            cat = torch.cat([sm[0]] + [f.interpolate(t, size=size, mode="nearest") for t in sm[1:]], 1)
            return self.head(cat)

    return FFNet()


def _ddrnet23_slim() -> tuple[Any, tuple[Any, ...]]:
    """DDRNet-23-slim (Hong et al. 2021, chenjun2hao/DDRNet.pytorch): dual-resolution ResNet (planes 32), bilateral
    fusions, DAPPM (128 branch planes), 64-plane head without the auxiliary one, 19 classes at 1/8 of the input."""
    import torch

    nn = torch_nn()
    f = torch.nn.functional

    def bn_conv(cin: int, cout: int, k: int, s: int = 1, relu: bool = False) -> Any:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, planes: int, s: int, bottleneck: bool, relu_out: bool) -> None:
            super().__init__()
            cout = planes * 2 if bottleneck else planes
            if bottleneck:
                self.body = nn.Sequential(
                    bn_conv(cin, planes, 1, relu=True),
                    bn_conv(planes, planes, 3, s, relu=True),
                    bn_conv(planes, cout, 1),
                )
            else:
                self.body = nn.Sequential(bn_conv(cin, planes, 3, s, relu=True), bn_conv(planes, planes, 3))
            self.down = bn_conv(cin, cout, 1, s) if s != 1 or cin != cout else nn.Identity()
            self.relu_out = relu_out

        def forward(self, x: Any) -> Any:
            y = self.body(x) + self.down(x)
            return torch.relu(y) if self.relu_out else y

    def layer(cin: int, planes: int, n: int, s: int = 1, bottleneck: bool = False) -> Any:
        cout = planes * 2 if bottleneck else planes
        blocks = [Block(cin, planes, s, bottleneck, not bottleneck)]  # the last block of a layer has no ReLU
        blocks += [Block(cout, planes, 1, bottleneck, i < n - 2) for i in range(n - 1)]
        return nn.Sequential(*blocks)

    def pre(cin: int, cout: int, k: int) -> Any:  # BN-ReLU-conv, as in DAPPM and the head
        return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, k, 1, k // 2, bias=False))

    class DAPPM(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, mid: int, cout: int) -> None:
            super().__init__()
            pools: list[Any] = [nn.AvgPool2d(k, s, k // 2) for k, s in ((5, 2), (9, 4), (17, 8))]
            pools.append(nn.AdaptiveAvgPool2d(1))
            self.scales = nn.ModuleList([nn.Sequential(pool, pre(cin, mid, 1)) for pool in pools])
            self.scale0 = pre(cin, mid, 1)
            self.process = nn.ModuleList([pre(mid, mid, 3) for _ in range(4)])
            self.compression, self.shortcut = pre(mid * 5, cout, 1), pre(cin, cout, 1)

        def forward(self, x: Any) -> Any:
            outs = [self.scale0(x)]
            for scale, proc in zip(self.scales, self.process, strict=True):
                outs.append(proc(f.interpolate(scale(x), size=_hw(x), mode="bilinear") + outs[-1]))
            return self.compression(torch.cat(outs, 1)) + self.shortcut(x)

    class DDRNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            p = 32
            self.stem = nn.Sequential(
                nn.Conv2d(3, p, 3, 2, 1), nn.BatchNorm2d(p), nn.ReLU(), nn.Conv2d(p, p, 3, 2, 1), nn.BatchNorm2d(p),
                nn.ReLU(),
            )  # fmt: skip
            self.layer1, self.layer2 = layer(p, p, 2), layer(p, 2 * p, 2, 2)
            self.layer3, self.layer4 = layer(2 * p, 4 * p, 2, 2), layer(4 * p, 8 * p, 2, 2)
            self.layer3_, self.layer4_ = layer(2 * p, 2 * p, 2), layer(2 * p, 2 * p, 2)
            self.layer5_, self.layer5 = layer(2 * p, 2 * p, 1, bottleneck=True), layer(8 * p, 8 * p, 1, 2, True)
            self.compression3, self.compression4 = bn_conv(4 * p, 2 * p, 1), bn_conv(8 * p, 2 * p, 1)
            self.down3 = bn_conv(2 * p, 4 * p, 3, 2)
            self.down4 = nn.Sequential(bn_conv(2 * p, 4 * p, 3, 2, relu=True), bn_conv(4 * p, 8 * p, 3, 2))
            self.spp = DAPPM(16 * p, 128, 4 * p)
            self.head = nn.Sequential(pre(4 * p, 64, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.Conv2d(64, 19, 1))

        def forward(self, image: Any) -> Any:
            mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
            size = [d // 8 for d in _hw(image)]
            x1 = self.layer1(self.stem((image - mean) / std))
            x2 = self.layer2(torch.relu(x1))
            x = self.layer3(torch.relu(x2))
            hi = self.layer3_(torch.relu(x2))
            x, hi = (
                x + self.down3(torch.relu(hi)),
                hi + f.interpolate(self.compression3(torch.relu(x)), size=size, mode="bilinear"),
            )
            x = self.layer4(torch.relu(x))
            hi = self.layer4_(torch.relu(hi))
            x, hi = (
                x + self.down4(torch.relu(hi)),
                hi + f.interpolate(self.compression4(torch.relu(x)), size=size, mode="bilinear"),
            )
            hi = self.layer5_(torch.relu(hi))
            x = f.interpolate(self.spp(self.layer5(torch.relu(x))), size=size, mode="bilinear")
            return self.head(x + hi)

    return DDRNet(), img(1024, 2048)


def _bisenet() -> tuple[Any, tuple[Any, ...]]:
    """BiSeNet (Yu et al. 2018, ooooverflow/BiSeNet) with a ResNet-18 context path, 12 CamVid classes at 720x960:
    3-conv spatial path, attention refinement (1x1 conv + sigmoid) on the 1/16 and 1/32 features, global-mean tail,
    bilinear resize to the spatial path, feature fusion, x8 bilinear upsampling then a 1x1 conv."""
    import torch

    nn = torch_nn()
    f = torch.nn.functional

    cbr, Basic = conv_bn_relu, basic_block()

    class ARM(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c, c, 1)

        def forward(self, x: Any) -> Any:
            return x * torch.sigmoid(self.conv(f.adaptive_avg_pool2d(x, 1)))

    class BiSeNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, classes: int = 12) -> None:
            super().__init__()
            self.spatial = nn.Sequential(cbr(3, 64, 3, 2, True), cbr(64, 128, 3, 2, True), cbr(128, 256, 3, 2, True))
            self.stem = nn.Sequential(cbr(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1))
            self.stages = nn.ModuleList(
                [nn.Sequential(Basic(a, b, 1 if a == b else 2), Basic(b, b, 1)) for a, b in
                 ((64, 64), (64, 128), (128, 256), (256, 512))]
            )  # fmt: skip
            self.arm1, self.arm2 = ARM(256), ARM(512)
            self.ffm_conv = cbr(1024, classes, 3, 1, True)
            self.ffm_att = nn.Sequential(nn.Conv2d(classes, classes, 1), nn.ReLU(), nn.Conv2d(classes, classes, 1))
            self.conv = nn.Conv2d(classes, classes, 1)

        def forward(self, image: Any) -> Any:
            mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
            x = (image - mean) / std
            sx = self.spatial(x)
            c = self.stem(x)
            feats = []
            for st in self.stages:
                c = st(c)
                feats.append(c)
            tail = feats[3].mean(3, keepdim=True).mean(2, keepdim=True)
            cx1, cx2 = self.arm1(feats[2]), self.arm2(feats[3]) * tail
            size = _hw(sx)
            cx = torch.cat([f.interpolate(t, size=size, mode="bilinear") for t in (cx1, cx2)], 1)
            feat = self.ffm_conv(torch.cat([sx, cx], 1))
            att = torch.sigmoid(self.ffm_att(f.adaptive_avg_pool2d(feat, 1)))
            out = feat * att + feat
            return self.conv(f.interpolate(out, scale_factor=8.0, mode="bilinear"))

    return BiSeNet(), img(720, 960)


def _hrnet_pose() -> tuple[Any, tuple[Any, ...]]:
    """HRNet-W32 pose (Sun et al. 2019, leoxiaobin/deep-high-resolution-net.pytorch, w32_256x192): bottleneck stem
    stage, then 2/3/4 parallel branches (32/64/128/256 channels, 4 basic blocks each, 1/4/3 modules) with
    exchange units, the last module keeping only the high-resolution branch; 17 heatmaps at 64x48."""
    import torch

    nn = torch_nn()

    def cb(cin: int, cout: int, k: int, s: int = 1, relu: bool = True) -> list[Any]:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
        return [*layers, nn.ReLU()] if relu else layers

    class Res(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, planes: int, bottleneck: bool) -> None:
            super().__init__()
            cout = planes * 4 if bottleneck else planes
            if bottleneck:
                body = cb(cin, planes, 1) + cb(planes, planes, 3) + cb(planes, cout, 1, relu=False)
            else:
                body = cb(cin, planes, 3) + cb(planes, planes, 3, relu=False)
            self.body = nn.Sequential(*body)
            self.down = nn.Sequential(*cb(cin, cout, 1, relu=False)) if cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.down(x))

    class Module(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, chans: list[int], n_out: int) -> None:
            super().__init__()
            self.branches = nn.ModuleList([nn.Sequential(*[Res(c, c, False) for _ in range(4)]) for c in chans])
            fuse: list[Any] = []
            for i in range(n_out):
                row: list[Any] = []
                for j, c in enumerate(chans):
                    if j > i:
                        row.append(
                            nn.Sequential(*cb(c, chans[i], 1, relu=False), nn.Upsample(scale_factor=2 ** (j - i)))
                        )
                    elif j == i:
                        row.append(nn.Identity())
                    else:
                        steps: list[Any] = []
                        for k in range(i - j):
                            last = k == i - j - 1
                            steps += cb(c, chans[i] if last else c, 3, 2, relu=not last)
                        row.append(nn.Sequential(*steps))
                fuse.append(nn.ModuleList(row))
            self.fuse = nn.ModuleList(fuse)

        def forward(self, xs: list[Any]) -> list[Any]:
            xs = [b(x) for b, x in zip(self.branches, xs, strict=True)]
            outs = []
            for row in self.fuse:
                y = row[0](xs[0])
                for j in range(1, len(xs)):
                    y = y + row[j](xs[j])
                outs.append(torch.relu(y))
            return outs

    class HRNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(*cb(3, 64, 3, 2), *cb(64, 64, 3, 2))
            self.layer1 = nn.Sequential(Res(64, 64, True), *[Res(256, 64, True) for _ in range(3)])
            self.trans1 = nn.ModuleList([nn.Sequential(*cb(256, 32, 3)), nn.Sequential(*cb(256, 64, 3, 2))])
            self.stage2 = nn.ModuleList([Module([32, 64], 2)])
            self.trans2 = nn.Sequential(*cb(64, 128, 3, 2))
            self.stage3 = nn.ModuleList([Module([32, 64, 128], 3) for _ in range(4)])
            self.trans3 = nn.Sequential(*cb(128, 256, 3, 2))
            self.stage4 = nn.ModuleList([Module([32, 64, 128, 256], 4 if i < 2 else 1) for i in range(3)])
            self.final = nn.Conv2d(32, 17, 1)

        def forward(self, image: Any) -> Any:
            mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
            x = self.layer1(self.stem((image - mean) / std))
            xs = [t(x) for t in self.trans1]
            for m in self.stage2:
                xs = m(xs)
            xs = [*xs, self.trans2(xs[-1])]
            for m in self.stage3:
                xs = m(xs)
            xs = [*xs, self.trans3(xs[-1])]
            for m in self.stage4:
                xs = m(xs)
            return self.final(xs[0])

    return HRNet(), img(256, 192)


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture and input (random weights); "
    out: dict[tuple[str, str], tuple[Any, str]] = {
        ("yamnet", "YamNet"): (_yamnet, same + "1x1x96x64 log-mel patch; 3.74M params vs 3.73M published"),
        ("posenet_mobilenet", "Posenet-Mobilenet"): (
            _posenet_mobilenet,
            same + "513x257; 3.31M params vs 3.31M published",
        ),
        ("deeplabv3_plus_mobilenet", "DeepLabV3-Plus-MobileNet"): (
            _deeplabv3_plus_mobilenet,
            same + "520x520 as get_input_spec (card: 513x513), argmax mask; 5.82M params vs 5.80M published",
        ),
    }
    out[("ddrnet23_slim", "DDRNet23-Slim")] = (
        _ddrnet23_slim,
        same + "2048x1024; 5.70M params vs 6.13M published, but the published float size (21.7 MB) is exactly "
        "5.70M fp32 weights, and the DDRNet paper gives 5.7M",
    )
    out[("bisenet", "BiseNet")] = (_bisenet, same + "720x960; 11.99M params vs 12.0M published")
    out[("hrnet_pose", "HRNetPose")] = (_hrnet_pose, same + "256x192; 28.54M params vs 28.5M published")
    ffnets = [
        ("ffnet_40s", "FFNet-40S", [4, 5, 6, 4], "B", False, False, 2048, "13.91M vs 13.9M"),
        ("ffnet_54s", "FFNet-54S", [5, 8, 8, 5], "B", False, False, 2048, "18.04M vs 18.0M"),
        ("ffnet_78s", "FFNet-78S", [6, 12, 12, 8], "B", False, False, 2048, "27.49M vs 27.5M"),
        ("ffnet_78s_lowres", "FFNet-78S-LowRes", [6, 12, 12, 8], "C", False, True, 1024, "26.83M vs 26.8M"),
        ("ffnet_122ns_lowres", "FFNet-122NS-LowRes", [16, 24, 20], "C", True, True, 1024, "32.17M vs 32.1M"),
    ]
    for mid, comp, depths, head, narrow, pre_down, w, pub in ffnets:
        out[(mid, comp)] = (
            lambda d=depths, h=head, n=narrow, p=pre_down, w=w: (_ffnet(d, h, n, p), img(w // 2, w)),
            same + f"{w}x{w // 2}; {pub} params (ours vs published)",
        )
    return out
