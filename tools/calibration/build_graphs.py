"""Build the calibration graphs: the models of ``aihub_published_perf.csv`` that can be instantiated offline
(transformers / diffusers configs with random weights, or small torch definitions here), exported to ONNX at the
input resolution of ``aihub_models_info.csv``, and reduced to their cost summaries in
``registry/estimator/data/calibration_graphs.json``. Random weights change nothing in the cost: only shapes count.

    python -m tools.calibration.build_graphs [--only MODEL_ID ...]

Needs the ``ml`` extra (torch, transformers, diffusers). Fitting reads only the JSON. A development tool: it lives
outside the ``registry`` package so the wheel ships the fitted data, never these model definitions;
``python -m tools.calibration`` runs it and then the fit.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry.estimator.fit import GRAPHS_FILE as DATA_FILE

Builder = Callable[[], tuple[Any, tuple[Any, ...]]]


# --- small torch definitions ---------------------------------------------------------------------------------------


def torch_nn() -> Any:
    import torch

    return torch.nn


def conv_bn_act(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1, act: str = "relu") -> Any:
    nn = torch_nn()
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act == "relu":
        layers.append(nn.ReLU())
    elif act == "hswish":
        layers.append(nn.Hardswish())
    return nn.Sequential(*layers)


def _mobilenet_v3(large: bool) -> Any:
    """torchvision's MobileNetV3 layout (Howard et al. 2019, tables 1 and 2)."""
    import torch

    nn = torch_nn()

    class SE(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, c: int) -> None:
            super().__init__()
            sq = max(8, (c // 4 + 4) // 8 * 8)
            self.fc1, self.fc2 = nn.Conv2d(c, sq, 1), nn.Conv2d(sq, c, 1)

        def forward(self, x: Any) -> Any:
            s = torch.nn.functional.adaptive_avg_pool2d(x, 1)
            return x * torch.nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s))))

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, k: int, exp: int, cout: int, se: bool, act: str, s: int) -> None:
            super().__init__()
            layers: list[Any] = []
            if exp != cin:
                layers.append(conv_bn_act(cin, exp, 1, act=act))
            layers.append(conv_bn_act(exp, exp, k, s, groups=exp, act=act))
            if se:
                layers.append(SE(exp))
            layers.append(conv_bn_act(exp, cout, 1, act="none"))
            self.body, self.res = nn.Sequential(*layers), s == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            y = self.body(x)
            return x + y if self.res else y

    large_cfg = [(16, 3, 16, 16, False, "relu", 1), (16, 3, 64, 24, False, "relu", 2),
                 (24, 3, 72, 24, False, "relu", 1),
                 (24, 5, 72, 40, True, "relu", 2), (40, 5, 120, 40, True, "relu", 1), (40, 5, 120, 40, True, "relu", 1),
                 (40, 3, 240, 80, False, "hswish", 2), (80, 3, 200, 80, False, "hswish", 1),
                 (80, 3, 184, 80, False, "hswish", 1), (80, 3, 184, 80, False, "hswish", 1),
                 (80, 3, 480, 112, True, "hswish", 1), (112, 3, 672, 112, True, "hswish", 1),
                 (112, 5, 672, 160, True, "hswish", 2), (160, 5, 960, 160, True, "hswish", 1),
                 (160, 5, 960, 160, True, "hswish", 1)]  # fmt: skip
    small_cfg = [(16, 3, 16, 16, True, "relu", 2), (16, 3, 72, 24, False, "relu", 2), (24, 3, 88, 24, False, "relu", 1),
                 (24, 5, 96, 40, True, "hswish", 2), (40, 5, 240, 40, True, "hswish", 1),
                 (40, 5, 240, 40, True, "hswish", 1), (40, 5, 120, 48, True, "hswish", 1),
                 (48, 5, 144, 48, True, "hswish", 1), (48, 5, 288, 96, True, "hswish", 2),
                 (96, 5, 576, 96, True, "hswish", 1), (96, 5, 576, 96, True, "hswish", 1)]  # fmt: skip
    cfg = large_cfg if large else small_cfg
    last = 960 if large else 576
    head = 1280 if large else 1024
    return nn.Sequential(
        conv_bn_act(3, 16, 3, 2, act="hswish"),
        *[Block(*c) for c in cfg],
        conv_bn_act(cfg[-1][3], last, 1, act="hswish"),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(last, head),
        nn.Hardswish(),
        nn.Linear(head, 1000),
    )


def _quicksrnet(channels: int, hidden: int, scale: int = 4) -> Any:
    """QuickSRNet (Berger et al. 2023), as AI Hub builds it (x4): plain 3x3 convs with ReLU, the input repeated
    scale^2 times added as an anchor, then depth-to-space."""

    nn = torch_nn()

    class QuickSRNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            layers: list[Any] = [nn.Conv2d(3, channels, 3, padding=1), nn.ReLU()]
            for _ in range(hidden):
                layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()]
            layers.append(nn.Conv2d(channels, 3 * scale * scale, 3, padding=1))
            self.body = nn.Sequential(*layers)
            self.shuffle = nn.PixelShuffle(scale)

        def forward(self, x: Any) -> Any:
            anchor = x.repeat(1, scale * scale, 1, 1)  # cost as repeat_interleave: one copy per output channel
            return self.shuffle(self.body(x) + anchor)

    return QuickSRNet()


def _srvgg(num_feat: int = 64, num_conv: int = 32, scale: int = 4) -> Any:
    """Real-ESRGAN's SRVGGNetCompact (realesr-general-x4v3)."""
    nn = torch_nn()
    layers: list[Any] = [nn.Conv2d(3, num_feat, 3, padding=1), nn.PReLU(num_feat)]
    for _ in range(num_conv):
        layers += [nn.Conv2d(num_feat, num_feat, 3, padding=1), nn.PReLU(num_feat)]
    layers += [nn.Conv2d(num_feat, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
    return nn.Sequential(*layers)


def _rrdbnet(nf: int = 64, nb: int = 23, gc: int = 32) -> Any:
    """ESRGAN's RRDBNet (Wang et al. 2018), x4."""
    import torch

    nn = torch_nn()

    class RDB(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.convs = nn.ModuleList([nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, padding=1) for i in range(5)])

        def forward(self, x: Any) -> Any:
            feats = [x]
            for i, conv in enumerate(self.convs):
                y = conv(torch.cat(feats, 1))
                if i < 4:
                    feats.append(torch.nn.functional.leaky_relu(y, 0.2))
            return x + 0.2 * y

    class RRDB(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(RDB(), RDB(), RDB())

        def forward(self, x: Any) -> Any:
            return x + 0.2 * self.body(x)

    class Net(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Conv2d(3, nf, 3, padding=1)
            self.body = nn.Sequential(*[RRDB() for _ in range(nb)])
            self.body_conv = nn.Conv2d(nf, nf, 3, padding=1)
            self.up1, self.up2 = nn.Conv2d(nf, nf, 3, padding=1), nn.Conv2d(nf, nf, 3, padding=1)
            self.hr, self.last = nn.Conv2d(nf, nf, 3, padding=1), nn.Conv2d(nf, 3, 3, padding=1)

        def forward(self, x: Any) -> Any:
            f = self.first(x)
            f = f + self.body_conv(self.body(f))
            act = torch.nn.functional.leaky_relu
            f = act(self.up1(torch.nn.functional.interpolate(f, scale_factor=2.0, mode="nearest")), 0.2)
            f = act(self.up2(torch.nn.functional.interpolate(f, scale_factor=2.0, mode="nearest")), 0.2)
            return self.last(act(self.hr(f), 0.2))

    return Net()


def _unet_carvana() -> Any:
    """milesial/Pytorch-UNet (bilinear=False), 3 -> 2 classes."""
    import torch

    nn = torch_nn()

    def double(cin: int, cout: int) -> Any:
        return nn.Sequential(conv_bn_act(cin, cout), conv_bn_act(cout, cout))

    class UNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            ch = [64, 128, 256, 512, 1024]
            self.inc = double(3, 64)
            self.downs = nn.ModuleList([double(ch[i], ch[i + 1]) for i in range(4)])
            self.ups = nn.ModuleList([nn.ConvTranspose2d(ch[i + 1], ch[i], 2, 2) for i in reversed(range(4))])
            self.up_convs = nn.ModuleList([double(ch[i + 1], ch[i]) for i in reversed(range(4))])
            self.out = nn.Conv2d(64, 2, 1)

        def forward(self, x: Any) -> Any:
            skips = [self.inc(x)]
            for d in self.downs:
                skips.append(d(torch.nn.functional.max_pool2d(skips[-1], 2)))
            y = skips.pop()
            for up, conv in zip(self.ups, self.up_convs, strict=True):
                y = conv(torch.cat([skips.pop(), up(y)], 1))
            return self.out(y)

    return UNet()


def _video_resnet(kind: str) -> Any:
    """torchvision's r3d_18, mc3_18 and r2plus1d_18 (Tran et al. 2018), 400 classes."""
    nn = torch_nn()

    def conv(cin: int, cout: int, stride: int, layer: int, mid: int) -> Any:
        full3d = kind == "r3d" or (kind == "mc3" and layer == 0)
        if kind == "r2plus1d":
            return nn.Sequential(
                nn.Conv3d(cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
                nn.BatchNorm3d(mid),
                nn.ReLU(),
                nn.Conv3d(mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False),
            )
        if full3d:
            return nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
        return nn.Conv3d(cin, cout, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, stride: int, layer: int) -> None:
            super().__init__()
            mid = (cin * cout * 27) // (cin * 9 + 3 * cout)  # torchvision: both (2+1)D convs of a block use it
            self.c1 = nn.Sequential(conv(cin, cout, stride, layer, mid), nn.BatchNorm3d(cout), nn.ReLU())
            self.c2 = nn.Sequential(conv(cout, cout, 1, layer, mid), nn.BatchNorm3d(cout))
            # mc3's (1,3,3) layers downsample space only, so their shortcut does too
            down_stride = (1, stride, stride) if kind == "mc3" and layer > 0 else (stride, stride, stride)
            self.down = (
                nn.Sequential(nn.Conv3d(cin, cout, 1, down_stride, bias=False), nn.BatchNorm3d(cout))
                if stride != 1 or cin != cout
                else nn.Identity()
            )

        def forward(self, x: Any) -> Any:
            return (self.c2(self.c1(x)) + self.down(x)).relu()

    stem = (
        nn.Sequential(nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False), nn.BatchNorm3d(45), nn.ReLU(),
                      nn.Conv3d(45, 64, (3, 1, 1), 1, (1, 0, 0), bias=False), nn.BatchNorm3d(64), nn.ReLU())
        if kind == "r2plus1d"
        else nn.Sequential(nn.Conv3d(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False), nn.BatchNorm3d(64), nn.ReLU())
    )  # fmt: skip
    layers: list[Any] = [stem]
    cin = 64
    for i, cout in enumerate([64, 128, 256, 512]):
        stride = 1 if i == 0 else 2
        layers += [Block(cin, cout, stride, i), Block(cout, cout, 1, i)]
        cin = cout
    layers += [nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(512, 400)]
    return nn.Sequential(*layers)


# --- the calibration set -------------------------------------------------------------------------------------------


def img(h: int, w: int | None = None, c: int = 3) -> tuple[Any, ...]:
    import torch

    return (torch.zeros(1, c, h, w or h),)


def _hf(cls_name: str, config_name: str, **kwargs: Any) -> Any:
    import transformers

    config = getattr(transformers, config_name)(**kwargs)
    model = getattr(transformers, cls_name)(config)
    return model


def _tokens(n: int) -> tuple[Any, ...]:
    import torch

    return (torch.ones(1, n, dtype=torch.long),)


def _first_output(model: Any) -> Any:
    """Wrap a transformers model so that tracing sees one tensor output."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *args: Any) -> Any:
            out = self.inner(*args)
            if isinstance(out, tuple | list):
                return out[0]
            for key in ("logits", "predicted_depth", "last_hidden_state", "sample", "pred_boxes"):
                if getattr(out, key, None) is not None:
                    return getattr(out, key)
            return out[0]

    return Wrapped()


def whisper_encoder(
    d: int, layers: int, heads: int, mels: int = 80, decoder_layers: int | None = None
) -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's HfWhisperEncoder: the encoder, then every decoder layer's cross-attention key and value projections
    of its output (the cross-attention cache the decoder steps read), as its outputs."""
    import torch

    nn = torch_nn()
    dec = decoder_layers or layers
    m = _hf("WhisperModel", "WhisperConfig", d_model=d, encoder_layers=layers, encoder_attention_heads=heads,
            decoder_layers=dec, decoder_attention_heads=heads, encoder_ffn_dim=4 * d, decoder_ffn_dim=4 * d,
            num_mel_bins=mels)  # fmt: skip

    class EncoderWithCache(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = m.get_encoder()
            self.cross = nn.ModuleList([layer.encoder_attn for layer in m.get_decoder().layers])

        def forward(self, features: Any) -> Any:
            h = self.encoder(features)[0]
            out = []
            for attn in self.cross:
                out += [attn.k_proj(h), attn.v_proj(h)]
            return tuple(out)

    return EncoderWithCache(), (torch.zeros(1, mels, 3000),)


def _marian_encoder() -> tuple[Any, tuple[Any, ...]]:
    m = _hf("MarianMTModel", "MarianConfig", vocab_size=65001, d_model=512, encoder_layers=6, decoder_layers=6,
            encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
            pad_token_id=65000, decoder_start_token_id=65000)  # fmt: skip
    return _first_output(m.get_encoder()), _tokens(256)


def _depth_anything() -> tuple[Any, tuple[Any, ...]]:
    import transformers

    dino: dict[str, Any] = {"hidden_size": 384, "num_attention_heads": 6, "num_hidden_layers": 12, "image_size": 518,
                            "out_indices": [9, 10, 11, 12], "reshape_hidden_states": False}  # fmt: skip
    backbone = transformers.Dinov2Config(**dino)
    cfg = transformers.DepthAnythingConfig(
        backbone_config=backbone,
        fusion_hidden_size=64,
        neck_hidden_sizes=[48, 96, 192, 384],
        reassemble_hidden_size=384,
    )
    return _first_output(transformers.DepthAnythingForDepthEstimation(cfg)), img(518)


def detr_model(cls: str, config: str, depths: list[int]) -> tuple[Any, tuple[Any, ...]]:
    """DETR with transformers' own ResNet backbone (its ``dilation`` option needs timm, so no DC5 variants)."""
    import transformers

    resnet: dict[str, Any] = {"depths": depths, "out_features": ["stage4"]}
    backbone = transformers.ResNetConfig(**resnet)
    m = _hf(cls, config, use_timm_backbone=False, backbone_config=backbone, use_pretrained_backbone=False,
            num_labels=91)  # fmt: skip
    return _first_output(m), img(480)


def sd_text_encoder(hidden: int, layers: int, heads: int, ffn: int) -> tuple[Any, tuple[Any, ...]]:
    m = _hf("CLIPTextModel", "CLIPTextConfig", hidden_size=hidden, num_hidden_layers=layers,
            num_attention_heads=heads, intermediate_size=ffn, max_position_embeddings=77)  # fmt: skip
    return _first_output(m), _tokens(77)


def sd_vae_decoder() -> tuple[Any, tuple[Any, ...]]:
    import diffusers
    import torch

    vae = diffusers.AutoencoderKL(  # type: ignore[no-untyped-call]
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2,
    )  # fmt: skip

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vae = vae

        def forward(self, z: Any) -> Any:
            return self.vae.decode(z).sample  # type: ignore[attr-defined]

    return Decoder(), (torch.zeros(1, 4, 64, 64),)


def specs() -> dict[tuple[str, str], tuple[Builder, str]]:
    """(model_id, component) -> (builder, how faithful the graph is to the published one)."""
    exact = "same architecture and input size (random weights)"
    s: dict[tuple[str, str], tuple[Builder, str]] = {
        ("bert_base_uncased_hf", "Bert-Base-Uncased-Hf"): (
            lambda: (_first_output(_hf("BertModel", "BertConfig")), _tokens(384)),
            exact,
        ),
        ("nomic_embed_text", "Nomic-Embed-Text"): (
            lambda: (_first_output(_hf("BertModel", "BertConfig", hidden_act="silu")), _tokens(128)),
            "approximation: BERT-base shape (nomic-bert adds rotary embeddings and SwiGLU)",
        ),
        ("vit", "VIT"): (
            lambda: (_first_output(_hf("ViTForImageClassification", "ViTConfig", num_labels=1000)), img(224)),
            exact,
        ),
        ("convnext_tiny", "ConvNext-Tiny"): (
            lambda: (
                _first_output(_hf("ConvNextForImageClassification", "ConvNextConfig", num_labels=1000)),
                img(224),
            ),
            exact,
        ),
        ("resnet18", "ResNet18"): (
            lambda: (
                _first_output(
                    _hf(
                        "ResNetForImageClassification",
                        "ResNetConfig",
                        depths=[2, 2, 2, 2],
                        hidden_sizes=[64, 128, 256, 512],
                        layer_type="basic",
                        num_labels=1000,
                    )
                ),
                img(224),
            ),
            exact,
        ),
        ("resnet50", "ResNet50"): (
            lambda: (_first_output(_hf("ResNetForImageClassification", "ResNetConfig", num_labels=1000)), img(224)),
            exact,
        ),
        ("efficientnet_b0", "EfficientNet-B0"): (
            lambda: (
                _first_output(
                    _hf(
                        "EfficientNetForImageClassification",
                        "EfficientNetConfig",
                        image_size=224,
                        width_coefficient=1.0,
                        depth_coefficient=1.0,
                        hidden_dim=1280,
                        num_labels=1000,
                    )
                ),
                img(224),
            ),
            exact,
        ),
        ("efficientnet_b4", "EfficientNet-B4"): (
            lambda: (
                _first_output(
                    _hf(
                        "EfficientNetForImageClassification",
                        "EfficientNetConfig",
                        image_size=380,
                        width_coefficient=1.4,
                        depth_coefficient=1.8,
                        hidden_dim=1792,
                        num_labels=1000,
                    )
                ),
                img(380),
            ),
            exact,
        ),
        ("mobilenet_v2", "MobileNet-v2"): (
            lambda: (
                _first_output(_hf("MobileNetV2ForImageClassification", "MobileNetV2Config", num_labels=1000)),
                img(224),
            ),
            exact,
        ),
        ("regnet_y_800mf", "RegNet-Y-800MF"): (
            lambda: (
                _first_output(
                    _hf(
                        "RegNetForImageClassification",
                        "RegNetConfig",
                        depths=[1, 3, 8, 2],
                        hidden_sizes=[64, 144, 320, 784],
                        groups_width=16,
                        layer_type="y",
                        num_labels=1000,
                    )
                ),
                img(224),
            ),
            exact,
        ),
        ("segformer_base", "Segformer-Base"): (
            lambda: (
                _first_output(_hf("SegformerForSemanticSegmentation", "SegformerConfig", num_labels=150)),
                img(512),
            ),
            exact,
        ),
        ("depth_anything", "Depth-Anything"): (_depth_anything, exact),
        ("depth_anything_v2", "Depth-Anything-V2"): (_depth_anything, exact),
        ("detr_resnet50", "DETR-ResNet50"): (
            lambda: detr_model("DetrForObjectDetection", "DetrConfig", [3, 4, 6, 3]),
            exact,
        ),
        ("conditional_detr_resnet50", "Conditional-DETR-ResNet50"): (
            lambda: detr_model("ConditionalDetrForObjectDetection", "ConditionalDetrConfig", [3, 4, 6, 3]),
            exact,
        ),
        ("whisper_tiny", "HfWhisperEncoder"): (lambda: whisper_encoder(384, 4, 6), exact),
        ("whisper_base", "HfWhisperEncoder"): (lambda: whisper_encoder(512, 6, 8), exact),
        ("whisper_small_quantized", "HfWhisperEncoder"): (lambda: whisper_encoder(768, 12, 12), exact),
        ("huggingface_wavlm_base_plus", "HuggingFace-WavLM-Base-Plus"): (
            lambda: (_first_output(_hf("WavLMModel", "WavLMConfig")), (zeros(1, 320000),)),
            exact,
        ),
        ("video_mae", "Video-MAE"): (
            lambda: (
                _first_output(_hf("VideoMAEForVideoClassification", "VideoMAEConfig", num_labels=400)),
                (zeros(1, 16, 3, 224, 224),),
            ),
            exact,
        ),
        ("mobilenet_v3_large", "MobileNet-v3-Large"): (lambda: (_mobilenet_v3(True), img(224)), exact),
        ("mobilenet_v3_small", "MobileNet-v3-Small"): (lambda: (_mobilenet_v3(False), img(224)), exact),
        ("quicksrnetsmall", "QuickSRNetSmall"): (lambda: (_quicksrnet(32, 2), img(128)), exact),
        ("quicksrnetmedium", "QuickSRNetMedium"): (lambda: (_quicksrnet(32, 5), img(128)), exact),
        ("quicksrnetlarge", "QuickSRNetLarge"): (lambda: (_quicksrnet(64, 11), img(128)), exact),
        ("real_esrgan_general_x4v3", "Real-ESRGAN-General-x4v3"): (lambda: (_srvgg(), img(128)), exact),
        ("real_esrgan_x4plus", "Real-ESRGAN-x4plus"): (lambda: (_rrdbnet(), img(128)), exact),
        ("esrgan", "ESRGAN"): (lambda: (_rrdbnet(), img(128)), exact),
        # AI Hub profiles it at 640x1280 (its get_input_spec), not the 224x224 of aihub_models_info.csv
        ("unet_segmentation", "Unet-Segmentation"): (lambda: (_unet_carvana(), img(640, 1280)), exact),
        ("resnet_3d", "ResNet-3D"): (lambda: (_video_resnet("r3d"), (zeros(1, 3, 16, 112, 112),)), exact),
        ("resnet_mixed", "ResNet-Mixed-Convolution"): (
            lambda: (_video_resnet("mc3"), (zeros(1, 3, 16, 112, 112),)),
            exact,
        ),
        ("resnet_2plus1d", "ResNet-2Plus1D"): (
            lambda: (_video_resnet("r2plus1d"), (zeros(1, 3, 16, 112, 112),)),
            exact,
        ),
        ("stable_diffusion_v1_5", "text_encoder"): (lambda: sd_text_encoder(768, 12, 12, 3072), exact),
        ("stable_diffusion_v2_1", "text_encoder"): (lambda: sd_text_encoder(1024, 23, 16, 4096), exact),
        ("stable_diffusion_v1_5", "vae"): (sd_vae_decoder, "same architecture (VAE decoder), 64x64 latent"),
        ("stable_diffusion_v2_1", "vae"): (sd_vae_decoder, "same architecture (VAE decoder), 64x64 latent"),
    }
    for mid in ("opus_mt_en_es", "opus_mt_es_en", "opus_mt_en_zh", "opus_mt_zh_en"):
        s[(mid, "OpusMTEncoder")] = (_marian_encoder, exact)
    import importlib

    for name in EXTRA_SPEC_MODULES:
        s.update(importlib.import_module(name).specs())
    return s


# More calibration models, by kind; each module's ``specs()`` maps (model_id, component) -> (builder, fidelity).
EXTRA_SPEC_MODULES = (
    "tools.calibration.zoo.detection",
    "tools.calibration.zoo.mobile",
    "tools.calibration.zoo.transformers",
    "tools.calibration.zoo.faces",
    "tools.calibration.zoo.vision",
    "tools.calibration.zoo.sequence",
)


def zeros(*shape: int) -> Any:
    import torch

    return torch.zeros(*shape)


def build_one(builder: Builder) -> dict[str, Any]:
    """Export one model to ONNX in memory and return its cost summary."""
    import onnx
    import torch

    from registry.estimator.graphcost import analyze_onnx

    custom = getattr(builder, "build_summary", None)
    if custom is not None:  # a builder with its own export (e.g. external data for models over 2 GiB)
        return custom()  # type: ignore[no-any-return]
    torch.manual_seed(0)
    model, inputs = builder()
    model.eval()
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, inputs, buf, dynamo=False, opset_version=17, do_constant_folding=True)  # type: ignore[arg-type]
    proto = onnx.load_from_string(buf.getvalue())
    return analyze_onnx(proto).summary()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", help="model ids to (re)build; others are kept from the JSON")
    parser.add_argument("--all", action="store_true", help="rebuild every graph (after a change to the cost analysis)")
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    args = parser.parse_args(argv)
    out_file: Path = args.out
    import warnings

    warnings.filterwarnings("ignore")
    existing = json.loads(out_file.read_text()) if out_file.exists() else {"graphs": []}
    graphs = {(g["model_id"], g["component"]): g for g in existing["graphs"]}
    for (model_id, component), (builder, fidelity) in specs().items():
        if args.only and model_id not in args.only:
            continue
        if not args.only and not args.all and (model_id, component) in graphs:
            continue
        start = time.monotonic()
        try:
            summary = build_one(builder)
        except Exception as exc:
            print(f"skip {model_id}/{component}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
            continue
        graphs[(model_id, component)] = {"model_id": model_id, "component": component, "fidelity": fidelity,
                                         **summary}  # fmt: skip
        print(f"{model_id}/{component}: {summary['macs'] / 1e9:.2f} GMACs, {summary['node_count']} nodes "
              f"({time.monotonic() - start:.0f} s)", flush=True)  # fmt: skip
        out_file.write_text(json.dumps({"graphs": sorted(graphs.values(), key=lambda g: (g["model_id"],
                                         g["component"]))}, indent=1, sort_keys=True) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
