"""A small Llama-architecture decoder for the LLM category (random weights, built from a transformers LlamaConfig).

One component, ``model``: ``input_ids`` + ``attention_mask`` [1, seq_len] (int64) -> ``logits``
[1, seq_len, vocab] for a full prefill pass without a KV cache. The weights are random, so there is no task
metric: builds are judged by fidelity to the FP32 build. w4a16 (MatMulNBits) applies: MatMul weights are most
of the model."""

from __future__ import annotations

import os
from typing import Any

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, ZooModel, check_size
from ingest.zoo.text import hashed_token_ids, split_sentences

CONFIGS: dict[str, dict[str, int]] = {
    "default": {
        "vocab_size": 32000,
        "hidden_size": 256,
        "intermediate_size": 688,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "seq_len": 128,
    },
    "tiny": {
        "vocab_size": 1000,
        "hidden_size": 64,
        "intermediate_size": 172,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "seq_len": 16,
    },
}
BOS, EOS, PAD = 1, 2, 0
SEED = 0


def _logits_only(llama: Any) -> Any:
    import torch

    class LlamaLogits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.llama = llama

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.llama(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            logits: torch.Tensor = out.logits
            return logits

    return LlamaLogits().eval()


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg: dict[str, Any] = dict(CONFIGS[size])
    seq_len = cfg.pop("seq_len")
    config = LlamaConfig(
        **cfg,
        max_position_embeddings=max(seq_len, 256),
        bos_token_id=BOS,
        eos_token_id=EOS,
        pad_token_id=PAD,
        tie_word_embeddings=False,
    )
    torch.manual_seed(SEED)
    llama: Any = LlamaForCausalLM(config)
    llama.eval()
    module = _logits_only(llama)
    vocab = config.vocab_size

    def encode(text: str) -> Inputs:
        ids, mask = hashed_token_ids(text, vocab_size=vocab, length=seq_len, bos=BOS, pad=PAD)
        return {"input_ids": ids, "attention_mask": mask}

    example = encode("Tracing the decoder once with a short prompt.")
    component = Component(
        name="model",
        module=module,
        example_inputs={k: torch.from_numpy(v) for k, v in example.items()},
        output_names=["logits"],
    )

    def calibration(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return [encode(s) for s in split_sentences("calibration", n)]

    def eval_inputs(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return [encode(s) for s in split_sentences("eval", n)]

    params = sum(p.numel() for p in llama.parameters())
    return ZooModel(
        slug="tiny-llama",
        name="Tiny Llama (random weights)",
        task="text-generation",
        domain="generative-ai",
        license="apache-2.0",
        source_url="https://huggingface.co/docs/transformers/model_doc/llama",
        description=(
            f"A {config.num_hidden_layers}-layer Llama-architecture decoder (hidden {config.hidden_size}, "
            f"vocab {vocab}, {params / 1e6:.1f}M parameters) with random weights, for measuring LLM builds "
            f"(prefill of {seq_len} tokens -> logits)."
        ),
        weights="random",
        components=[component],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "random: initialized from a fixed seed, not trained; outputs are meaningless text, "
            "builds are judged by fidelity to FP32 only",
            "architecture": {
                **cfg,
                "tie_word_embeddings": False,
                "parameters": params,
            },
            "inputs": {"input_ids": [1, seq_len], "attention_mask": [1, seq_len]},
            "outputs": {"logits": [1, seq_len, vocab]},
            "kv_cache": "none: one prefill pass over a fixed-length, right-padded prompt",
            "tokenizer": "none shipped; calibration ids are word hashes of bundled sentences (ingest/zoo/text.py)",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=ALL_PRECISIONS,
    )


def _check(component_name: str) -> None:
    if component_name != "model":
        raise KeyError(f"tiny-llama has one component, 'model', not {component_name!r}")
