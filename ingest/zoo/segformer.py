"""SegFormer-B0 semantic segmentation (ADE20k's 150 classes) from a transformers SegformerConfig (random weights).

One component, ``model``: ``pixel_values`` [1, 3, size, size] (ImageNet-normalized) -> ``logits``
[1, 150, size / 4, size / 4]. Calibration and evaluation images are random crops of the photographs bundled
with scikit-image and scikit-learn (``ingest.zoo.images``), from disjoint pools."""

from __future__ import annotations

import os
from typing import Any

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, ZooModel, check_size
from ingest.zoo.images import image_inputs

NUM_LABELS = 150  # ADE20k
CONFIGS: dict[str, dict[str, Any]] = {
    # MiT-b0 encoder + all-MLP decode head, as published for segformer-b0-finetuned-ade-512-512.
    "default": {
        "image_size": 512,
        "hidden_sizes": [32, 64, 160, 256],
        "depths": [2, 2, 2, 2],
        "num_attention_heads": [1, 2, 5, 8],
        "decoder_hidden_size": 256,
    },
    "tiny": {
        "image_size": 64,
        "hidden_sizes": [16, 32, 48, 64],
        "depths": [1, 1, 1, 1],
        "num_attention_heads": [1, 1, 2, 2],
        "decoder_hidden_size": 64,
    },
}
SEED = 0


def _logits_only(segformer: Any) -> Any:
    import torch

    class SegformerLogits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.segformer = segformer

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            logits: torch.Tensor = self.segformer(pixel_values=pixel_values).logits
            return logits

    return SegformerLogits().eval()


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    c = dict(CONFIGS[size])
    image_size = c.pop("image_size")
    config: Any = SegformerConfig(**c)
    config.num_labels = NUM_LABELS
    torch.manual_seed(SEED)
    segformer: Any = SegformerForSemanticSegmentation(config)
    segformer.eval()
    module = _logits_only(segformer)

    def calibration(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return image_inputs("calibration", n, "pixel_values", image_size, seed=SEED)

    def eval_inputs(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return image_inputs("eval", n, "pixel_values", image_size, seed=SEED + 1)

    example = eval_inputs("model", 1)[0]
    component = Component(
        name="model",
        module=module,
        example_inputs={"pixel_values": torch.from_numpy(example["pixel_values"])},
        output_names=["logits"],
    )
    params = sum(p.numel() for p in segformer.parameters())
    out_size = image_size // 4
    return ZooModel(
        slug="segformer-b0",
        name="SegFormer-B0 (random weights)",
        task="semantic-segmentation",
        domain="computer-vision",
        license="other (NVIDIA SegFormer licence); weights random here",
        source_url="https://huggingface.co/nvidia/segformer-b0-finetuned-ade-512-512",
        description=(
            f"SegFormer-B0 (MiT-b0 encoder, all-MLP decoder, {params / 1e6:.1f}M parameters) with random "
            f"weights, {image_size}x{image_size} input, {NUM_LABELS} ADE20k classes at 1/4 resolution."
        ),
        weights="random",
        components=[component],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "random: the SegFormer-B0 architecture initialized from a fixed seed, not trained; its "
            "masks are meaningless, builds are judged by fidelity to FP32 only",
            "architecture": {**c, "num_labels": NUM_LABELS, "parameters": params},
            "inputs": {"pixel_values": [1, 3, image_size, image_size]},
            "outputs": {"logits": [1, NUM_LABELS, out_size, out_size]},
            "preprocessing": "RGB, resize to the input size, ImageNet mean/std",
            "calibration_data": "random crops of scikit-image / scikit-learn bundled photographs",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=ALL_PRECISIONS,
    )


def _check(component_name: str) -> None:
    if component_name != "model":
        raise KeyError(f"segformer-b0 has one component, 'model', not {component_name!r}")
