"""Calibration graphs: transformers models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

from typing import Any

from registry.estimator.build_graphs import _detr, _img


def _openai_clip() -> tuple[Any, tuple[Any, ...]]:
    """CLIP ViT-B/16 as AI Hub exports it: both encoders in one graph, output the image-text cosine logits."""
    import torch
    import transformers

    text: dict[str, Any] = {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
                            "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408}  # fmt: skip
    vision: dict[str, Any] = {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                              "num_hidden_layers": 12, "patch_size": 16, "image_size": 224}  # fmt: skip
    cfg = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=512)
    clip = transformers.CLIPModel(cfg)

    def features(out: Any) -> Any:
        return out if isinstance(out, torch.Tensor) else out.pooler_output

    class OpenAIClip(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, image: Any, text: Any) -> Any:
            tokens = torch.clip(text, min=0, max=49407).long()
            t = features(self.clip.get_text_features(input_ids=tokens))
            t = t / t.norm(dim=1, keepdim=True)
            i = features(self.clip.get_image_features(pixel_values=image))
            i = self.clip.logit_scale.exp() * (i / i.norm(dim=1, keepdim=True))
            return i @ t.t()

    return OpenAIClip(), (*_img(224), torch.ones(1, 77, dtype=torch.int32))


def _trocr_encoder() -> tuple[Any, tuple[Any, ...]]:
    """trocr-small-stage1 encoder (DeiT-small, 384x384) plus the 6 decoder layers' cross-attention K/V projections."""
    import torch
    import transformers

    deit = transformers.DeiTConfig(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                   intermediate_size=1536, image_size=384, patch_size=16)  # fmt: skip
    encoder = transformers.DeiTModel(deit, add_pooling_layer=False)

    class TrOCREncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.k = torch.nn.ModuleList(torch.nn.Linear(384, 256) for _ in range(6))
            self.v = torch.nn.ModuleList(torch.nn.Linear(384, 256) for _ in range(6))

        def forward(self, pixel_values: Any) -> Any:
            h = self.encoder(pixel_values * 2 - 1).last_hidden_state
            out = []
            for k, v in zip(self.k, self.v, strict=True):
                out.append(k(h).view(1, -1, 8, 32).transpose(1, 2).contiguous())
                out.append(v(h).view(1, -1, 8, 32).transpose(1, 2).contiguous())
            return tuple(out)

    return TrOCREncoder(), _img(384)


def _detr_dc5(depths: list[int]) -> tuple[Any, tuple[Any, ...]]:
    """DETR with a dilated C5 stage (stride 16), plus AI Hub's normalisation and box / score post-processing."""
    import torch

    detr, inputs = _detr("DetrForObjectDetection", "DetrConfig", depths)
    model = detr.inner
    stage = model.model.backbone.model.encoder.stages[3]
    for i, block in enumerate(stage.layers):
        if i == 0:
            block.shortcut.convolution.stride = (1, 1)
            block.layer[1].convolution.stride = (1, 1)
        else:
            conv = block.layer[1].convolution
            conv.dilation, conv.padding = (2, 2), (2, 2)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    class DetrDC5(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, image: Any) -> Any:
            h, w = image.shape[-2:]
            out = self.model((image - mean) / std)
            scores, labels = torch.softmax(out.logits, -1)[..., :-1].max(-1)
            cx, cy, bw, bh = out.pred_boxes.unbind(-1)
            boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1)
            return boxes * torch.tensor([w, h, w, h]), scores, labels.int()

    return DetrDC5(), inputs


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    same = "same architecture and input (random weights); {} params vs {} published"
    return {
        ("openai_clip", "OpenAI-Clip"): (
            _openai_clip,
            same.format("149.6M", "150M") + "; image + text encoders, 224x224 image and 77 tokens in one graph",
        ),
        ("trocr", "TrOCREncoder"): (
            _trocr_encoder,
            same.format("23.0M", "23.0M") + "; 384x384 (AI Hub's input spec), outputs the cross-attention KV cache",
        ),
        ("detr_resnet50_dc5", "DETR-ResNet50-DC5"): (
            lambda: _detr_dc5([3, 4, 6, 3]),
            same.format("41.5M", "~40M (160 MB)") + "; 480x480, dilated stage 4, with post-processing",
        ),
        ("detr_resnet101_dc5", "DETR-ResNet101-DC5"): (
            lambda: _detr_dc5([3, 4, 23, 3]),
            same.format("60.5M", "~58M (232 MB)") + "; 480x480, dilated stage 4, with post-processing",
        ),
    }
