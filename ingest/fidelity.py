"""How closely a candidate build's outputs follow the FP32 reference outputs.

``compare`` flattens every sample of an output into one vector and reports, for the worst output:
cosine similarity, PSNR (dB, peak = the reference's value range), SQNR (dB, reference signal power over
error power) and the largest absolute error. Identical outputs report ``MAX_DB`` instead of infinity so
the figures stay valid JSON.

Top-1 agreement is reported only for classifier-shaped outputs (2-D ``[batch, classes]``) whose reference
is not degenerate: a random-weight model often gives the same class for every input, and agreeing with a
constant says nothing about accuracy (judge those by cosine / PSNR / SQNR).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from registry.errors import InvalidInput, require

MAX_DB: Final = 200.0
Outputs = Mapping[str, np.ndarray]


def compare(reference: Sequence[Outputs], candidate: Sequence[Outputs]) -> dict[str, float]:
    """Fidelity of ``candidate`` against ``reference`` (one dict of outputs per sample, same order).

    Keys: ``cosine``, ``psnr_db``, ``sqnr_db``, ``max_abs_err`` (worst over outputs), ``samples``, and
    ``top1_agreement`` only when it means something (see ``degenerate_reference``).
    """
    per_output = compare_per_output(reference, candidate)
    worst: dict[str, float] = {
        "cosine": min(m["cosine"] for m in per_output.values()),
        "psnr_db": min(m["psnr_db"] for m in per_output.values()),
        "sqnr_db": min(m["sqnr_db"] for m in per_output.values()),
        "max_abs_err": max(m["max_abs_err"] for m in per_output.values()),
        "samples": float(len(reference)),
    }
    agreements = [m["top1_agreement"] for m in per_output.values() if "top1_agreement" in m]
    if agreements:
        worst["top1_agreement"] = min(agreements)
    return worst


def compare_per_output(reference: Sequence[Outputs], candidate: Sequence[Outputs]) -> dict[str, dict[str, float]]:
    """The same figures as ``compare``, for each output name."""
    if not reference:
        raise InvalidInput("Nothing to compare: the reference has no samples.")
    if len(reference) != len(candidate):
        raise InvalidInput(f"The reference has {len(reference)} samples but the candidate has {len(candidate)}.")
    names = list(reference[0])
    missing = [n for n in names if n not in candidate[0]]
    if missing:
        raise InvalidInput(f"The candidate lacks outputs {missing}.", hint=f"Expected outputs: {names}.")
    result: dict[str, dict[str, float]] = {}
    for name in names:
        ref_parts = [np.asarray(sample[name]) for sample in reference]
        cand_parts = [np.asarray(sample[name]) for sample in candidate]
        for index, (r, c) in enumerate(zip(ref_parts, cand_parts, strict=True)):
            if r.shape != c.shape:
                raise InvalidInput(f"Output '{name}' of sample {index} has shape {c.shape}, expected {r.shape}.")
        metrics = _signal_metrics(
            np.concatenate([p.astype(np.float64).ravel() for p in ref_parts]),
            np.concatenate([p.astype(np.float64).ravel() for p in cand_parts]),
        )
        if not degenerate_reference(reference, name):
            metrics["top1_agreement"] = _top1_agreement(ref_parts, cand_parts)
        result[name] = metrics
    return result


def degenerate_reference(reference: Sequence[Outputs], name: str | None = None) -> bool:
    """True when top-1 agreement on output ``name`` (default: the first) would be meaningless.

    That is: the output is not classifier-shaped (2-D ``[batch, classes]`` with >= 2 classes), there are
    fewer than two rows to compare, or every reference row has the same top-1 class.
    """
    if not reference:
        return True
    name = name if name is not None else next(iter(reference[0]))
    parts = [np.asarray(sample[name]) for sample in reference]
    if any(p.ndim != 2 or p.shape[1] < 2 or not np.issubdtype(p.dtype, np.floating) for p in parts):
        return True
    top1 = np.concatenate([p.argmax(axis=1) for p in parts])
    return top1.size < 2 or bool(np.all(top1 == top1[0]))


def _top1_agreement(ref_parts: list[np.ndarray], cand_parts: list[np.ndarray]) -> float:
    ref_top = np.concatenate([p.argmax(axis=1) for p in ref_parts])
    cand_top = np.concatenate([p.argmax(axis=1) for p in cand_parts])
    return float(np.mean(ref_top == cand_top))


def _signal_metrics(ref: np.ndarray, cand: np.ndarray) -> dict[str, float]:
    error = cand - ref
    noise_power = float(np.sum(error * error))
    signal_power = float(np.sum(ref * ref))
    mse = noise_power / max(ref.size, 1)
    peak = float(ref.max() - ref.min()) if ref.size else 0.0
    return {
        "cosine": _cosine(ref, cand),
        "psnr_db": _db(peak * peak, mse),
        "sqnr_db": _db(signal_power, noise_power),
        "max_abs_err": float(np.max(np.abs(error))) if error.size else 0.0,
    }


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm_a = float(np.linalg.norm(a))
    norm_b = float(np.linalg.norm(b))
    if norm_a == 0.0 and norm_b == 0.0:
        return 1.0
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return float(np.dot(a, b) / (norm_a * norm_b))


def _db(signal: float, noise: float) -> float:
    if noise <= 0.0:
        return MAX_DB
    if signal <= 0.0:
        return -MAX_DB
    return max(-MAX_DB, min(MAX_DB, 10.0 * math.log10(signal / noise)))


def make_session(path: Path | str, *, threads: int = 0, optimize: bool = True) -> Any:
    """A CPU onnxruntime session with spinning off (timings and co-tenants stay sane on small hosts)."""
    ort = require("onnxruntime", "ml")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def run_model(
    path: Path | str, inputs: Sequence[Mapping[str, np.ndarray]], *, threads: int = 0
) -> list[dict[str, np.ndarray]]:
    """Run the ONNX model at ``path`` on each input dict; one dict of outputs (by name) per input."""
    session = make_session(path, threads=threads)
    names = [o.name for o in session.get_outputs()]
    results: list[dict[str, np.ndarray]] = []
    for feed in inputs:
        values = session.run(names, dict(feed))
        results.append({n: np.asarray(v) for n, v in zip(names, values, strict=True)})
    return results


def degenerate_reasons(
    reference: Sequence[Outputs], candidate: Sequence[Outputs], metrics: Mapping[str, float], *, is_reference: bool
) -> list[str]:
    """Why these fidelity figures mean nothing, if they do not: a NaN or infinite output or figure, a cosine <= 0,
    an SQNR at its clamp (``±MAX_DB``), or outputs that do not change across samples. ``is_reference``: the build
    is the FP32 reference itself (float), whose figures against itself are exact by construction; only the
    reference's own outputs are judged then."""
    reasons: list[str] = []
    for label, outputs in (("FP32 reference", reference), ("build", candidate)):
        bad = [n for n in outputs[0] if not all(np.all(np.isfinite(np.asarray(s[n], np.float64))) for s in outputs)]
        if bad:
            reasons.append(f"the {label} gives NaN or infinite values in {', '.join(bad)}")
    if not is_reference:
        if any(isinstance(v, float) and math.isnan(v) for v in metrics.values()):
            reasons.append("a fidelity figure is NaN")
        if metrics.get("cosine", 1.0) <= 0.0:
            reasons.append(f"cosine {metrics['cosine']:.3g} <= 0")
        sqnr = metrics.get("sqnr_db")
        if sqnr is not None and abs(sqnr) >= MAX_DB:
            reasons.append(f"SQNR at its clamp ({sqnr:+.0f} dB)")
    if len(reference) >= 2:
        for label, outputs in (("FP32 reference", reference), ("build", candidate)):
            if label == "build" and is_reference:
                continue
            if all(_constant(outputs, n) for n in outputs[0]):
                reasons.append(f"the {label}'s outputs are the same for all {len(outputs)} samples")
    return reasons


def _constant(outputs: Sequence[Outputs], name: str) -> bool:
    first = np.asarray(outputs[0][name])
    return all(np.array_equal(first, np.asarray(s[name])) for s in outputs[1:])
