"""Greedy decode loops over a generative build's components, as an app runs them: token by token, with the KV cache
kept by the app and handed to each call.

Registry-independent: numpy plus one runner per component, ``runner(inputs) -> outputs`` (both dicts of named
arrays). A runner can wrap an onnxruntime session over a pulled build (``ort_runners``), a quantized build, or a
torch module; the loops do not care. Each loop reads its fixed shapes from the model card's ``generation`` entry
(``LlmLayout.from_card`` / ``Seq2SeqLayout.from_card``), so an app needs only the files and the card.

Two shapes (see docs/generative.md):

- LLM (``prompt_processor`` + ``token_generator``): both take ``input_ids`` / ``position_ids`` [1, S] (int64),
  ``attention_mask`` [1, 1, S, context_length] (float32, additive: 0 attends, ``MASK_VALUE`` does not) and, per
  layer, ``past_key_{i}_in`` / ``past_value_{i}_in`` [1, kv_heads, context_length - S, head_dim]; they return
  ``logits`` [1, S, vocab] and ``past_key_{i}_out`` / ``past_value_{i}_out`` [1, kv_heads, S, head_dim], the new
  entries the app writes into its cache. S is ``prompt_length`` for the prompt processor and 1 for the token
  generator.
- Encoder-decoder (Whisper, Marian): the ``encoder`` returns ``cross_key_{i}`` / ``cross_value_{i}`` [1, heads,
  source_length, head_dim] for every decoder layer, computed once; the ``decoder`` takes one token as the token
  generator does (with a self-attention cache of ``decoder_length - 1`` slots) plus those cross-attention
  tensors (and Marian's ``encoder_attention_mask``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
MASK_VALUE = -10000.0  # additive mask for a slot not attended to (finite: it survives fp16 and quantized builds)


@dataclass(frozen=True)
class LlmLayout:
    """The fixed shapes of an LLM build's two components."""

    context_length: int  # cache slots + the current call's tokens
    prompt_length: int  # tokens per prompt-processor call (AI Hub's "AR-N")
    layers: int
    kv_heads: int
    head_dim: int
    pad_id: int = 0
    eos_id: int | None = None

    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> LlmLayout:
        g = card["generation"]
        return cls(
            g["context_length"], g["prompt_length"], g["layers"], g["kv_heads"], g["head_dim"], g["pad_id"], g["eos_id"]
        )


@dataclass(frozen=True)
class Seq2SeqLayout:
    """The fixed shapes of an encoder-decoder build: the decoder runs one token per call."""

    decoder_length: int  # most target positions: self-attention cache slots + 1
    layers: int
    heads: int
    head_dim: int
    start_ids: tuple[int, ...]  # fed before the first generated token (Whisper's task tokens, Marian's pad)
    eos_id: int
    encoder_mask_input: str | None = None  # the encoder input the decoder also takes as encoder_attention_mask

    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> Seq2SeqLayout:
        g = card["generation"]
        return cls(
            g["decoder_length"],
            g["layers"],
            g["heads"],
            g["head_dim"],
            tuple(g["start_ids"]),
            g["eos_id"],
            g.get("encoder_mask_input"),
        )


class KVCache:
    """The app's cache: ``slots`` entries per layer for keys and values, the first ``length`` of them filled."""

    def __init__(self, layers: int, heads: int, slots: int, head_dim: int) -> None:
        self.keys = [np.zeros((1, heads, slots, head_dim), np.float32) for _ in range(layers)]
        self.values = [np.zeros((1, heads, slots, head_dim), np.float32) for _ in range(layers)]
        self.slots = slots
        self.length = 0

    def feed(self, past: int) -> dict[str, np.ndarray]:
        """The ``past_*_in`` inputs of a component whose cache inputs hold ``past`` slots."""
        if self.length > past:
            raise ValueError(f"the cache holds {self.length} entries; this component takes {past}")
        feed = {}
        for i, (k, v) in enumerate(zip(self.keys, self.values, strict=True)):
            feed[f"past_key_{i}_in"] = np.ascontiguousarray(k[:, :, :past])
            feed[f"past_value_{i}_in"] = np.ascontiguousarray(v[:, :, :past])
        return feed

    def append(self, outputs: Mapping[str, np.ndarray], count: int) -> None:
        """Write the first ``count`` new entries of a call's ``past_*_out`` outputs after the filled ones."""
        if self.length + count > self.slots:
            raise ValueError(f"the context is full ({self.slots} cache slots)")
        for i in range(len(self.keys)):
            self.keys[i][:, :, self.length : self.length + count] = outputs[f"past_key_{i}_out"][:, :, :count]
            self.values[i][:, :, self.length : self.length + count] = outputs[f"past_value_{i}_out"][:, :, :count]
        self.length += count


def attention_mask(filled: int, past: int, new: int) -> np.ndarray:
    """[1, 1, new, past + new], additive: a query sees the ``filled`` cache slots and the new tokens up to itself."""
    mask = np.full((1, 1, new, past + new), MASK_VALUE, np.float32)
    mask[..., :filled] = 0.0
    causal = np.triu(np.full((new, new), MASK_VALUE, np.float32), k=1)
    mask[0, 0, :, past:] = causal
    return mask


def _call(runner: Runner, cache: KVCache, total: int, tokens: Sequence[int], width: int, pad_id: int) -> np.ndarray:
    """One call of a component taking ``width`` tokens; returns the logits of the last real token."""
    past = total - width
    ids = np.full((1, width), pad_id, np.int64)
    ids[0, : len(tokens)] = tokens
    positions = np.minimum(cache.length + np.arange(width, dtype=np.int64), total - 1)[None]
    feed = {"input_ids": ids, "position_ids": positions, "attention_mask": attention_mask(cache.length, past, width)}
    out = runner({**feed, **cache.feed(past)})
    cache.append(out, len(tokens))
    return np.asarray(out["logits"][0, len(tokens) - 1])


def llm_generate(
    runners: Mapping[str, Runner], layout: LlmLayout, prompt_ids: Sequence[int], max_new_tokens: int
) -> list[int]:
    """Greedy generation: the prompt through ``prompt_processor`` in chunks of ``prompt_length`` tokens, then one
    token per ``token_generator`` call, until ``eos_id``, ``max_new_tokens`` or a full context."""
    if not prompt_ids:
        raise ValueError("the prompt is empty")
    total, width = layout.context_length, layout.prompt_length
    cache = KVCache(layout.layers, layout.kv_heads, total - 1, layout.head_dim)
    logits = np.empty(0)
    for start in range(0, len(prompt_ids), width):
        chunk = prompt_ids[start : start + width]
        logits = _call(runners["prompt_processor"], cache, total, chunk, width, layout.pad_id)
    generated: list[int] = []
    while len(generated) < max_new_tokens:
        token = int(np.argmax(logits))
        generated.append(token)
        if token == layout.eos_id or cache.length >= total - 1:
            break
        logits = _call(runners["token_generator"], cache, total, [token], 1, layout.pad_id)
    return generated


def seq2seq_generate(
    runners: Mapping[str, Runner],
    layout: Seq2SeqLayout,
    encoder_inputs: Mapping[str, np.ndarray],
    max_new_tokens: int,
) -> list[int]:
    """Greedy generation: the encoder once (its cross-attention keys and values), then the decoder one token per
    call: first ``start_ids``, then each argmax, until ``eos_id``, ``max_new_tokens`` or ``decoder_length``."""
    cross = runners["encoder"](dict(encoder_inputs))
    fixed = {k: v for k, v in cross.items() if k.startswith("cross_")}
    if layout.encoder_mask_input:
        fixed["encoder_attention_mask"] = np.asarray(encoder_inputs[layout.encoder_mask_input])
    total = layout.decoder_length
    cache = KVCache(layout.layers, layout.heads, total - 1, layout.head_dim)
    decode = runners["decoder"]

    def step(token: int) -> np.ndarray:
        return _call(lambda feed: decode({**feed, **fixed}), cache, total, [token], 1, 0)

    logits = np.empty(0)
    for token in layout.start_ids:
        logits = step(token)
    generated: list[int] = []
    while len(generated) < max_new_tokens:
        token = int(np.argmax(logits))
        generated.append(token)
        if token == layout.eos_id or cache.length >= total - 1:
            break
        logits = step(token)
    return generated


def ort_runners(files: Mapping[str, Path | str], threads: int = 1) -> dict[str, Runner]:
    """An onnxruntime CPU runner per component file (``{"encoder": path, ...}``), outputs by name."""
    import onnxruntime as ort

    runners: dict[str, Runner] = {}
    for name, path in files.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        runners[name] = _session_runner(session)
    return runners


def _session_runner(session: Any) -> Runner:
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]

    def run(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = session.run(outputs, {k: feed[k] for k in inputs})
        return dict(zip(outputs, values, strict=True))

    return run


def agreement(reference: Sequence[int], candidate: Sequence[int]) -> float:
    """Share of positions, over the reference's length, where the candidate chose the same token (1.0: identical)."""
    if not reference:
        return 1.0 if not candidate else 0.0
    same = sum(1 for a, b in zip(reference, candidate, strict=False) if a == b)
    return same / max(len(reference), len(candidate))
