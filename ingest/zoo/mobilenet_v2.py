"""mobilenet-v2: MobileNetV2 image classification from a transformers config, with RANDOM weights.

No pretrained checkpoint is installed as a package, and nothing is downloaded, so the weights are
transformers' random initialisation. With those alone every activation shrinks layer after layer (logits of
~1e-22, the same class for every image), which would make quantization error meaningless; so the BatchNorm
running statistics are recomputed from forward passes over real bundled photographs (the weights stay random).
Builds are judged by fidelity to the FP32 model, not by accuracy.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, ZooModel
from ingest.zoo.images import image_inputs, recalibrate_batchnorm

INPUT: Final = "pixel_values"
OUTPUT: Final = "logits"
SEED: Final = 0
BN_IMAGES: Final = 32
SIZES: Final = {
    "default": {"image_size": 224, "depth_multiplier": 1.0},
    "tiny": {"image_size": 64, "depth_multiplier": 0.35},
}


def _logits_only(model: Any) -> Any:
    from torch import nn

    class LogitsOnly(nn.Module):
        """transformers returns a ModelOutput; export a plain ``pixel_values -> logits`` graph."""

        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values: Any) -> Any:
            return self.inner(pixel_values=pixel_values, return_dict=True).logits

    return LogitsOnly(model).eval()


def build(size: str = "default") -> ZooModel:
    import torch
    from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

    if size not in SIZES:
        from registry.errors import InvalidInput

        raise InvalidInput(f"Unknown size {size!r} for this zoo model.", hint=f"Choose one of {sorted(SIZES)}.")
    spec = SIZES[size]
    px = int(spec["image_size"])
    config = MobileNetV2Config(image_size=px, depth_multiplier=spec["depth_multiplier"])
    config.num_labels = 1000
    torch.manual_seed(SEED)
    model = MobileNetV2ForImageClassification(config)
    model.train(False)
    bn_images = recalibrate_batchnorm(
        model, [x[INPUT] for x in image_inputs("calibration", BN_IMAGES, INPUT, px, seed=1000)]
    )
    module = _logits_only(model)

    def calibration(component: str, n: int) -> list[Inputs]:
        return image_inputs("calibration", n, INPUT, px, seed=0)

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        return image_inputs("eval", n, INPUT, px, seed=1)

    example = torch.from_numpy(image_inputs("eval", 1, INPUT, px, seed=2)[0][INPUT])
    params = sum(int(np.prod(p.shape)) for p in model.parameters())
    return ZooModel(
        slug="mobilenet-v2",
        name="MobileNetV2",
        task="image-classification",
        domain="computer-vision",
        license="Apache-2.0",
        source_url="https://huggingface.co/docs/transformers/model_doc/mobilenet_v2",
        description="MobileNetV2 (Sandler et al. 2018) image classifier, 1000 classes, built from the "
        "transformers MobileNetV2 configuration.",
        weights="random",
        components=[
            Component(
                name="model",
                module=module,
                example_inputs={INPUT: example},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "random: transformers' initialisation (seed 0), no pretrained checkpoint; BatchNorm "
            f"running statistics recomputed on {bn_images} crops of bundled scikit-image/scikit-learn photos. "
            "Predictions are meaningless; builds are judged by fidelity to FP32.",
            "config": {"num_labels": 1000, **spec},
            "parameters": params,
            "input": f"{INPUT}: float32 [1, 3, {px}, {px}], RGB, ImageNet mean/std normalised",
            "output": f"{OUTPUT}: float32 [1, 1000]",
            "calibration": "random resized crops of bundled photos (scikit-image, scikit-learn); evaluation "
            "uses a disjoint set of photos",
        },
        task_metric=None,
    )
