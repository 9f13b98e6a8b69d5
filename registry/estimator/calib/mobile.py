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


def _params(model: Any) -> float:
    return float(sum(p.numel() for p in model.parameters())) / 1e6


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture and input (random weights); "
    return {
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
