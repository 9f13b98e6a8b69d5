"""A small Stable Diffusion (random weights) as three components, from transformers and diffusers configs.

- ``text_encoder`` (CLIP text transformer): ``input_ids`` [1, seq] (int64) -> ``last_hidden_state`` [1, seq, dim];
- ``unet`` (diffusers UNet2DConditionModel): ``sample`` [1, 4, L, L] + ``timestep`` [1] (float32) +
  ``encoder_hidden_states`` [1, seq, dim] -> ``out_sample`` [1, 4, L, L] (predicted noise);
- ``vae_decoder`` (diffusers AutoencoderKL decoder, scaling factor applied): ``latent_sample`` [1, 4, L, L]
  -> ``sample`` [1, 3, 8L, 8L] (an image in about [-1, 1]).

Calibration: prompts are word hashes of bundled sentences; UNet inputs pair seeded Gaussian latents and
timesteps spread over the 1000-step schedule with the FP32 text encoder's output for a prompt; the VAE decoder
gets seeded Gaussian latents."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ingest.zoo.base import CONV_PRECISIONS, Component, Inputs, ZooModel, check_size
from ingest.zoo.text import hashed_token_ids, split_sentences

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {
        "vocab_size": 49408,
        "text_dim": 256,
        "text_layers": 4,
        "text_heads": 4,
        "seq_len": 77,
        "latent_size": 32,
        "unet_channels": (64, 128, 256),
        "unet_layers_per_block": 2,
        "unet_head_dim": 8,
        "vae_channels": (32, 64, 128, 128),
        "norm_groups": 32,
    },
    "tiny": {
        "vocab_size": 1000,
        "text_dim": 32,
        "text_layers": 1,
        "text_heads": 2,
        "seq_len": 16,
        "latent_size": 8,
        "unet_channels": (32, 64),
        "unet_layers_per_block": 1,
        "unet_head_dim": 4,
        "vae_channels": (16, 32),
        "norm_groups": 8,
    },
}
BOS, EOS = 49406, 49407  # CLIP's <|startoftext|>, <|endoftext|> (mapped into small vocabularies)
SCALING_FACTOR = 0.18215
NUM_TRAIN_TIMESTEPS = 1000
SEED = 0


def _modules(config: dict[str, Any]) -> tuple[Any, Any, Any]:
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    c = config
    torch.manual_seed(SEED)
    text_config: Any = CLIPTextConfig(
        vocab_size=c["vocab_size"],
        hidden_size=c["text_dim"],
        intermediate_size=4 * c["text_dim"],
        num_hidden_layers=c["text_layers"],
        num_attention_heads=c["text_heads"],
        max_position_embeddings=c["seq_len"],
        bos_token_id=BOS % c["vocab_size"],
        eos_token_id=EOS % c["vocab_size"],
        pad_token_id=EOS % c["vocab_size"],
    )
    clip: Any = CLIPTextModel(text_config)
    n_blocks = len(c["unet_channels"])
    unet: Any = UNet2DConditionModel(  # type: ignore[no-untyped-call]
        sample_size=c["latent_size"],
        in_channels=4,
        out_channels=4,
        block_out_channels=c["unet_channels"],
        layers_per_block=c["unet_layers_per_block"],
        down_block_types=("CrossAttnDownBlock2D",) * (n_blocks - 1) + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * (n_blocks - 1),
        cross_attention_dim=c["text_dim"],
        attention_head_dim=c["unet_head_dim"],
        norm_num_groups=c["norm_groups"],
    )
    n_vae = len(c["vae_channels"])
    vae: Any = AutoencoderKL(  # type: ignore[no-untyped-call]
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n_vae,
        up_block_types=("UpDecoderBlock2D",) * n_vae,
        block_out_channels=c["vae_channels"],
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=c["norm_groups"],
        sample_size=c["latent_size"] * 2 ** (n_vae - 1),
        scaling_factor=SCALING_FACTOR,
    )

    class TextEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.clip(input_ids=input_ids).last_hidden_state
            return hidden

    class UNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.unet = unet

        def forward(
            self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor
        ) -> torch.Tensor:
            noise: torch.Tensor = self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]
            return noise

    class VaeDecoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.post_quant_conv = vae.post_quant_conv
            self.decoder = vae.decoder

        def forward(self, latent_sample: torch.Tensor) -> torch.Tensor:
            image: torch.Tensor = self.decoder(self.post_quant_conv(latent_sample / SCALING_FACTOR))
            return image

    return TextEncoder().eval(), UNet().eval(), VaeDecoder().eval()


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    c = CONFIGS[size]
    text_encoder, unet, vae_decoder = _modules(c)
    vocab, seq_len, latent = c["vocab_size"], c["seq_len"], c["latent_size"]
    latent_shape = (1, 4, latent, latent)

    def tokens(text: str) -> np.ndarray:
        eos = EOS % vocab
        ids, _ = hashed_token_ids(text, vocab_size=vocab, length=seq_len, bos=BOS % vocab, eos=eos, pad=eos)
        return ids

    def hidden_states(ids: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out: np.ndarray = text_encoder(torch.from_numpy(ids)).numpy()
        return out

    def samples(component_name: str, n: int, part: str) -> list[Inputs]:
        seed = SEED if part == "calibration" else SEED + 10_000
        rng = np.random.default_rng(seed)
        prompts = split_sentences(part, n)
        if component_name == "text_encoder":
            return [{"input_ids": tokens(p)} for p in prompts]
        if component_name == "unet":
            steps = (np.arange(n) * NUM_TRAIN_TIMESTEPS // max(n, 1) + rng.integers(0, 50, n)) % NUM_TRAIN_TIMESTEPS
            return [
                {
                    "sample": rng.standard_normal(latent_shape).astype(np.float32),
                    "timestep": np.asarray([step], dtype=np.float32),
                    "encoder_hidden_states": hidden_states(tokens(p)),
                }
                for p, step in zip(prompts, steps, strict=True)
            ]
        if component_name == "vae_decoder":
            return [{"latent_sample": rng.standard_normal(latent_shape).astype(np.float32)} for _ in range(n)]
        raise KeyError(f"tiny-stable-diffusion has components text_encoder, unet, vae_decoder, not {component_name!r}")

    ids = tokens("a watercolor painting of a lighthouse at dusk")
    rng = np.random.default_rng(SEED + 1)
    latents = torch.from_numpy(rng.standard_normal(latent_shape).astype(np.float32))
    components = [
        Component("text_encoder", text_encoder, {"input_ids": torch.from_numpy(ids)}, ["last_hidden_state"]),
        Component(
            "unet",
            unet,
            {
                "sample": latents,
                "timestep": torch.tensor([500.0], dtype=torch.float32),
                "encoder_hidden_states": torch.from_numpy(hidden_states(ids)),
            },
            ["out_sample"],
        ),
        Component("vae_decoder", vae_decoder, {"latent_sample": latents}, ["sample"]),
    ]
    params = {comp.name: sum(p.numel() for p in comp.module.parameters()) for comp in components}
    image = latent * 2 ** (len(c["vae_channels"]) - 1)
    return ZooModel(
        slug="tiny-stable-diffusion",
        name="Tiny Stable Diffusion (random weights)",
        task="text-to-image",
        domain="generative-ai",
        license="apache-2.0",
        source_url="https://huggingface.co/docs/diffusers/api/pipelines/stable_diffusion/text2img",
        description=(
            f"A small Stable Diffusion with random weights: CLIP text encoder ({c['text_layers']} layers, "
            f"dim {c['text_dim']}), UNet on {latent}x{latent} latents, VAE decoder to {image}x{image} images "
            f"({sum(params.values()) / 1e6:.1f}M parameters in all)."
        ),
        weights="random",
        components=components,
        calibration=lambda name, n: samples(name, n, "calibration"),
        eval_inputs=lambda name, n: samples(name, n, "eval"),
        card={
            "weights": "random: Stable Diffusion's architecture at a small size, initialized from a fixed seed, "
            "not trained; it draws noise, builds are judged by fidelity to FP32 only",
            "architecture": {**c, "parameters": params, "image_size": image, "scaling_factor": SCALING_FACTOR},
            "components": {
                "text_encoder": {"inputs": {"input_ids": [1, seq_len]}, "outputs": ["last_hidden_state"]},
                "unet": {
                    "inputs": {
                        "sample": list(latent_shape),
                        "timestep": [1],  # float32: no int->float Cast, so fp16 conversion works
                        "encoder_hidden_states": [1, seq_len, c["text_dim"]],
                    },
                    "outputs": ["out_sample"],
                },
                "vae_decoder": {"inputs": {"latent_sample": list(latent_shape)}, "outputs": ["sample"]},
            },
            "calibration_data": "prompts hashed from bundled sentences; seeded Gaussian latents; timesteps "
            "spread over the 1000-step schedule",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=CONV_PRECISIONS,
    )
