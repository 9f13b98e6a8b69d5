"""Torch pieces shared by the KV-cache components (tiny-llama-kv, whisper-tiny-kv, tiny-opus-mt): attention over an
app-held cache with fixed shapes, and the example inputs and names each component exports with.

The components re-use a transformers model's own weights (its projections, norms and embeddings) but compute
attention here, over explicit cache tensors, so every shape is fixed at export (as AI Hub's builds are) and the
graph has no cache object in it. Each model's reference is transformers' own forward pass without a cache; the
decode loops in ``ingest.zoo.decode`` must reproduce it token for token."""

from __future__ import annotations

from typing import Any

import numpy as np

from ingest.zoo.base import Inputs
from ingest.zoo.decode import Runner


def greedy_reference(forward: Any, start: list[int], max_new: int, eos: int | None) -> list[int]:
    """transformers' own forward pass over the whole prefix each step, no cache: the tokens a published KV-cache
    build must reproduce. ``forward(ids_tensor) -> logits`` (batch 1)."""
    import torch

    ids = list(start)
    out: list[int] = []
    with torch.no_grad():
        while len(out) < max_new:
            token = int(forward(torch.tensor([ids]))[0, -1].argmax())
            out.append(token)
            if token == eos:
                break
            ids.append(token)
    return out


def split_heads(x: Any, heads: int) -> Any:
    """[1, S, heads * D] -> [1, heads, S, D]."""
    b, s, _ = x.shape
    return x.reshape(b, s, heads, -1).transpose(1, 2)


def merge_heads(x: Any) -> Any:
    """[1, heads, S, D] -> [1, S, heads * D]."""
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)


def attend(q: Any, k: Any, v: Any, mask: Any | None, scaling: float) -> Any:
    """Softmax attention, [1, H, S, D] queries over [1, KV, T, D] keys and values (KV divides H: grouped-query)."""
    import torch

    if k.shape[1] != q.shape[1]:
        repeat = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(repeat, dim=1)
        v = v.repeat_interleave(repeat, dim=1)
    scores = torch.matmul(q, k.transpose(2, 3)) * scaling
    if mask is not None:
        scores = scores + mask
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def cache_names(layers: int, suffix: str) -> list[str]:
    """past_key_0_<suffix>, past_value_0_<suffix>, past_key_1_<suffix>, ... (the order components take them)."""
    return [f"past_{kind}_{i}_{suffix}" for i in range(layers) for kind in ("key", "value")]


def cross_names(layers: int) -> list[str]:
    return [f"cross_{kind}_{i}" for i in range(layers) for kind in ("key", "value")]


def pick(samples: list[Any], n: int) -> list[Any]:
    """``n`` samples spread evenly over a decode's recorded calls (early and late steps alike)."""
    if len(samples) <= n:
        return samples
    return [samples[round(i * (len(samples) - 1) / max(n - 1, 1))] for i in range(n)]


def cross_attention_kv(decoder_layers: Any, encoded: Any, heads: int) -> list[Any]:
    """Every decoder layer's cross-attention keys and values for the encoder's output, [1, heads, T, D] each:
    what an encoder component returns, so the decoder never projects the encoder output again."""
    out = []
    for layer in decoder_layers:
        out += [
            split_heads(layer.encoder_attn.k_proj(encoded), heads),
            split_heads(layer.encoder_attn.v_proj(encoded), heads),
        ]
    return out


def seq2seq_decoder_module(decoder: Any, head: Any, heads: int, pre_norm: bool, encoder_mask: bool) -> Any:
    """One token per call through a BART-family decoder (Whisper: pre-norm; Marian: post-norm) over an app-held
    self-attention cache and the encoder's cross-attention keys and values. Inputs, in order: input_ids,
    position_ids, attention_mask, past_key_{i}_in / past_value_{i}_in per layer, cross_key_{i} / cross_value_{i}
    per layer[, encoder_attention_mask]; outputs logits and past_key_{i}_out / past_value_{i}_out."""
    import torch

    from ingest.zoo.decode import MASK_VALUE

    layers = len(decoder.layers)

    def norm(ln: Any, x: Any, before: bool) -> Any:
        return ln(x) if before == pre_norm else x

    class Seq2SeqDecoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decoder = decoder
            self.head = head

        def forward(
            self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention_mask: torch.Tensor, *rest: Any
        ) -> tuple[torch.Tensor, ...]:
            past, cross = rest[: 2 * layers], rest[2 * layers : 4 * layers]
            cross_mask = None
            if encoder_mask:
                cross_mask = ((1 - rest[4 * layers]).to(torch.float32) * MASK_VALUE)[:, None, None, :]
            x = decoder.embed_tokens(input_ids) * decoder.embed_scale + decoder.embed_positions.weight[position_ids]
            new: list[torch.Tensor] = []
            for i, layer in enumerate(decoder.layers):
                sa, ca = layer.self_attn, layer.encoder_attn
                h = norm(layer.self_attn_layer_norm, x, True)
                q, k, v = (split_heads(p(h), heads) for p in (sa.q_proj, sa.k_proj, sa.v_proj))
                keys, values = torch.cat([past[2 * i], k], dim=2), torch.cat([past[2 * i + 1], v], dim=2)
                x = x + sa.out_proj(merge_heads(attend(q, keys, values, attention_mask, sa.scaling)))
                x = norm(layer.self_attn_layer_norm, x, False)
                h = norm(layer.encoder_attn_layer_norm, x, True)
                q = split_heads(ca.q_proj(h), heads)
                x = x + ca.out_proj(merge_heads(attend(q, cross[2 * i], cross[2 * i + 1], cross_mask, ca.scaling)))
                x = norm(layer.encoder_attn_layer_norm, x, False)
                h = norm(layer.final_layer_norm, x, True)
                x = x + layer.fc2(layer.activation_fn(layer.fc1(h)))
                x = norm(layer.final_layer_norm, x, False)
                new += [k, v]
            logits = self.head(x)
            return (logits, *new)

    return Seq2SeqDecoder().eval()


def torch_runner(module: Any, names: list[str], outputs: list[str]) -> Runner:
    """A decode-loop runner over a torch component (inputs taken in export order)."""
    import torch

    def run(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with torch.no_grad():
            result = module(*(torch.from_numpy(np.asarray(feed[n])) for n in names))
        return {name: t.numpy() for name, t in zip(outputs, result, strict=True)}

    return run


def recording(runners: dict[str, Runner], into: dict[str, list[Inputs]]) -> dict[str, Runner]:
    """Runners that keep every feed they see, per component (calibration and evaluation data from real decodes)."""

    def wrap(name: str, run: Runner) -> Runner:
        def recorded(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            into.setdefault(name, []).append({k: np.array(v) for k, v in feed.items()})
            return run(feed)

        return recorded

    return {name: wrap(name, run) for name, run in runners.items()}
