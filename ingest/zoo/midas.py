"""midas-v2-small: MiDaS v2.1 small monocular depth estimation (Ranftl et al.), as AI Hub's Midas-V2, RANDOM weights.

The layers follow ``MidasNet_small`` (isl-org/MiDaS, ``midas_v21_small_256``): an EfficientNet-Lite3 encoder
(timm ``tf_efficientnet_lite3``: ReLU6, no squeeze-excitation, TensorFlow "same" padding, stem and the first and
last stages unscaled) cut into four levels of 32, 48, 136 and 384 channels, 3x3 projections to 64/128/256/512
("expand"), four feature-fusion blocks of residual conv units with bilinear (align_corners) upsampling, and a
non-negative head to one inverse-depth map at the input resolution. No checkpoint ships in a package, so the
weights are a fixed seed's, with BatchNorm statistics recomputed on bundled photographs; builds are judged by
fidelity to FP32, never by depth accuracy.

One component, ``model``: ``image`` float32 [1, 3, 256, 256] RGB in [0, 1] (ImageNet normalisation inside the
graph) -> ``depth_estimates`` float32 [1, 256, 256] (relative inverse depth).
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import IMAGENET_MEAN, IMAGENET_STD, image_inputs, recalibrate_batchnorm

INPUT: Final = "image"
OUTPUT: Final = "depth_estimates"
SEED: Final = 0
BN_IMAGES: Final = 16
# EfficientNet-B0 stages (expansion, kernel, stride, channels, repeats) before Lite3's scaling
_B0_STAGES: Final = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                     (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))  # fmt: skip
SIZES: Final[dict[str, dict[str, Any]]] = {
    # Lite3: width 1.2, depth 1.4; features 64 with "expand"
    "default": {"image_size": 256, "width": 1.2, "depth": 1.4, "features": 64},
    "tiny": {"image_size": 64, "width": 0.5, "depth": 0.5, "features": 16},
}


def round_channels(channels: int, multiplier: float, divisor: int = 8) -> int:
    """timm's ``round_channels``: scale, round to a multiple of 8, never more than 10% down."""
    scaled = channels * multiplier
    new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * scaled else new


def lite_stages(width: float, depth: float) -> list[tuple[int, int, int, int, int]]:
    """EfficientNet-Lite scaling: channels by width, repeats by depth, the first and last stages kept at one."""
    out = []
    for i, (e, k, s, c, r) in enumerate(_B0_STAGES):
        repeats = r if i in (0, len(_B0_STAGES) - 1) else max(1, math.ceil(r * depth))
        out.append((e, k, s, round_channels(c, width), repeats))
    return out


def _net(width: float, depth: float, features: int) -> tuple[Any, list[int]]:
    import torch
    from torch import nn
    from torch.nn import functional

    def same_conv(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Module:
        """TensorFlow "same" padding: symmetric at stride 1, one extra pixel right and bottom at stride 2."""
        conv = nn.Conv2d(cin, cout, k, stride, k // 2 if stride == 1 else 0, groups=groups, bias=False)
        if stride == 1:
            return conv
        total = k - stride
        return nn.Sequential(nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2)), conv)

    def bn(c: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(c, eps=1e-3)

    class DepthwiseSeparable(nn.Module):
        def __init__(self, cin: int, cout: int, k: int, stride: int) -> None:
            super().__init__()
            self.conv_dw, self.bn1 = same_conv(cin, cin, k, stride, groups=cin), bn(cin)
            self.conv_pw, self.bn2 = nn.Conv2d(cin, cout, 1, bias=False), bn(cout)
            self.act = nn.ReLU6()
            self.skip = stride == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv_pw(self.act(self.bn1(self.conv_dw(x)))))
            return out + x if self.skip else out

    class InvertedResidual(nn.Module):
        def __init__(self, cin: int, cout: int, k: int, stride: int, expansion: int) -> None:
            super().__init__()
            mid = cin * expansion
            self.conv_pw, self.bn1 = nn.Conv2d(cin, mid, 1, bias=False), bn(mid)
            self.conv_dw, self.bn2 = same_conv(mid, mid, k, stride, groups=mid), bn(mid)
            self.conv_pwl, self.bn3 = nn.Conv2d(mid, cout, 1, bias=False), bn(cout)
            self.act = nn.ReLU6()
            self.skip = stride == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            out = self.act(self.bn1(self.conv_pw(x)))
            out = self.act(self.bn2(self.conv_dw(out)))
            out = self.bn3(self.conv_pwl(out))
            return out + x if self.skip else out

    stages = lite_stages(width, depth)
    stem = 32  # Lite keeps the stem unscaled
    blocks: list[nn.Module] = []
    cin = stem
    for e, k, s, c, r in stages:
        stage = []
        for i in range(r):
            stride = s if i == 0 else 1
            stage.append(DepthwiseSeparable(cin, c, k, stride) if e == 1 else InvertedResidual(cin, c, k, stride, e))
            cin = c
        blocks.append(nn.Sequential(*stage))
    levels = [stages[1][3], stages[2][3], stages[4][3], stages[6][3]]  # MiDaS: blocks[0:2], [2:3], [3:5], [5:7]

    class ResidualConvUnit(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(c, c, 3, 1, 1), nn.Conv2d(c, c, 3, 1, 1)
            self.activation = nn.ReLU()

        def forward(self, x: Any) -> Any:
            return self.conv2(self.activation(self.conv1(self.activation(x)))) + x

    class FeatureFusionBlock(nn.Module):
        def __init__(self, c: int, expand: bool, fuses_skip: bool = True) -> None:
            super().__init__()
            # refinenet4 has no skip input: MiDaS builds its first unit but never runs it (not in the graph)
            self.resConfUnit1 = ResidualConvUnit(c) if fuses_skip else None
            self.resConfUnit2 = ResidualConvUnit(c)
            self.out_conv = nn.Conv2d(c, c // 2 if expand else c, 1)

        def forward(self, x: Any, skip: Any = None) -> Any:
            if skip is not None and self.resConfUnit1 is not None:
                x = x + self.resConfUnit1(skip)
            x = self.resConfUnit2(x)
            x = functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            return self.out_conv(x)

    class MidasNetSmall(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
            self.conv_stem, self.bn1, self.act1 = same_conv(3, stem, 3, 2), bn(stem), nn.ReLU6()
            self.layer1 = nn.Sequential(*blocks[0:2])
            self.layer2 = nn.Sequential(*blocks[2:3])
            self.layer3 = nn.Sequential(*blocks[3:5])
            self.layer4 = nn.Sequential(*blocks[5:7])
            widths = [features, features * 2, features * 4, features * 8]  # "expand"
            self.layer_rn = nn.ModuleList(
                nn.Conv2d(cl, cw, 3, 1, 1, bias=False) for cl, cw in zip(levels, widths, strict=True)
            )
            self.refinenet4 = FeatureFusionBlock(widths[3], True, fuses_skip=False)
            self.refinenet3 = FeatureFusionBlock(widths[2], True)
            self.refinenet2 = FeatureFusionBlock(widths[1], True)
            self.refinenet1 = FeatureFusionBlock(widths[0], False)
            self.output_conv = nn.Sequential(
                nn.Conv2d(features, features // 2, 3, 1, 1),
                nn.Upsample(scale_factor=2, mode="bilinear"),
                nn.Conv2d(features // 2, 32, 3, 1, 1),
                nn.ReLU(),
                nn.Conv2d(32, 1, 1),
                nn.ReLU(),  # non-negative inverse depth
            )

        def forward(self, image: Any) -> Any:
            x = self.act1(self.bn1(self.conv_stem((image - self.mean) / self.std)))
            l1 = self.layer1(x)
            l2 = self.layer2(l1)
            l3 = self.layer3(l2)
            l4 = self.layer4(l3)
            r1, r2, r3, r4 = (rn(t) for rn, t in zip(self.layer_rn, (l1, l2, l3, l4), strict=True))
            path = self.refinenet4(r4)
            path = self.refinenet3(path, r3)
            path = self.refinenet2(path, r2)
            path = self.refinenet1(path, r1)
            return torch.squeeze(self.output_conv(path), dim=1)

    return MidasNetSmall(), levels


def build(size: str = "default") -> ZooModel:
    import torch

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    spec = SIZES[size]
    px = int(spec["image_size"])
    torch.manual_seed(SEED)
    net, levels = _net(float(spec["width"]), float(spec["depth"]), int(spec["features"]))
    with torch.no_grad():  # a random non-negative head would clip most of the map to 0: start it positive
        net.output_conv[4].bias.fill_(1.0)
    bn_images = recalibrate_batchnorm(
        net, [x[INPUT] for x in image_inputs("calibration", BN_IMAGES, INPUT, px, seed=1000, normalise="unit")]
    )

    def calibration(component: str, n: int) -> list[Inputs]:
        return image_inputs("calibration", n, INPUT, px, seed=0, normalise="unit")

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return image_inputs("eval", n, INPUT, px, seed=1, normalise="unit")

    example = torch.from_numpy(image_inputs("eval", 1, INPUT, px, seed=2, normalise="unit")[0][INPUT])
    params = sum(int(np.prod(p.shape)) for p in net.parameters())
    return ZooModel(
        slug="midas-v2-small",
        name="MiDaS v2.1 small (random weights)",
        task="depth-estimation",
        domain="computer-vision",
        license="MIT (the MiDaS code; these weights are random)",
        source_url="https://github.com/isl-org/MiDaS",
        description=f"MiDaS v2.1 small monocular depth ({params / 1e6:.1f}M parameters): EfficientNet-Lite3 "
        f"encoder and fusion decoder, {px}x{px} RGB -> relative inverse depth; the architecture of AI Hub's "
        "Midas-V2.",
        weights="random",
        components=[
            Component(
                name="model",
                module=net,
                example_inputs={INPUT: example},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": f"random: a fixed seed ({SEED}), no pretrained checkpoint; BatchNorm running statistics "
            f"recomputed on {bn_images} crops of bundled photos, the head's last bias set to 1 so the ReLU does "
            "not clip the map to zero. Depth maps are meaningless; builds are judged by fidelity to FP32.",
            "architecture": {
                "config": "midas_v21_small_256 (MidasNet_small, efficientnet_lite3, features 64, expand)"
                if size == "default"
                else f"reduced for tests ({size})",
                "encoder_levels": levels,
                "features": spec["features"],
                "parameters": params,  # in the graph: refinenet4's unused unit left out, as AI Hub counts
            },
            "inputs": {INPUT: [1, 3, px, px]},
            "outputs": {OUTPUT: [1, px, px]},
            "preprocessing": "RGB resized to the input, float in [0, 1]; ImageNet mean/std inside the graph",
            "aihub_model": "midas (Midas-V2, MiDaS_small, 256x256, 16.6M parameters)",
            "calibration_data": "random crops of bundled photographs; evaluation uses a disjoint set",
        },
        task_metric=None,
    )
