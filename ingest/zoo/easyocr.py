"""easyocr: EasyOCR's two networks as AI Hub ships them, a CRAFT text detector and a CRNN recognizer, RANDOM weights.

- ``detector``: CRAFT (Baek et al. 2019, ``easyocr.craft.CRAFT``): a VGG16-BN backbone whose pool5/fc6/fc7 are a
  3x3 max pool and a dilated (6) 3x3 conv to 1024 channels then a 1x1 conv, a U-Net of four ``double_conv``
  blocks with bilinear upsampling, and a head to two maps (text region and affinity). ``image`` float32
  [1, 3, H, W] RGB in [0, 1] (ImageNet normalisation inside, as in AI Hub's export) -> ``results`` float32
  [1, H/2, W/2, 2].
- ``recognizer``: EasyOCR's generation-2 CRNN (``easyocr.model.model.Model`` for English, ``english_g2``): a
  VGG-style feature extractor (32-64-128-256 channels) pooled over height, two bidirectional LSTMs of 256 units
  and a linear CTC head over 96 characters plus blank. ``image`` float32 [1, 1, 64, 800] grey in [0, 1]
  ((x - 0.5) / 0.5 inside) -> ``output_preds`` float32 [1, 199, 97].

No checkpoint ships in a package and nothing is downloaded, so the weights are a fixed seed's (BatchNorm statistics
recomputed on bundled photographs); builds are judged by fidelity to FP32, never by text accuracy.

Reduction: the detector's default input is 304x400, half AI Hub's 608x800 per side (a quarter of the pixels and
of the ~170 GMACs): at 608x800 one FP32 run took 25-50 s on a busy 2-core host and the host profile ran out of
time. The layers are unchanged (CRAFT is fully convolutional). So only the recognizer's published figures are
mapped for ``registry import-published``: a detector figure measured at 608x800 would anchor the estimates of a
graph four times smaller.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import IMAGENET_MEAN, IMAGENET_STD, random_crops, recalibrate_batchnorm, unit_tensor

SEED: Final = 0
BN_IMAGES: Final = 4
CHARACTERS: Final = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SIZES: Final[dict[str, dict[str, Any]]] = {
    # the recognizer at AI Hub's 64x800; the detector at half AI Hub's 608x800 per side (see the module docstring)
    "default": {"det": (304, 400), "rec": (64, 800), "vgg": (64, 128, 256, 512), "rec_channels": 256, "hidden": 256},
    "tiny": {"det": (64, 96), "rec": (64, 96), "vgg": (8, 16, 32, 64), "rec_channels": 32, "hidden": 32},
}


def _craft(vgg: tuple[int, int, int, int]) -> Any:
    import torch
    from torch import nn
    from torch.nn import functional

    c1, c2, c3, c4 = vgg
    fc = c4 * 2

    def conv_bn(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    # torchvision's vgg16_bn feature list, cut where CRAFT's five slices end
    features: list[nn.Module] = [*conv_bn(3, c1), *conv_bn(c1, c1), nn.MaxPool2d(2, 2)]
    features += [*conv_bn(c1, c2), *conv_bn(c2, c2), nn.MaxPool2d(2, 2)]
    features += [*conv_bn(c2, c3), *conv_bn(c3, c3), *conv_bn(c3, c3), nn.MaxPool2d(2, 2)]
    features += [*conv_bn(c3, c4), *conv_bn(c4, c4), *conv_bn(c4, c4), nn.MaxPool2d(2, 2)]
    features += [*conv_bn(c4, c4), *conv_bn(c4, c4), *conv_bn(c4, c4)]

    def double_conv(cin: int, mid: int, cout: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin + mid, mid, 1),
            nn.BatchNorm2d(mid),
            nn.ReLU(),
            nn.Conv2d(mid, cout, 3, padding=1),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        )

    class CRAFT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
            self.slice1 = nn.Sequential(*features[0:12])  # to conv2_2's BatchNorm
            self.slice2 = nn.Sequential(*features[12:19])  # to conv3_2's
            self.slice3 = nn.Sequential(*features[19:29])  # to conv4_2's
            self.slice4 = nn.Sequential(*features[29:39])  # to conv5_2's
            self.slice5 = nn.Sequential(
                nn.MaxPool2d(3, 1, 1), nn.Conv2d(c4, fc, 3, padding=6, dilation=6), nn.Conv2d(fc, fc, 1)
            )
            self.upconv1 = double_conv(fc, c4, c3)
            self.upconv2 = double_conv(c4, c3, c2)
            self.upconv3 = double_conv(c3, c2, c1)
            self.upconv4 = double_conv(c2, c1, c1 // 2)
            h = c1 // 2
            self.conv_cls = nn.Sequential(
                nn.Conv2d(h, h, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(h, h, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(h, h // 2, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(h // 2, h // 2, 1),
                nn.ReLU(),
                nn.Conv2d(h // 2, 2, 1),
            )

        def forward(self, image: Any) -> Any:
            s1 = self.slice1((image - self.mean) / self.std)
            s2 = self.slice2(s1)
            s3 = self.slice3(s2)
            s4 = self.slice4(s3)
            s5 = self.slice5(s4)
            y = self.upconv1(torch.cat([s5, s4], dim=1))
            for up, skip in ((self.upconv2, s3), (self.upconv3, s2), (self.upconv4, s1)):
                y = functional.interpolate(y, size=skip.shape[2:], mode="bilinear", align_corners=False)
                y = up(torch.cat([y, skip], dim=1))
            return self.conv_cls(y).permute(0, 2, 3, 1)

    return CRAFT()


def _crnn(channels: int, hidden: int, num_class: int) -> Any:
    from torch import nn

    oc = [channels // 8, channels // 4, channels // 2, channels]

    class BidirectionalLSTM(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.rnn = nn.LSTM(cin, hidden, bidirectional=True, batch_first=True)
            self.linear = nn.Linear(hidden * 2, cout)

        def forward(self, x: Any) -> Any:
            return self.linear(self.rnn(x)[0])

    class CRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ConvNet = nn.Sequential(
                nn.Conv2d(1, oc[0], 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(oc[0], oc[1], 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(oc[1], oc[2], 3, 1, 1), nn.ReLU(),
                nn.Conv2d(oc[2], oc[2], 3, 1, 1), nn.ReLU(), nn.MaxPool2d((2, 1), (2, 1)),
                nn.Conv2d(oc[2], oc[3], 3, 1, 1, bias=False), nn.BatchNorm2d(oc[3]), nn.ReLU(),
                nn.Conv2d(oc[3], oc[3], 3, 1, 1, bias=False), nn.BatchNorm2d(oc[3]), nn.ReLU(),
                nn.MaxPool2d((2, 1), (2, 1)),
                nn.Conv2d(oc[3], oc[3], 2, 1, 0), nn.ReLU(),
            )  # fmt: skip
            self.SequenceModeling = nn.Sequential(
                BidirectionalLSTM(channels, hidden), BidirectionalLSTM(hidden, hidden)
            )
            self.Prediction = nn.Linear(hidden, num_class)

        def forward(self, image: Any) -> Any:
            x = self.ConvNet((image - 0.5) / 0.5)  # [b, c, h', w']
            x = x.permute(0, 3, 1, 2).mean(dim=3)  # AdaptiveAvgPool2d((None, 1)) over height: [b, w', c]
            return self.Prediction(self.SequenceModeling(x))

    return CRNN()


def _det_inputs(pool: str, n: int, size: tuple[int, int], seed: int) -> list[Inputs]:
    return [{"image": unit_tensor(c)} for c in random_crops(pool, n, size[0], size[1], seed)]


def _rec_inputs(pool: str, n: int, size: tuple[int, int], seed: int) -> list[Inputs]:
    """Grey strips, as the detector's crops reach the recognizer (a wide, short band of a bundled photo)."""
    out = []
    for crop in random_crops(pool, n, size[0], size[1], seed):
        grey = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32) / 255.0
        out.append({"image": np.ascontiguousarray(grey[None, None])})
    return out


def build(size: str = "default") -> ZooModel:
    import torch

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    spec = SIZES[size]
    det, rec = tuple(spec["det"]), tuple(spec["rec"])
    torch.manual_seed(SEED)
    detector = _craft(tuple(spec["vgg"]))
    recognizer = _crnn(int(spec["rec_channels"]), int(spec["hidden"]), len(CHARACTERS) + 1)
    bn_det = recalibrate_batchnorm(
        detector, [x["image"] for x in _det_inputs("calibration", BN_IMAGES, det, seed=1000)], batch=1
    )
    recalibrate_batchnorm(recognizer, [x["image"] for x in _rec_inputs("calibration", 16, rec, seed=1000)])
    samples = {"detector": _det_inputs, "recognizer": _rec_inputs}
    shapes = {"detector": det, "recognizer": rec}

    def calibration(component: str, n: int) -> list[Inputs]:
        return samples[component]("calibration", n, shapes[component], 0)

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return samples[component]("eval", n, shapes[component], 1)

    components = [
        Component(
            name=name,
            module=module,
            example_inputs={"image": torch.from_numpy(samples[name]("eval", 1, shapes[name], 2)[0]["image"])},
            output_names=[output],
            exporters=("legacy", "dynamo"),
        )
        for name, module, output in (("detector", detector, "results"), ("recognizer", recognizer, "output_preds"))
    ]
    det_params = sum(int(np.prod(p.shape)) for p in detector.parameters())
    rec_params = sum(int(np.prod(p.shape)) for p in recognizer.parameters())
    steps = rec[1] // 4 - 1
    return ZooModel(
        slug="easyocr",
        name="EasyOCR (CRAFT + CRNN, random weights)",
        task="ocr",
        domain="computer-vision",
        license="Apache-2.0 (the EasyOCR code; these weights are random)",
        source_url="https://github.com/JaidedAI/EasyOCR",
        description=f"EasyOCR's text detector (CRAFT, {det_params / 1e6:.1f}M parameters, {det[0]}x{det[1]}) and "
        f"English recognizer (CRNN, {rec_params / 1e6:.2f}M parameters, {rec[0]}x{rec[1]} grey strip, CTC over "
        f"{len(CHARACTERS)} characters); the two components of AI Hub's EasyOCR.",
        weights="random",
        components=components,
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": f"random: a fixed seed ({SEED}), no pretrained checkpoint; BatchNorm running statistics "
            f"recomputed on {bn_det} detector crops and 16 recognizer strips of bundled photos. Score maps and "
            "character predictions are meaningless; builds are judged by fidelity to FP32, never by text accuracy.",
            "architecture": {
                "config": "CRAFT (vgg16_bn) + english_g2 CRNN" if size == "default" else f"reduced for tests ({size})",
                "detector_parameters": det_params,
                "recognizer_parameters": rec_params,
                "characters": len(CHARACTERS),
            },
            "inputs": {"detector.image": [1, 3, *det], "recognizer.image": [1, 1, *rec]},
            "outputs": {
                "detector.results": [1, det[0] // 2, det[1] // 2, 2],
                "recognizer.output_preds": [1, steps, len(CHARACTERS) + 1],
            },
            "preprocessing": "detector: RGB in [0, 1], ImageNet mean/std inside; recognizer: grey in [0, 1], "
            "(x - 0.5) / 0.5 inside",
            "aihub_model": "easyocr (EasyOCRDetector 608x800, 20.8M parameters; EasyOCRRecognizer 64x800, 3.84M)",
            "reduction": f"detector input {det[0]}x{det[1]} instead of AI Hub's 608x800 (same layers, a quarter of "
            "the compute), so that ingest stays within minutes on a 2-core host; only the recognizer's published "
            "figures are mapped",
            "calibration_data": "random crops of bundled photographs (grey strips for the recognizer); evaluation "
            "uses a disjoint set",
        },
        task_metric=None,
    )
