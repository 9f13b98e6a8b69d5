"""Torch pieces shared by the KV-cache components (tiny-llama-kv, whisper-tiny-kv, tiny-opus-mt): attention over an
app-held cache with fixed shapes, and the example inputs and names each component exports with.

The components re-use a transformers model's own weights (its projections, norms and embeddings) but compute
attention here, over explicit cache tensors, so every shape is fixed at export (as AI Hub's builds are) and the
graph has no cache object in it. Each model's reference is transformers' own forward pass without a cache; the
decode loops in ``ingest.zoo.decode`` must reproduce it token for token."""

from __future__ import annotations

from typing import Any

import numpy as np

from ingest.zoo.decode import attention_mask


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


def step_inputs(
    tokens: list[int], filled: int, total: int, width: int, layers: int, heads: int, head_dim: int, seed: int
) -> dict[str, np.ndarray]:
    """A component call's inputs (ids, positions, mask, cache) with ``filled`` slots of seeded cache entries: the
    example, calibration and evaluation inputs of a KV-cache component."""
    rng = np.random.default_rng(seed)
    past = total - width
    ids = np.zeros((1, width), np.int64)
    ids[0, : len(tokens)] = tokens[:width]
    out: dict[str, np.ndarray] = {
        "input_ids": ids,
        "position_ids": np.minimum(filled + np.arange(width, dtype=np.int64), total - 1)[None],
        "attention_mask": attention_mask(filled, past, width),
    }
    for name in cache_names(layers, "in"):
        cache = np.zeros((1, heads, past, head_dim), np.float32)
        cache[:, :, :filled] = rng.standard_normal((1, heads, filled, head_dim)).astype(np.float32)
        out[name] = cache
    return out
