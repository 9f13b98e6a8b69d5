"""Calibration and evaluation data for bring-your-own models: the user's own samples, or synthetic ones.

``--calibration-data DIR`` / ``--eval-data DIR`` take one of:

- ``*.npz`` files, one sample each, keyed by input name;
- ``*.npy`` files, one sample each, for a model with one data input; or one folder per input
  (``DIR/<input>/*.npy``), paired by file name;
- images (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``) for a 4-D image input, with the preprocessing declared by
  ``--preprocess`` (``color=rgb|bgr|gray,scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,layout=nchw``);
  each image is resized to the input's height and width;
- audio (``.wav``, PCM) for a 2-D ``[batch, samples]`` or 3-D ``[batch, channels, samples]`` input: mixed to mono,
  resampled to ``rate=`` of ``--preprocess`` (default 16000) and cut into consecutive windows of the input's
  length, each window one sample.

Inputs a sample does not carry are filled: state inputs with zeros, ``--input-value`` inputs with their value;
any other missing input is an error. Every array is checked against the interface (shape and dtype).
Without data, samples are synthetic (seeded N(0, 1) floats, small non-negative integers, zeros for state
inputs) and the build records that its figures come from synthetic inputs.
"""

from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from ingest.byo_inputs import Interface
from registry.errors import InvalidInput

Sample = dict[str, np.ndarray]
IMAGE_SUFFIXES: Final = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
AUDIO_SUFFIXES: Final = frozenset({".wav"})
MAX_SAMPLES: Final = 256
_CHOICES: Final = frozenset(
    {("color", "rgb"), ("color", "bgr"), ("color", "gray"), ("layout", "nchw"), ("layout", "nhwc")}
)


@dataclass(frozen=True)
class Preprocess:
    """How an image or audio file becomes an input array."""

    color: str = "rgb"
    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    layout: str = "nchw"
    rate: int = 16000
    declared: str = ""

    @classmethod
    def parse(cls, text: str | None) -> Preprocess | None:
        if not text:
            return None
        fields: dict[str, Any] = {"declared": text}
        for part in re.split(r",(?=[a-z]+=)", text.strip()):
            key, _, value = part.partition("=")
            key, value = key.strip(), value.strip()
            try:
                if (key, value) in _CHOICES:
                    fields[key] = value
                elif key == "scale":
                    num, _, den = value.partition("/")
                    fields[key] = float(num) / float(den or 1)
                elif key in ("mean", "std"):
                    fields[key] = tuple(float(v) for v in value.split(":"))
                elif key == "rate":
                    fields[key] = int(value)
                else:
                    raise ValueError(key)
            except (ValueError, ZeroDivisionError):
                raise InvalidInput(
                    f"--preprocess '{part}' is not understood.",
                    hint="e.g. --preprocess color=rgb,scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,"
                    "layout=nchw (images) or --preprocess rate=16000 (audio)",
                ) from None
        return cls(**fields)


def synthetic(interface: Interface, count: int, seed: int) -> list[Sample]:
    """Seeded samples at the interface's exact shapes (see the module doc)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        sample: Sample = {}
        for name, (shape, dtype) in interface.inputs.items():
            kind = np.dtype(dtype)
            if name in interface.values:
                sample[name] = np.full(shape, interface.values[name], kind)
            elif name in interface.state:
                sample[name] = np.zeros(shape, kind)
            elif kind == np.bool_:
                sample[name] = np.ones(shape, kind)
            elif np.issubdtype(kind, np.floating):
                sample[name] = rng.standard_normal(shape).astype(kind)
            else:
                sample[name] = rng.integers(0, 100, shape).astype(kind)
        out.append(sample)
    return out


def load_dir(path: Path, interface: Interface, preprocess: Preprocess | None, flag: str) -> list[Sample]:
    """The samples in ``path`` (see the module doc), each complete and checked against ``interface``."""
    if not path.is_dir():
        raise InvalidInput(
            f"{flag} {path}: not a directory.", hint="Give a directory of .npz/.npy, image or .wav files."
        )
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    folders = sorted(p for p in path.iterdir() if p.is_dir() and p.name in interface.inputs)
    kinds = {p.suffix.lower() for p in files}
    if folders:
        raw = _per_input_folders(folders)
    elif kinds and kinds <= {".npz"}:
        raw = [_npz(p) for p in files]
    elif kinds and kinds <= {".npy"}:
        raw = [{_data_input(interface, flag): np.load(p, allow_pickle=False)} for p in files]
    elif kinds and kinds <= IMAGE_SUFFIXES:
        raw = _images(files, interface, preprocess, flag)
    elif kinds and kinds <= AUDIO_SUFFIXES:
        raw = _audio(files, interface, preprocess or Preprocess(), flag)
    else:
        raise InvalidInput(
            f"{flag} {path}: found {', '.join(sorted(kinds)) or 'no files'}; expected one kind of .npz, .npy, "
            "image or .wav files (or one folder of .npy per input).",
            hint="See docs/ingest.md, 'Bring your own data'.",
        )
    if not raw:
        raise InvalidInput(f"{flag} {path}: no samples in it.")
    return [_complete(s, interface, f"{flag} sample {i}") for i, s in enumerate(raw[:MAX_SAMPLES])]


def _npz(path: Path) -> Sample:
    with np.load(path, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}


def _per_input_folders(folders: list[Path]) -> list[Sample]:
    names = sorted({f.name for folder in folders for f in folder.glob("*.npy")})
    return [
        {folder.name: np.load(folder / n, allow_pickle=False) for folder in folders if (folder / n).is_file()}
        for n in names
    ]


def _data_input(interface: Interface, flag: str) -> str:
    """The one input that takes data (not state, not held at a value)."""
    free = [n for n in interface.inputs if n not in interface.state and n not in interface.values]
    if len(free) != 1:
        raise InvalidInput(
            f"{flag}: plain files fit a model with one data input; this one takes {', '.join(free)}.",
            hint="Give .npz files keyed by input name, or one folder of .npy files per input.",
        )
    return free[0]


def _images(files: list[Path], interface: Interface, pre: Preprocess | None, flag: str) -> list[Sample]:
    from PIL import Image

    if pre is None:
        raise InvalidInput(
            f"{flag}: images need their preprocessing declared.",
            hint="e.g. --preprocess color=rgb,scale=1/255,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,layout=nchw",
        )
    name = _data_input(interface, flag)
    shape, dtype = interface.inputs[name]
    if len(shape) != 4:
        raise InvalidInput(f"{flag}: images feed a 4-D input; '{name}' has shape {list(shape)}.")
    height, width = (shape[2], shape[3]) if pre.layout == "nchw" else (shape[1], shape[2])
    out = []
    for path in files:
        with Image.open(path) as img:
            pixels = img.convert("L" if pre.color == "gray" else "RGB").resize(
                (width, height), Image.Resampling.BILINEAR
            )
            arr: np.ndarray = np.asarray(pixels, dtype=np.float32)
        arr = arr[..., None] if arr.ndim == 2 else arr[..., ::-1] if pre.color == "bgr" else arr
        arr = (arr * np.float32(pre.scale) - np.asarray(pre.mean, np.float32)) / np.asarray(pre.std, np.float32)
        arr = arr.transpose(2, 0, 1) if pre.layout == "nchw" else arr
        out.append({name: np.ascontiguousarray(arr[None]).astype(dtype)})
    return out


def _audio(files: list[Path], interface: Interface, pre: Preprocess, flag: str) -> list[Sample]:
    name = _data_input(interface, flag)
    shape, dtype = interface.inputs[name]
    if len(shape) not in (2, 3):
        raise InvalidInput(f"{flag}: audio feeds a [batch, samples] input; '{name}' has shape {list(shape)}.")
    window = shape[-1]
    out = []
    for path in files:
        signal = _read_wav(path, pre.rate, flag)
        for start in range(0, max(len(signal) - window + 1, 1), window):
            chunk = np.zeros(window, np.float32)
            piece = signal[start : start + window]
            chunk[: len(piece)] = piece
            out.append({name: np.broadcast_to(chunk, shape).astype(dtype)})
    return out


def _read_wav(path: Path, rate: int, flag: str) -> np.ndarray:
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, src_rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InvalidInput(f"{flag}: {path.name} is not a PCM .wav file ({exc}).") from exc
    if width not in (1, 2, 4):
        raise InvalidInput(f"{flag}: {path.name} has {8 * width}-bit samples; use 8, 16 or 32-bit PCM.")
    kind = {1: "uint8", 2: "int16", 4: "int32"}[width]
    data: np.ndarray = np.frombuffer(frames, kind).astype(np.float32)
    data = (data - 128.0) / 128.0 if width == 1 else data / float(2 ** (8 * width - 1) - 1)
    mono: np.ndarray = data.reshape(-1, channels).mean(axis=1).astype(np.float32)
    if src_rate != rate and len(mono) > 1:
        positions = np.arange(0, len(mono) * rate / src_rate) * src_rate / rate
        mono = np.interp(positions, np.arange(len(mono)), mono).astype(np.float32)
    return mono


def _complete(sample: Sample, interface: Interface, where: str) -> Sample:
    extra = sorted(set(sample) - set(interface.inputs))
    if extra:
        raise InvalidInput(f"{where} has inputs the model does not take: {', '.join(extra)}.")
    out: Sample = {}
    for name, (shape, dtype) in interface.inputs.items():
        if name in sample:
            arr = np.asarray(sample[name])
        elif name in interface.values:
            arr = np.full(shape, interface.values[name], dtype)
        elif name in interface.state:
            arr = np.zeros(shape, dtype)
        else:
            raise InvalidInput(f"{where} lacks input '{name}'.", hint=f"Give {name}: {dtype}{list(shape)} in it.")
        if tuple(arr.shape) != tuple(shape):
            raise InvalidInput(
                f"{where}, input '{name}': shape {list(arr.shape)}, but the build is made at {list(shape)}.",
                hint="Give data at the shapes of --input-shape, or change --input-shape.",
            )
        if arr.dtype != np.dtype(dtype):
            if not np.can_cast(arr.dtype, np.dtype(dtype), casting="same_kind"):
                raise InvalidInput(f"{where}, input '{name}': dtype {arr.dtype}, the model takes {dtype}.")
            arr = arr.astype(dtype)
        out[name] = arr
    return out


def describe(path: Path | None, count: int, preprocess: Preprocess | None) -> dict[str, Any]:
    """What a build's data were, for its record."""
    if path is None:
        return {"kind": "synthetic", "samples": count, "detail": "seeded N(0,1) floats, small integers, zero states"}
    return {
        "kind": "given",
        "path": str(path),
        "samples": count,
        **({"preprocess": preprocess.declared} if preprocess else {}),
    }
