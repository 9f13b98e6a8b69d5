"""Bundled text for the zoo: a corpus of short sentences, paraphrase pairs, and a word-hash tokenizer.

All of it was written for this repository (``ingest/zoo/data/``), so nothing is downloaded. The word-hash
tokenizer gives deterministic token ids for random-weight models (Llama, the CLIP text encoder, the Whisper
decoder), whose vocabularies carry no meaning anyway: the ids only need to be valid, varied and reproducible."""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
SENTENCES_FILE = DATA_DIR / "sentences.txt"
PARAPHRASES_FILE = DATA_DIR / "paraphrases.tsv"

# The corpus is split once: calibration draws from the first part, evaluation from the rest (disjoint).
CALIBRATION_SHARE = 0.7


@lru_cache(maxsize=1)
def sentences() -> tuple[str, ...]:
    lines = SENTENCES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def paraphrase_pairs() -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for line in PARAPHRASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, second = line.split("\t")
        pairs.append((first.strip(), second.strip()))
    return tuple(pairs)


def split_sentences(part: str, n: int) -> list[str]:
    """``n`` sentences from the calibration or the evaluation part of the corpus (cycled if ``n`` is larger)."""
    if part not in ("calibration", "eval"):
        raise ValueError(f"part must be 'calibration' or 'eval', not {part!r}")
    corpus = sentences()
    cut = int(len(corpus) * CALIBRATION_SHARE)
    pool = corpus[:cut] if part == "calibration" else corpus[cut:]
    return [pool[i % len(pool)] for i in range(n)]


def hashed_token_ids(
    text: str, *, vocab_size: int, length: int, bos: int | None = None, eos: int | None = None, pad: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids [1, length] (int64) and attention mask [1, length] from a stable hash of each word.

    Ids avoid 0..3 (kept for special tokens) and stay below ``vocab_size``."""
    words = re.findall(r"\w+|[^\w\s]", text.lower())
    ids = [4 + zlib.crc32(w.encode("utf-8")) % (vocab_size - 4) for w in words]
    if bos is not None:
        ids = [bos, *ids]
    if eos is not None:
        ids = [*ids[: length - 1], eos]
    ids = ids[:length]
    mask = [1] * len(ids) + [0] * (length - len(ids))
    ids = ids + [pad] * (length - len(ids))
    return np.asarray([ids], dtype=np.int64), np.asarray([mask], dtype=np.int64)
