"""Whisper-tiny as an app runs it: an encoder and a KV-cache decoder (random weights, from a transformers
WhisperConfig), the shape AI Hub ships Whisper in.

- ``encoder``: ``input_features`` [1, 80, frames] (log-mel) -> ``cross_key_{i}`` / ``cross_value_{i}``
  [1, heads, frames / 2, head_dim] for every decoder layer (the cross-attention keys and values, computed once);
- ``decoder``: one token per call: ``input_ids`` / ``position_ids`` [1, 1], ``attention_mask``
  [1, 1, 1, decoder_length] (additive), ``past_key_{i}_in`` / ``past_value_{i}_in``
  [1, heads, decoder_length - 1, head_dim], the encoder's cross tensors -> ``logits`` [1, 1, vocab] and
  ``past_key_{i}_out`` / ``past_value_{i}_out`` [1, heads, 1, head_dim].

``ingest.zoo.decode.seq2seq_generate`` is the loop: Whisper's task tokens first, then greedy tokens until
end-of-text. Audio is synthetic (as for whisper-tiny); decoder calibration and evaluation inputs are the calls the
FP32 torch decoder receives while transcribing it."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, ZooModel, check_size
from ingest.zoo.decode import Runner, Seq2SeqLayout, seq2seq_generate
from ingest.zoo.kv import (
    cache_names,
    cross_attention_kv,
    cross_names,
    greedy_reference,
    pick,
    recording,
    seq2seq_decoder_module,
    torch_runner,
)
from ingest.zoo.whisper import EOT, PROMPT, SAMPLE_RATE, synthetic_audio

CONFIGS: dict[str, dict[str, int]] = {
    "default": {  # whisper-tiny's shape; AI Hub's Whisper decoder keeps a 200-slot cache, this one 64
        "d_model": 384,
        "encoder_layers": 4,
        "decoder_layers": 4,
        "heads": 6,
        "ffn_dim": 1536,
        "vocab_size": 51865,
        "chunk_seconds": 30,
        "decoder_length": 64,
    },
    "tiny": {
        "d_model": 32,
        "encoder_layers": 1,
        "decoder_layers": 2,
        "heads": 2,
        "ffn_dim": 64,
        "vocab_size": 1000,
        "chunk_seconds": 1,
        "decoder_length": 12,
    },
}
SEED = 0
INIT_STD = 0.1  # transformers' 0.02 leaves random cross-attention so flat that every clip decodes alike
NEW_TOKENS = 8  # per calibration / evaluation clip


def reference_generate(whisper: Any, features: np.ndarray, start: list[int], max_new: int, eos: int) -> list[int]:
    """transformers' own forward pass over the whole token prefix each step, no cache."""
    import torch

    feats = torch.from_numpy(features)
    return greedy_reference(
        lambda ids: whisper(input_features=feats, decoder_input_ids=ids, use_cache=False).logits, start, max_new, eos
    )


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    c = CONFIGS[size]
    frames = c["chunk_seconds"] * SAMPLE_RATE // 160
    vocab, heads, total = c["vocab_size"], c["heads"], c["decoder_length"]
    start = [t % vocab for t in PROMPT]
    eot = EOT % vocab
    config = WhisperConfig(
        vocab_size=vocab,
        num_mel_bins=80,
        d_model=c["d_model"],
        encoder_layers=c["encoder_layers"],
        decoder_layers=c["decoder_layers"],
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=c["ffn_dim"],
        decoder_ffn_dim=c["ffn_dim"],
        max_source_positions=frames // 2,
        max_target_positions=max(448, total),
        decoder_start_token_id=start[0],
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        init_std=INIT_STD,
    )
    torch.manual_seed(SEED)
    whisper: Any = WhisperForConditionalGeneration(config)
    whisper.eval()
    decoder_layers = whisper.model.decoder.layers

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.whisper = whisper

        def forward(self, input_features: torch.Tensor) -> tuple[torch.Tensor, ...]:
            encoded = self.whisper.model.encoder(input_features=input_features).last_hidden_state
            return tuple(cross_attention_kv(decoder_layers, encoded, heads))

    encoder = Encoder().eval()
    head = torch.nn.Sequential(whisper.model.decoder.layer_norm, whisper.proj_out)
    decoder = seq2seq_decoder_module(whisper.model.decoder, head, heads, pre_norm=True, encoder_mask=False)
    layers, head_dim = c["decoder_layers"], c["d_model"] // heads
    layout = Seq2SeqLayout(total, layers, heads, head_dim, tuple(start), eot)
    dec_inputs = ["input_ids", "position_ids", "attention_mask", *cache_names(layers, "in"), *cross_names(layers)]
    dec_outputs = ["logits", *cache_names(layers, "out")]
    runners: dict[str, Runner] = {
        "encoder": torch_runner(encoder, ["input_features"], cross_names(layers)),
        "decoder": torch_runner(decoder, dec_inputs, dec_outputs),
    }
    extractor: Any = WhisperFeatureExtractor(  # type: ignore[no-untyped-call]
        feature_size=80, sampling_rate=SAMPLE_RATE, chunk_length=c["chunk_seconds"]
    )

    def features(index: int) -> np.ndarray:
        audio = synthetic_audio(index, c["chunk_seconds"])
        out = extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="np")
        return np.asarray(out["input_features"], dtype=np.float32)

    def samples(component: str, n: int, offset: int) -> list[Inputs]:
        if component == "encoder":
            return [{"input_features": features(offset + i)} for i in range(n)]
        if component != "decoder":
            raise KeyError(f"whisper-tiny-kv has components 'encoder' and 'decoder', not {component!r}")
        seen: dict[str, list[Inputs]] = {}
        for i in range(max(1, math.ceil(n / 4))):
            seq2seq_generate(recording(runners, seen), layout, {"input_features": features(offset + i)}, NEW_TOKENS)
        return pick(seen["decoder"], n)

    example = samples("decoder", 1, 0)[0]
    first = features(0)
    components = [
        Component("encoder", encoder, {"input_features": torch.from_numpy(first)}, cross_names(layers)),
        Component("decoder", decoder, {k: torch.from_numpy(v) for k, v in example.items()}, dec_outputs),
    ]
    params = sum(p.numel() for p in whisper.parameters())
    cross_shape = [1, heads, frames // 2, head_dim]
    return ZooModel(
        slug="whisper-tiny-kv",
        name="Whisper tiny, encoder + KV-cache decoder (random weights)",
        task="automatic-speech-recognition",
        domain="audio",
        license="apache-2.0",
        source_url="https://huggingface.co/openai/whisper-tiny",
        description=(
            f"Whisper with the whisper-tiny shape (d_model {c['d_model']}, {c['encoder_layers']}+{layers} layers, "
            f"{frames} mel frames, {params / 1e6:.1f}M parameters, random weights) as an app runs it: an encoder "
            f"that returns every decoder layer's cross-attention keys and values, and a decoder that takes one token "
            f"per call with a {total - 1}-slot self-attention KV cache."
        ),
        weights="random",
        components=components,
        calibration=lambda name, n: samples(name, n, 0),
        eval_inputs=lambda name, n: samples(name, n, 10_000),
        card={
            "weights": "random: the whisper-tiny architecture initialized from a fixed seed, not trained; it "
            "transcribes nothing, builds are judged by fidelity to FP32 and by greedy-decode agreement with the "
            "torch reference",
            "architecture": {**c, "mel_bins": 80, "frames": frames, "parameters": params},
            "generation": {
                "loop": "ingest.zoo.decode.seq2seq_generate",
                "decoder_length": total,
                "layers": layers,
                "heads": heads,
                "head_dim": head_dim,
                "start_ids": start,
                "eos_id": eot,
                "mask_value": "additive: 0 attends, -10000 does not",
            },
            "components": {
                "encoder": {
                    "inputs": {"input_features": [1, 80, frames]},
                    "outputs": {"cross_key_{i}, cross_value_{i}": cross_shape},
                },
                "decoder": {
                    "inputs": {
                        "input_ids": [1, 1],
                        "position_ids": [1, 1],
                        "attention_mask": [1, 1, 1, total],
                        "past_key_{i}_in, past_value_{i}_in": [1, heads, total - 1, head_dim],
                        "cross_key_{i}, cross_value_{i}": cross_shape,
                    },
                    "outputs": {
                        "logits": [1, 1, vocab],
                        "past_key_{i}_out, past_value_{i}_out": [1, heads, 1, head_dim],
                    },
                },
            },
            "tokenizer": "none: random weights; token ids follow Whisper's (task tokens "
            f"{list(PROMPT)} and end-of-text {EOT}, taken modulo the vocabulary at small sizes)",
            "calibration_data": "synthetic audio (tones, chirps, noise, vibrato, bursts) -> Whisper log-mel "
            f"features; decoder: the FP32 decoder's calls while greedily transcribing it ({NEW_TOKENS} tokens)",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=ALL_PRECISIONS,
    )
