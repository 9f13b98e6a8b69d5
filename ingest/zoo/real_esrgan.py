"""real-esrgan-general-x4v3: Real-ESRGAN's compact x4 super-resolution net (``SRVGGNetCompact``), RANDOM weights.

The layers follow ``realesr-general-x4v3`` (xinntao/Real-ESRGAN, ``SRVGGNetCompact(num_feat=64, num_conv=32,
upscale=4, act_type="prelu")``): a 3x3 conv and PReLU, 32 more 3x3 conv + PReLU pairs at 64 channels, a 3x3 conv
to 3 x 4^2 channels, a pixel shuffle, plus the nearest-neighbour upsampled input as a residual. No checkpoint
ships in a package, so the weights are a fixed seed's (the conv weights scaled so the 34-layer chain neither
vanishes nor explodes); builds are judged by fidelity to FP32 (PSNR, SQNR), never by image quality.

One component, ``model``: ``image`` float32 [1, 3, 128, 128] RGB in [0, 1] -> ``upscaled_image`` float32
[1, 3, 512, 512], AI Hub's Real-ESRGAN-General-x4v3 shapes.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import image_inputs

INPUT: Final = "image"
OUTPUT: Final = "upscaled_image"
SEED: Final = 0
UPSCALE: Final = 4
SIZES: Final[dict[str, dict[str, int]]] = {
    "default": {"image_size": 128, "num_feat": 64, "num_conv": 32},
    "tiny": {"image_size": 32, "num_feat": 16, "num_conv": 4},
}


def _net(num_feat: int, num_conv: int) -> Any:
    import torch
    from torch import nn
    from torch.nn import functional

    class SRVGGNetCompact(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            body: list[nn.Module] = [nn.Conv2d(3, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
            for _ in range(num_conv):
                body += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
            body.append(nn.Conv2d(num_feat, 3 * UPSCALE * UPSCALE, 3, 1, 1))
            self.body = nn.ModuleList(body)
            self.upsampler = nn.PixelShuffle(UPSCALE)

        def forward(self, image: Any) -> Any:
            out = image
            for layer in self.body:
                out = layer(out)
            base = functional.interpolate(image, scale_factor=UPSCALE, mode="nearest")
            return self.upsampler(out) + base

    net = SRVGGNetCompact()
    with torch.no_grad():  # variance-preserving init through the PReLU chain (PReLU starts at slope 0.25)
        for layer in net.body:
            if isinstance(layer, nn.Conv2d):
                fan_in = layer.in_channels * 9
                layer.weight.normal_(0.0, float(np.sqrt(2.0 / (1 + 0.25**2) / fan_in)))
                if layer.bias is not None:
                    layer.bias.zero_()
        last = net.body[-1]
        assert isinstance(last, nn.Conv2d)
        last.weight.mul_(0.1)  # the residual branch adds detail to the upsampled image, not a new image
    return net.eval()


def build(size: str = "default") -> ZooModel:
    import torch

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    spec = SIZES[size]
    px = spec["image_size"]
    torch.manual_seed(SEED)
    net = _net(spec["num_feat"], spec["num_conv"])

    def calibration(component: str, n: int) -> list[Inputs]:
        return image_inputs("calibration", n, INPUT, px, seed=0, normalise="unit")

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return image_inputs("eval", n, INPUT, px, seed=1, normalise="unit")

    example = torch.from_numpy(image_inputs("eval", 1, INPUT, px, seed=2, normalise="unit")[0][INPUT])
    params = sum(int(np.prod(p.shape)) for p in net.parameters())
    return ZooModel(
        slug="real-esrgan-general-x4v3",
        name="Real-ESRGAN General x4v3 (random weights)",
        task="super-resolution",
        domain="computer-vision",
        license="BSD-3-Clause (the Real-ESRGAN code; these weights are random)",
        source_url="https://github.com/xinntao/Real-ESRGAN",
        description=f"Real-ESRGAN's SRVGGNetCompact x4 upscaler ({params / 1e6:.2f}M parameters), {px}x{px} RGB -> "
        f"{px * UPSCALE}x{px * UPSCALE}; the architecture of AI Hub's Real-ESRGAN-General-x4v3.",
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
            "weights": f"random: a fixed seed ({SEED}), variance-preserving conv initialisation, the last conv "
            "scaled by 0.1 (a residual over the upsampled input), no pretrained checkpoint. Upscaled images are "
            "the nearest-neighbour upscale plus noise; builds are judged by fidelity to FP32.",
            "architecture": {
                "config": "realesr-general-x4v3 (num_feat 64, num_conv 32, upscale 4, PReLU)"
                if size == "default"
                else f"reduced for tests ({size})",
                **spec,
                "parameters": params,
            },
            "inputs": {INPUT: [1, 3, px, px]},
            "outputs": {OUTPUT: [1, 3, px * UPSCALE, px * UPSCALE]},
            "preprocessing": "RGB, float in [0, 1]",
            "aihub_model": "real_esrgan_general_x4v3 (Real-ESRGAN-General-x4v3, 128x128, 1.21M parameters)",
            "calibration_data": "random crops of bundled photographs; evaluation uses a disjoint set",
        },
        task_metric=None,
    )
