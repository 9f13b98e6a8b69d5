"""kws-dscnn: a keyword spotter (12 classes, as Speech Commands' 12-class task) trained here on speech synthesized
offline with eSpeak NG and mixed with noise.

Ten keywords (yes, no, up, down, left, right, on, off, stop, go), ``unknown`` (other words) and ``silence``
(noise only). Each word is spoken by eSpeak NG voice variants at several rates and pitches, placed at a random
offset in a one-second clip and mixed with white, pink, brown or mains-hum noise at 0-20 dB SNR. The held-out
set is spoken by voice variants never heard in training (a speaker-independent split). Input: 49 x 40 log-mel
frames (25 ms windows every 20 ms, ``ingest.zoo.speech.log_mel``); the net is a small depthwise-separable CNN
(DS-CNN, Zhang et al. 2017). Training is deterministic (seed 0, one thread) and takes well under a minute; the
dataset and the trained weights are cached under ``REGISTRY_HOME/ingest/zoo/``, so a re-ingest costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import io
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.zoo import speech
from ingest.zoo.base import Component, Inputs, Runner, TaskMetric, ZooModel, zoo_cache_dir
from registry import atomic

KEYWORDS: Final = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
UNKNOWN_WORDS: Final = (
    *("bed", "bird", "cat", "dog", "house", "tree"),
    *("happy", "seven", "nine", "wow", "learn", "follow"),
)
LABELS: Final = (*KEYWORDS, "unknown", "silence")
LANGUAGES: Final = ("en", "en-us")
TRAIN_VARIANTS: Final = ("m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt2", "croak", "Andy")
TEST_VARIANTS: Final = ("m6", "m7", "f4", "f5", "klatt3", "Annie")
RATES: Final = (140, 190)
PITCHES: Final = (35, 65)
SNR_DB: Final = (0.0, 20.0)
SEED: Final = 0
EPOCHS: Final = 24
LR: Final = 3e-3
BATCH: Final = 64
WIDTH: Final = 48
INPUT: Final = "log_mel"
OUTPUT: Final = "logits"
CONFIG: Final[dict[str, Any]] = {
    "labels": LABELS,
    "unknown_words": UNKNOWN_WORDS,
    "train_variants": TRAIN_VARIANTS,
    "test_variants": TEST_VARIANTS,
    "rates": RATES,
    "pitches": PITCHES,
    "snr_db": SNR_DB,
    "seed": SEED,
    "epochs": EPOCHS,
    "lr": LR,
    "batch": BATCH,
    "width": WIDTH,
    "v": 1,
}


def _clips(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(features [N, 1, FRAMES, N_MELS] float32, labels [N] int64) of one split, synthesized and mixed here."""
    engine = speech.engine()
    rng = np.random.default_rng(SEED + (0 if split == "train" else 1))
    variants = TRAIN_VARIANTS if split == "train" else TEST_VARIANTS
    settings = [(r, p) for r in RATES for p in PITCHES] if split == "train" else [(165, 50)]
    feats: list[np.ndarray] = []
    labels: list[int] = []

    def add(word: str, label: int, voice: str, rate: int, pitch: int) -> None:
        clip = speech.place(engine.say(word, voice, rate=rate, pitch=pitch), rng)
        feats.append(speech.log_mel(speech.mix(clip, float(rng.uniform(*SNR_DB)), rng)))
        labels.append(label)

    voices = [f"{lang}+{v}" for lang in LANGUAGES for v in variants]
    for voice in voices:
        for rate, pitch in settings:
            for i, word in enumerate(KEYWORDS):
                add(word, i, voice, rate, pitch)
            # as many unknown clips as one keyword has, drawn from the unknown words in turn
            add(UNKNOWN_WORDS[len(labels) % len(UNKNOWN_WORDS)], LABELS.index("unknown"), voice, rate, pitch)
    silence = len(labels) // len(LABELS)
    for _ in range(silence):
        quiet = np.zeros(speech.CLIP_SAMPLES, np.float32)
        feats.append(speech.log_mel(speech.mix(quiet + 1e-3 * rng.standard_normal(len(quiet)), 0.0, rng)))
        labels.append(LABELS.index("silence"))
    return np.stack(feats)[:, None].astype(np.float32), np.asarray(labels, dtype=np.int64)


def _key() -> str:
    import torch

    body = repr((CONFIG, speech.espeak_version(), torch.__version__, speech.N_MELS, speech.HOP))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _cached(name: str) -> Path | None:
    root = zoo_cache_dir()
    return root / f"kws-dscnn-{_key()}-{name}" if root is not None else None


def _atomic_write(path: Path | None, data: bytes) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, data)
    except OSError:
        pass


@functools.cache
def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test), from the disk cache when this configuration was synthesized before."""
    path = _cached("data.npz")
    if path is not None and path.is_file():
        try:
            with np.load(path) as d:
                return d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        except Exception:
            pass
    x_tr, y_tr = _clips("train")
    x_te, y_te = _clips("test")
    buf = io.BytesIO()
    np.savez_compressed(buf, x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
    _atomic_write(path, buf.getvalue())
    return x_tr, y_tr, x_te, y_te


def make_net() -> Any:
    from torch import nn

    def separable(c: int) -> list[Any]:
        return [
            nn.Conv2d(c, c, 3, padding=1, groups=c),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
        ]

    return nn.Sequential(
        nn.Conv2d(1, WIDTH, (5, 5), stride=(2, 2), padding=2),  # 49 x 40 -> 25 x 20
        nn.BatchNorm2d(WIDTH),
        nn.ReLU(),
        *separable(WIDTH),
        *separable(WIDTH),
        *separable(WIDTH),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(WIDTH, len(LABELS)),
    )


def feature_stats() -> tuple[float, float]:
    """Mean and standard deviation of the training features (the net's input normalization, folded into it)."""
    x_tr = dataset()[0]
    return float(x_tr.mean()), float(x_tr.std())


def _train() -> dict[str, Any]:
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-reproducible weights
    try:
        torch.manual_seed(SEED)
        net = make_net()
        x_tr, y_tr, _, _ = dataset()
        mean, std = feature_stats()
        x, y = torch.from_numpy((x_tr - mean) / std), torch.from_numpy(y_tr)
        opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=1e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=EPOCHS * -(-len(x) // BATCH))
        gen = torch.Generator().manual_seed(SEED)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
        net.train()
        for _ in range(EPOCHS):
            order = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), BATCH):
                idx = order[i : i + BATCH]
                xb = x[idx]
                shift = int(torch.randint(-3, 4, (1,), generator=gen))  # time shift of up to 60 ms
                xb = torch.roll(xb, shifts=shift, dims=2)
                opt.zero_grad()
                loss_fn(net(xb), y[idx]).backward()
                opt.step()
                sched.step()
        net.eval()
        state: dict[str, Any] = net.state_dict()
        return state
    finally:
        torch.set_num_threads(threads)


@functools.cache
def trained_state() -> tuple[dict[str, Any], float, str]:
    """(state dict, training seconds or 0.0 when loaded from the disk cache, where it came from)."""
    import torch

    path = _cached("weights.pt")
    if path is not None and path.is_file():
        try:
            return torch.load(path, weights_only=True), 0.0, f"cache {path}"
        except Exception:
            pass
    started = time.perf_counter()
    state = _train()
    seconds = time.perf_counter() - started
    buf = io.BytesIO()
    torch.save(state, buf)
    _atomic_write(path, buf.getvalue())
    return state, seconds, "trained in this process"


class Normalized:
    """The trained net behind its input normalization, so a build takes raw log-mel features."""

    @staticmethod
    def wrap(net: Any, mean: float, std: float) -> Any:
        import torch
        from torch import nn

        class KeywordSpotter(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net
                # buffers, so the statistics are part of the state dict (and of the export's cache key)
                self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
                self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

            def forward(self, log_mel: Any) -> Any:
                return self.net((log_mel - self.mean) / self.std)

        return KeywordSpotter().eval()


def _evaluate(runners: Mapping[str, Runner]) -> tuple[float, int]:
    _, _, x_te, y_te = dataset()
    run = runners["model"]
    hits = sum(int(np.argmax(run({INPUT: x_te[i : i + 1]})[OUTPUT][0]) == y_te[i]) for i in range(len(x_te)))
    return 100.0 * hits / len(x_te), len(x_te)


def build(size: str = "default") -> ZooModel:
    """The trained keyword spotter (``size`` is accepted for symmetry; the net is already small)."""
    import torch

    net = make_net()
    state, seconds, origin = trained_state()
    net.load_state_dict(state)
    model = Normalized.wrap(net.eval(), *feature_stats())
    x_tr, y_tr, x_te, y_te = dataset()

    def calibration(component: str, n: int) -> list[Inputs]:
        picks = np.random.default_rng(SEED).permutation(len(x_tr))[:n]
        return [{INPUT: x_tr[i : i + 1]} for i in picks]

    def eval_inputs(component: str, n: int) -> list[Inputs]:
        picks = np.random.default_rng(SEED + 1).permutation(len(x_te))[:n]
        return [{INPUT: x_te[i : i + 1]} for i in picks]

    return ZooModel(
        slug="kws-dscnn",
        name="Keyword spotting DS-CNN",
        task="keyword-spotting",
        domain="audio",
        license="Apache-2.0",
        source_url="https://github.com/espeak-ng/espeak-ng",
        description="A small depthwise-separable CNN spotting 10 spoken keywords (plus unknown words and silence) "
        "in one second of audio, trained here on speech synthesized offline with eSpeak NG and mixed with noise.",
        weights="trained-here",
        components=[
            Component(
                name="model",
                module=model,
                example_inputs={INPUT: torch.from_numpy(x_te[:1].copy())},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=calibration,
        eval_inputs=eval_inputs,
        card={
            "weights": "trained here (deterministic, seed 0) on speech synthesized offline with eSpeak NG "
            f"(espeakng-loader {speech.espeak_version()}), mixed with noise; the weights are this project's "
            "(Apache-2.0); eSpeak NG itself is GPL-3.0 and only made the training audio",
            "labels": list(LABELS),
            "training": {
                "train_clips": len(y_tr),
                "held_out_clips": len(y_te),
                "voices": f"{len(LANGUAGES)} accents x {len(TRAIN_VARIANTS)} eSpeak NG variants, "
                f"rates {list(RATES)} wpm, pitches {list(PITCHES)}",
                "held_out_voices": [f"{lang}+{v}" for lang in LANGUAGES for v in TEST_VARIANTS],
                "noise": f"white, pink, brown or mains hum at {SNR_DB[0]:.0f}-{SNR_DB[1]:.0f} dB SNR",
                "epochs": EPOCHS,
                "seconds": round(seconds, 2),
                "origin": origin,
            },
            "input": f"{INPUT}: float32 [1, 1, {speech.FRAMES}, {speech.N_MELS}]: log mel power of one second of "
            "16 kHz audio, 25 ms Hann windows every 20 ms, 40 HTK mel bands 20-7600 Hz (ingest.zoo.speech.log_mel)",
            "output": f"{OUTPUT}: float32 [1, {len(LABELS)}] over {', '.join(LABELS)}",
        },
        task_metric=TaskMetric(
            dataset=f"eSpeak NG keywords in noise, held-out voices ({len(y_te)} clips)",
            metric="top1_accuracy_pct",
            higher_is_better=True,
            evaluate=_evaluate,
        ),
    )
