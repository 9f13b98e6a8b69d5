"""Speech synthesized offline with eSpeak NG (the library and voice data the ``espeakng-loader`` package ships),
noise to mix it with, and log-mel features: the data the keyword-spotting model is trained and judged on.

The library is driven through ctypes (``espeak_Initialize`` in synchronous mode, a synth callback that collects
the 16-bit samples), so no eSpeak NG binary or Python wrapper is needed. eSpeak's output (22,050 Hz) is resampled
to 16 kHz. One process-wide engine: eSpeak NG keeps global state, so calls are serialized by a lock.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import threading
from pathlib import Path
from typing import Any, Final

import numpy as np

SAMPLE_RATE: Final = 16_000
CLIP_SAMPLES: Final = SAMPLE_RATE  # one second
N_FFT: Final = 512
WIN: Final = 400  # 25 ms
HOP: Final = 320  # 20 ms
N_MELS: Final = 40
FRAMES: Final = 1 + (CLIP_SAMPLES - WIN) // HOP  # 49

_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2
_POS_CHARACTER: Final = 1
_CHARS_UTF8: Final = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class Espeak:
    """One eSpeak NG engine in this process (synchronous synthesis into memory)."""

    def __init__(self) -> None:
        from ingest.errors import ExportFailed

        try:
            import espeakng_loader
        except ImportError as exc:
            raise ExportFailed(
                "espeakng-loader is not installed", hint="pip install 'edge-model-registry[zoo]' (espeakng-loader)"
            ) from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.data_path = Path(espeakng_loader.get_data_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data_path).encode(), 0)
        if self.rate <= 0:
            raise ExportFailed(f"eSpeak NG did not initialize from {self.data_path}", hint="Reinstall espeakng-loader.")
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768.0)
        return 0

    def say(self, text: str, voice: str, rate: int = 175, pitch: int = 50, pitch_range: int = 50) -> np.ndarray:
        """``text`` spoken by ``voice`` (e.g. ``en-us+f2``), as float32 16 kHz mono in [-1, 1]."""
        from scipy.signal import resample_poly

        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"eSpeak NG has no voice {voice!r}")
            for param, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range), (_VOLUME, 100)):
                self.lib.espeak_SetParameter(param, value, 0)
            self._chunks = []
            data = text.encode() + b"\0"
            self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return np.asarray(resample_poly(audio, SAMPLE_RATE, self.rate), dtype=np.float32)

    def variants(self) -> list[str]:
        """The voice variants the data ships (``m1``, ``f2``, ``klatt``, ...), sorted."""
        folder = self.data_path / "voices" / "!v"
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


@functools.cache
def engine() -> Espeak:
    return Espeak()


def espeak_version() -> str:
    try:
        return importlib.metadata.version("espeakng-loader")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- noise and mixing


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise: ``white``, ``pink`` (1/f power), ``brown`` (1/f^2) or ``hum`` (mains harmonics + hiss)."""
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        base = rng.choice([50.0, 60.0])
        x = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 6))
        x = np.asarray(x) + 0.1 * rng.standard_normal(n)
    else:
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
        exponent = {"white": 0.0, "pink": 0.5, "brown": 1.0}[kind]
        x = np.fft.irfft(spectrum / f**exponent, n)
    unit: np.ndarray = (x / (np.sqrt(np.mean(x**2)) + 1e-12)).astype(np.float32)
    return unit


NOISES: Final = ("white", "pink", "brown", "hum")


def place(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech placed at a random offset in a one-second clip (cut if longer)."""
    clip = np.zeros(CLIP_SAMPLES, np.float32)
    speech = speech[:CLIP_SAMPLES]
    start = int(rng.integers(0, CLIP_SAMPLES - len(speech) + 1))
    clip[start : start + len(speech)] = speech
    return clip


def mix(clip: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``clip`` with noise of a random kind at ``snr_db`` (relative to the clip's voiced RMS), peak-normalized."""
    voiced = clip[np.abs(clip) > 1e-4]
    rms = float(np.sqrt(np.mean(voiced**2))) if len(voiced) else 0.05
    kind = NOISES[int(rng.integers(len(NOISES)))]
    out = clip + noise(kind, len(clip), rng) * rms / (10 ** (snr_db / 20))
    mixed: np.ndarray = (out / (np.abs(out).max() + 1e-9) * rng.uniform(0.3, 0.9)).astype(np.float32)
    return mixed


# ---------------------------------------------------------------- features


@functools.cache
def mel_filters() -> np.ndarray:
    """[N_MELS, N_FFT // 2 + 1] triangular filters, 20 Hz to 7.6 kHz on the HTK mel scale."""

    def mel(f: np.ndarray) -> np.ndarray:
        return np.asarray(2595.0 * np.log10(1.0 + f / 700.0))

    edges_mel = np.linspace(mel(np.array(20.0)), mel(np.array(7600.0)), N_MELS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    fb = np.zeros((N_MELS, len(freqs)), np.float32)
    for i in range(N_MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return fb


def log_mel(clip: np.ndarray) -> np.ndarray:
    """float32 [FRAMES, N_MELS]: log(1e-6 + mel power) of 25 ms Hann frames every 20 ms."""
    idx = np.arange(WIN)[None, :] + HOP * np.arange(FRAMES)[:, None]
    frames = clip[idx] * np.hanning(WIN).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, N_FFT)) ** 2
    features: np.ndarray = np.log(1e-6 + power @ mel_filters().T).astype(np.float32)
    return features
