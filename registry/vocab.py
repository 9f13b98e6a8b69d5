"""The registry's vocabulary: precisions, runtimes, provenance, semantic versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from registry import validation
from registry.errors import InvalidInput

PRECISIONS: Final = ("float", "fp16", "w8a8", "w8a16", "w4a16", "mixed")
PRECISION_ALIASES: Final = {
    "fp32": "float",
    "int8": "w8a8",
    "int4": "w4a16",
    "float32": "float",
    "float16": "fp16",
}
# Each word of the vocabulary is named once here; code compares against these names, never against a literal
# (tests/test_vocab_literals.py keeps provenance and status literals out of the code).
ONNX: Final = "onnx"
TFLITE: Final = "tflite"
QNN_DLC: Final = "qnn_dlc"
QNN_CONTEXT_BINARY: Final = "qnn_context_binary"
PRECOMPILED_QNN_ONNX: Final = "precompiled_qnn_onnx"
RUNTIMES: Final = (ONNX, TFLITE, QNN_DLC, QNN_CONTEXT_BINARY, PRECOMPILED_QNN_ONNX)
# Runtimes whose compiled artifact is tied to one chipset; the others run anywhere (target "any").
CHIPSET_SPECIFIC_RUNTIMES: Final = frozenset({QNN_CONTEXT_BINARY, PRECOMPILED_QNN_ONNX})
PORTABLE_TARGET: Final = "any"
# Which build a device gets when several run on it: a chipset-specific build first, then portable ones in this order
# (registry.service.resolve online, registry.client.offline from the cache).
CHIPSET_RUNTIME_PREFERENCE: Final = (QNN_CONTEXT_BINARY, PRECOMPILED_QNN_ONNX)
PORTABLE_RUNTIME_PREFERENCE: Final = (ONNX, TFLITE, QNN_DLC)

# Where a benchmark or evaluation figure comes from.
MEASURED_DEVICE: Final = "measured-device"  # on the real SoC, with the job id
MEASURED_HOST: Final = "measured-host"  # on this machine's CPU
ESTIMATED: Final = "estimated"  # by a named, versioned estimator
PUBLISHED: Final = "published"  # a third party's figure, with its source
PROVENANCES: Final = (MEASURED_DEVICE, MEASURED_HOST, ESTIMATED, PUBLISHED)

# A version's status: a yanked version is pullable by exact pin only, never by alias or "latest".
ACTIVE: Final = "active"
DEPRECATED: Final = "deprecated"
YANKED: Final = "yanked"
VERSION_STATUSES: Final = (ACTIVE, DEPRECATED, YANKED)

# Token scopes, weakest first: each scope includes the ones before it.
READ: Final = "read"
PUBLISH: Final = "publish"
ADMIN: Final = "admin"
TOKEN_SCOPES: Final = (READ, PUBLISH, ADMIN)
# The scale an evaluation's value is on. Accuracies of different scales are never compared raw: a fraction and a
# percentage compare as fractions; the other scales compare only within one metric.
EVALUATION_UNITS: Final = {
    "fraction": "0 to 1",
    "percent": "0 to 100",
    "cosine": "-1 to 1, 1 = identical outputs",
    "dB": "decibels, higher = closer",
    "score": "the metric's own scale",
}
SLUG_RE: Final = re.compile(validation.SLUG_PATTERN[:-1] + r"\Z")


def normalize_name(text: str) -> str:
    """Case- and symbol-insensitive key: 'Snapdragon® 8 Gen 3' == 'snapdragon-8-gen-3' == 'SNAPDRAGON 8 GEN 3'."""
    return re.sub(r"[^a-z0-9+]", "", text.lower().replace("®", "").replace("™", ""))


def normalize_precision(value: str) -> str:
    """``int8`` -> ``w8a8`` and friends; an unknown precision is an error that lists the known ones."""
    key = value.strip().lower()
    key = PRECISION_ALIASES.get(key, key)
    if key not in PRECISIONS:
        raise InvalidInput(
            f"Unknown precision '{value}'.",
            hint=f"Use one of: {', '.join(PRECISIONS)} (or the aliases fp32, int8, int4).",
        )
    return key


def normalize_runtime(value: str) -> str:
    key = value.strip().lower().replace("-", "_")
    if key not in RUNTIMES:
        raise InvalidInput(f"Unknown runtime '{value}'.", hint=f"Use one of: {', '.join(RUNTIMES)}.")
    return key


def has_scope(held: str, needed: str) -> bool:
    """Whether a token of scope ``held`` may do what needs ``needed`` (admin > publish > read); an unknown held
    scope has no rights, an unknown needed scope is a programming error (ValueError)."""
    return held in TOKEN_SCOPES and TOKEN_SCOPES.index(held) >= TOKEN_SCOPES.index(needed)


def check_slug(value: str, what: str = "model name") -> str:
    return validation.check_slug(value, what)


def check_alias(value: str) -> str:
    return validation.check_alias(value)


@dataclass(frozen=True, order=False)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @classmethod
    def parse(cls, text: str) -> SemVer:
        return cls(*validation.semver_parts(text))

    def sort_key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after all of its prereleases; numeric identifiers sort before alphanumeric ones.
        pre: tuple[tuple[int, int | str], ...] = tuple(
            (0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease.split(".") if self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core


@dataclass(frozen=True)
class ModelFilter:
    """The model filter, exactly as `registry models`, `Client.search` and `GET /v1/models` take it."""

    task: str | None = None
    domain: str | None = None
    device: str | None = None
    precision: str | None = None
    runtime: str | None = None
    license: str | None = None
    text: str | None = None
    max_latency_ms: float | None = None  # on ``device`` (or on any device): a benchmark at or under this
    min_accuracy: float | None = None  # a fraction (0.6; over 1 read as a percentage): any accuracy of a build


def evaluation_unit(metric: str, value: float, kind: str = "accuracy", given: str | None = None) -> str:
    """The scale of an evaluation: the one given (``%`` is ``percent``), else read from the metric's name (``_pct``,
    ``cosine``, ``_db``), else ``fraction`` for an accuracy between 0 and 1, else ``score`` (unknown scale)."""
    if given:
        key = {"%": "percent", "pct": "percent", "db": "dB"}.get(given.strip().lower(), given.strip())
        if key not in EVALUATION_UNITS:
            raise InvalidInput(
                f"Unknown evaluation unit '{given}'.", hint=f"Use one of: {', '.join(EVALUATION_UNITS)}."
            )
        # A value between 0 and 1 labelled a percentage is a fraction (published tables do this).
        return "fraction" if key == "percent" and 0.0 <= value <= 1.0 else key
    name = metric.lower()
    if name == "cosine" or name.startswith("cosine"):
        return "cosine"
    if name.endswith(("_db", " db", "(db)")) or "psnr" in name or "sqnr" in name:
        return "dB"
    if name.endswith(("_pct", "_percent", "%")) or "percent" in name:
        return "percent"
    if kind == "accuracy" and 0.0 <= value <= 1.0:
        return "fraction"
    return "score"


def as_fraction(value: float, unit: str) -> float | None:
    """An accuracy on a common 0-1 scale (a percentage divided by 100); None for a scale that has no such reading."""
    if unit == "fraction":
        return value
    if unit == "percent":
        return value / 100.0
    return None


def evaluation_text(value: float, unit: str) -> str:
    """A value on its scale, as people read it: accuracies as percentages (``61.0%``, whether stored as 0.61 or 61),
    ``0.993 of 1`` for a cosine, ``28.1 dB``; a score on a scale of its own as a plain number."""
    fraction = as_fraction(value, unit)
    if fraction is not None:
        return f"{fraction * 100:.1f}%"
    if unit == "cosine":
        return f"{value:.3f} of 1"
    if unit == "dB":
        return f"{value:.1f} dB"
    return f"{value:.3g}"
