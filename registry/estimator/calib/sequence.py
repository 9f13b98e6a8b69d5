"""Calibration graphs: sequence models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from registry.estimator.build_graphs import (
    Builder,
    _img,
    _nn,
    _sd_text_encoder,
    _sd_vae_decoder,
    _whisper_encoder,
    _zeros,
)


class ExternalDataBuilder:
    """A builder whose model is too large for protobuf's 2 GiB in-memory limit: ``build_one`` calls its
    ``build_summary``, which exports to a temporary directory with external data and reads back the graph only
    (graphcost needs initializer shapes, never their values)."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder

    def __call__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.builder()

    def build_summary(self) -> dict[str, Any]:
        import onnx
        import torch

        from registry.estimator.graphcost import analyze_onnx

        torch.manual_seed(0)
        model, inputs = self.builder()
        model.eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            with torch.no_grad():
                torch.onnx.export(model, inputs, str(path), dynamo=False, opset_version=17, do_constant_folding=True)  # type: ignore[arg-type]
            del model
            proto = onnx.load(str(path), load_external_data=False)
        return analyze_onnx(proto).summary()


def _sequencer2d(layers: list[int], patches: list[int], dims: list[int], hidden: list[int]) -> Any:
    """timm's Sequencer2D: a patch-embedding conv, then stages of blocks (LayerNorm, a bidirectional LSTM along the
    columns and one along the rows, concatenated and fused by a linear layer; LayerNorm, MLP with ratio 3), a conv
    downsampling at the start of every later stage, all in NHWC; LayerNorm, average pool, linear classifier."""
    import torch

    nn = _nn()

    class Lstm2d(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, dim: int, hid: int) -> None:
            super().__init__()
            self.rnn_v = nn.LSTM(dim, hid, batch_first=True, bidirectional=True)
            self.rnn_h = nn.LSTM(dim, hid, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(4 * hid, dim)

        def forward(self, x: Any) -> Any:
            b, h, w, c = (int(s) for s in x.shape)
            v = self.rnn_v(x.permute(0, 2, 1, 3).reshape(b * w, h, c))[0]
            v = v.reshape(b, w, h, -1).permute(0, 2, 1, 3)
            r = self.rnn_h(x.reshape(b * h, w, c))[0].reshape(b, h, w, -1)
            return self.fc(torch.cat([v, r], dim=-1))

    class Block(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, dim: int, hid: int) -> None:
            super().__init__()
            self.norm1, self.mix = nn.LayerNorm(dim, eps=1e-6), Lstm2d(dim, hid)
            self.norm2 = nn.LayerNorm(dim, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(dim, 3 * dim), nn.GELU(), nn.Linear(3 * dim, dim))

        def forward(self, x: Any) -> Any:
            x = x + self.mix(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    class Downsample(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, cin: int, cout: int, p: int) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, p, p)

        def forward(self, x: Any) -> Any:
            return self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    class Sequencer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            blocks: list[Any] = []
            cin = 3
            for depth, p, dim, hid in zip(layers, patches, dims, hidden, strict=True):
                blocks.append(Downsample(cin, dim, p))
                blocks += [Block(dim, hid) for _ in range(depth)]
                cin = dim
            self.blocks = nn.Sequential(*blocks)
            self.norm, self.head = nn.LayerNorm(cin, eps=1e-6), nn.Linear(cin, 1000)

        def forward(self, x: Any) -> Any:
            x = self.norm(self.blocks(x.permute(0, 2, 3, 1)))
            return self.head(x.mean(dim=(1, 2)))

    return Sequencer()


def _control_residuals() -> list[Any]:
    """The 12 down-block residuals and the mid-block residual ControlNet adds to SD 1.5's UNet at a 64x64 latent."""
    shapes = [(320, 64)] * 3 + [(320, 32), (640, 32), (640, 32), (640, 16), (1280, 16), (1280, 16)] + [(1280, 8)] * 4
    return [_zeros(1, c, s, s) for c, s in shapes]


def _sd15_unet_with_control() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's controlnet_canny ``unet``: SD 1.5's UNet2DConditionModel with ControlNet's residuals as inputs."""
    import diffusers

    nn = _nn()
    unet = diffusers.UNet2DConditionModel(sample_size=64, cross_attention_dim=768)  # type: ignore[no-untyped-call]

    class ControlUnet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.unet = unet

        def forward(self, latent: Any, timestep: Any, text_emb: Any, *residuals: Any) -> Any:
            return self.unet(latent, timestep, text_emb, down_block_additional_residuals=residuals[:12],
                             mid_block_additional_residual=residuals[12], return_dict=False)[0]  # fmt: skip

    inputs = (_zeros(1, 4, 64, 64), _zeros(1), _zeros(1, 77, 768), *_control_residuals())
    return ControlUnet(), inputs


def _sd15_controlnet() -> tuple[Any, tuple[Any, ...]]:
    """AI Hub's controlnet_canny ``controlnet``: lllyasviel/sd-controlnet-canny (SD 1.5 ControlNetModel) on a 64x64
    latent and a 512x512 canny image; outputs its 12 down-block residuals and the mid-block residual."""
    import diffusers

    nn = _nn()
    cn = diffusers.ControlNetModel(cross_attention_dim=768)  # type: ignore[no-untyped-call]

    class ControlNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.cn = cn

        def forward(self, latent: Any, timestep: Any, text_emb: Any, image: Any) -> Any:
            down, mid = self.cn(latent, timestep, text_emb, controlnet_cond=image, return_dict=False)
            return (*down, mid)

    return ControlNet(), (_zeros(1, 4, 64, 64), _zeros(1), _zeros(1, 77, 768), _zeros(1, 3, 512, 512))


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    sd15 = "same architecture (SD 1.5 as AI Hub's controlnet_canny, random weights; AI Hub's on-device attention rewrite not applied)"
    return {
        ("controlnet_canny", "text_encoder"): (
            lambda: _sd_text_encoder(768, 12, 12, 3072),
            "same architecture and input (SD 1.5's CLIP text encoder, 77 tokens); 123M params (the published 340M is "
            "SD 2.1's OpenCLIP text encoder)",
        ),
        ("controlnet_canny", "vae"): (
            _sd_vae_decoder,
            f"{sd15}: VAE decoder on a 64x64 latent; 49.5M params vs 83M "
            "published for the whole VAE (encoder and decoder)",
        ),
        ("controlnet_canny", "unet"): (
            ExternalDataBuilder(_sd15_unet_with_control),
            f"{sd15}: UNet with the 13 control residuals as inputs, 64x64 latent; 860M params vs 865M published",
        ),
        ("controlnet_canny", "controlnet"): (
            _sd15_controlnet,
            f"{sd15}: 64x64 latent, 512x512 canny image; 361M params vs 361M published",
        ),
        ("sequencer2d", "Sequencer2D"): (
            lambda: (_sequencer2d([4, 3, 8, 3], [7, 2, 1, 1], [192, 384, 384, 384], [48, 96, 96, 96]), _img(224)),
            "same architecture and input (timm sequencer2d_s, random weights); 27.6M params vs 27.6M published",
        ),
        ("whisper_large_v3_turbo", "HfWhisperEncoder"): (
            ExternalDataBuilder(lambda: _whisper_encoder(1280, 32, 20, mels=128, decoder_layers=4)),
            "same architecture and input (encoder of whisper-large-v3-turbo, 128x3000 mel, plus the cross-attention "
            "cache of its 4 decoder layers; random weights); 650M params, none published (the whole model has 809M)",
        ),
    }
