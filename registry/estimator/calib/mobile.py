"""Calibration graphs: mobile models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

from typing import Any

from registry.estimator.build_graphs import _img, _nn, _zeros


def _yamnet() -> tuple[Any, tuple[Any, ...]]:
    """YAMNet (torch_audioset port): MobileNetV1 on a 96x64 log-mel patch, TF "SAME" padding, 521 sigmoid scores."""
    import torch

    nn = _nn()

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
    return nn.Sequential(*layers), (_zeros(1, 1, 96, 64),)


def _posenet_mobilenet() -> tuple[Any, tuple[Any, ...]]:
    """PoseNet (posenet-pytorch, mobilenet_v1_101): MobileNetV1 at output stride 16 (dilated tail), biased convs
    with ReLU6 (BN folded in the TF.js weights), four 1x1 heads; AI Hub's wrapper rescales the input to [-1, 1] and
    adds a 3x3 max-pool of the heatmaps."""
    import torch

    nn = _nn()
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

    return PoseNet(), _img(513, 257)


def _deeplabv3_plus_mobilenet() -> tuple[Any, tuple[Any, ...]]:
    """DeepLabV3+ (jfzhang95/pytorch-deeplab-xception, backbone "mobilenet", output stride 16): MobileNetV2 without
    its 1280 head, explicit fixed padding before each inverted residual, ASPP (rates 1/6/12/18 + image pooling),
    decoder with the stride-4 24-channel features, 21 classes, bilinear upsampling to the input."""
    import torch

    nn = _nn()
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
            pooled = f.interpolate(self.pool(x), size=x.shape[2:], mode="bilinear", align_corners=True)
            x = self.project(torch.cat([b(x) for b in self.aspp] + [pooled], 1))
            x = f.interpolate(x, size=low.shape[2:], mode="bilinear", align_corners=True)
            x = self.head(torch.cat([x, self.reduce(low)], 1))
            return f.interpolate(x, size=image.shape[2:], mode="bilinear", align_corners=True)

    return DeepLab(), _img(513)


def _ffnet(depths: list[int], head: str, narrow: bool = False, pre_down: bool = False) -> Any:
    """Qualcomm's FFNet (Mehta et al. 2022, Qualcomm-AI-research/FFNet), mobile variants: a slim ResNet of basic
    blocks (or the 3-stage "NS" narrow one), 1x1 adapter convs, the FAN-style up-branch with nearest upsampling,
    upsample-and-concatenate to stride 4 and a segmentation head (B: 3x3+3x3, C: 3x3+1x1), 19 classes, no final
    upsampling. "pre_down" models first smooth and halve the input with a fixed 5x5 Gaussian (reflect pad of the
    height). AI Hub's wrapper normalizes the image first."""
    import torch

    nn = _nn()
    f = torch.nn.functional

    def cbr(cin: int, cout: int, k: int, s: int = 1, relu: bool = True) -> Any:
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)

    class Basic(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, s: int) -> None:
            super().__init__()
            self.body = nn.Sequential(cbr(cin, cout, 3, s), cbr(cout, cout, 3, relu=False))
            self.down = cbr(cin, cout, 1, s, relu=False) if s != 1 or cin != cout else nn.Identity()

        def forward(self, x: Any) -> Any:
            return torch.relu(self.down(x) + self.body(x))

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
                x = f.interpolate(self.up[i](x), size=feats[i].shape[2:], mode="nearest") + feats[i]
                sm.insert(0, self.sm[i](x))
            size = sm[0].shape[2:]
            cat = torch.cat([sm[0]] + [f.interpolate(t, size=size, mode="nearest") for t in sm[1:]], 1)
            return self.head(cat)

    return FFNet()


def _params(model: Any) -> float:
    return float(sum(p.numel() for p in model.parameters())) / 1e6


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
            same + "513x513, logits; 5.82M params vs 5.80M published",
        ),
    }
    ffnets = [
        ("ffnet_40s", "FFNet-40S", [4, 5, 6, 4], "B", False, False, 2048, "13.91M vs 13.9M"),
        ("ffnet_54s", "FFNet-54S", [5, 8, 8, 5], "B", False, False, 2048, "18.04M vs 18.0M"),
        ("ffnet_78s", "FFNet-78S", [6, 12, 12, 8], "B", False, False, 2048, "27.49M vs 27.5M"),
        ("ffnet_78s_lowres", "FFNet-78S-LowRes", [6, 12, 12, 8], "C", False, True, 1024, "26.83M vs 26.8M"),
        ("ffnet_122ns_lowres", "FFNet-122NS-LowRes", [16, 24, 20], "C", True, True, 1024, "32.17M vs 32.1M"),
    ]
    for mid, comp, depths, head, narrow, pre_down, w, pub in ffnets:
        out[(mid, comp)] = (
            lambda d=depths, h=head, n=narrow, p=pre_down, w=w: (_ffnet(d, h, n, p), _img(w // 2, w)),
            same + f"{w}x{w // 2}; {pub} params (ours vs published)",
        )
    return out
