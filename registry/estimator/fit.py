"""Fit the estimator on Qualcomm's published measurements and write ``registry/estimator/data/params.json``.

    python -m registry.estimator.fit [--perf aihub_published_perf.csv]

Deterministic: the same CSV and calibration graphs give the same params.json. Needs numpy (``ml`` extra).
The fit is robust least squares (soft-L1) in log space with small ridge penalties; validation leaves out whole
model families (models whose graphs are identical, e.g. ESRGAN and Real-ESRGAN-x4plus, go out together).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.estimator.model import (
    CONTEXT_TERMS,
    FEATURES,
    PRECISION_CLASSES,
    SLOPE_TERMS,
    TERMS,
    WEIGHT_BYTES,
    context_terms,
    device_share,
    features,
    precision_class,
    terms,
)
from registry.vocab import ONNX, PRECOMPILED_QNN_ONNX, QNN_CONTEXT_BINARY, QNN_DLC, TFLITE

ESTIMATOR_VERSION = "0.3.0"
DATA_DIR = Path(__file__).parent / "data"
GRAPHS_FILE = DATA_DIR / "calibration_graphs.json"
PARAMS_FILE = DATA_DIR / "params.json"


PUBLISHED_DIR = Path(__file__).resolve().parent / "data" / "aihub"


def _default_perf() -> Path:
    """The published measurements shipped with the package (``data/aihub/``: quic/ai-hub-models v0.46.1,
    BSD-3-Clause; see its README), so a fit is reproducible from a clean checkout."""
    return PUBLISHED_DIR / "aihub_published_perf.csv"


SOURCE_RELEASE = "quic/ai-hub-models v0.46.1 (2026-02-12)"
# The order of the fitted runtime offsets (params.json): not the vocabulary's order.
RUNTIMES = (TFLITE, QNN_DLC, QNN_CONTEXT_BINARY, ONNX, PRECOMPILED_QNN_ONNX)
# Ridge penalties, in rows' worth of evidence: betas shared by all precision classes, each class's deviation from
# them (strongly shrunk: ~60 model/class points cannot support a free beta per class), device and runtime offsets.
_BETA_PENALTY, _BETA_PC_PENALTY, _DEVICE_PC_PENALTY, _RUNTIME_PENALTY = 10.0, 1000.0, 20.0, 5.0
_DEVICE_RT_PENALTY, _CONTEXT_PENALTY, _DEVICE_SLOPE_PENALTY = 1.0, 0.5, 10.0
_HUBER_K, _HUBER_ROUNDS = 0.15, 8  # log-space residual beyond which a row's weight falls off


@dataclass(frozen=True)
class Row:
    model_id: str
    component: str
    family: str
    chipset: str
    runtime: str
    precision: str
    pclass: str
    latency_ms: float
    memory_mb: float | None
    layers: tuple[int, int, int]
    x: tuple[float, ...]
    weights_mb: float
    act_mb: float


def load_rows(perf_csv: Path, graphs_file: Path = GRAPHS_FILE) -> list[Row]:
    """The published rows whose (model, component) has a calibration graph and a latency, leaving out models AI Hub
    profiles on the CPU alone (every row without an NPU or GPU layer, e.g. EyeGaze, exported with
    ``--compute_unit cpu``): the estimator predicts accelerated runs."""
    graphs = {(g["model_id"], g["component"]): g for g in json.loads(graphs_file.read_text())["graphs"]}
    family_of = _families(graphs)
    with perf_csv.open(newline="", encoding="utf-8") as fh:
        published = list(csv.DictReader(fh))
    accelerated = {
        r["model_id"] for r in published if float(r["layers_npu"] or 0) > 0 or float(r["layers_gpu"] or 0) > 0
    }
    rows: list[Row] = []
    for r in published:
        g = graphs.get((r["model_id"], r["component"]))
        if g is None or r["runtime"] not in RUNTIMES or not r["inference_time_ms"] or r["model_id"] not in accelerated:
            continue
        try:
            pclass = precision_class(r["precision"])
        except ValueError:
            continue
        x = features(g)
        mem = float(r["peak_memory_max_mb"]) if r["peak_memory_max_mb"] else None
        layers = tuple(int(float(r[k] or 0)) for k in ("layers_npu", "layers_gpu", "layers_cpu"))
        rows.append(
            Row(
                model_id=r["model_id"],
                component=r["component"],
                family=family_of[(r["model_id"], r["component"])],
                chipset=r["chipset"],
                runtime=r["runtime"],
                precision=r["precision"],
                pclass=pclass,
                latency_ms=float(r["inference_time_ms"]),
                memory_mb=mem,
                layers=(layers[0], layers[1], layers[2]),
                x=tuple(x[k] for k in FEATURES),
                weights_mb=x["params"] * 100 * WEIGHT_BYTES[pclass],
                act_mb=float(g["peak_activation_bytes"]) / 1e6,
            )
        )
    rows.sort(key=lambda r: (r.model_id, r.component, r.chipset, r.runtime, r.precision, r.latency_ms))
    return rows


def _families(graphs: Mapping[tuple[str, str], Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """Group models that share an identical component graph (same MACs and node count); a family is named by its
    first model id."""
    parent: dict[str, str] = {}

    def root(m: str) -> str:
        while parent.setdefault(m, m) != m:
            m = parent[m]
        return m

    owner: dict[tuple[int, int], str] = {}  # a component's fingerprint -> the first model that has it
    for (mid, _), g in sorted(graphs.items()):
        fp = (int(g["macs"]), int(g["node_count"]))
        other = owner.setdefault(fp, mid)
        a, b = sorted((root(mid), root(other)))
        parent[b] = a
    return {key: root(key[0]) for key in graphs}


# --- the fit -------------------------------------------------------------------------------------------------------


class Fitter:
    """Ridge regression in log space, made robust by Huber reweighting, over beta[pclass, term] (a shared part plus
    a strongly shrunk deviation per class), device[chipset] + device_pc[chipset, pclass] +
    device_rt[chipset, runtime, pclass], slope[chipset, pclass, slope term], runtime[runtime, pclass] and
    gamma[runtime, pclass, context term].
    Closed form: a fold fits in milliseconds."""

    def __init__(self, rows: Sequence[Row]) -> None:
        import numpy as np

        self.devices = sorted({r.chipset for r in rows})
        self.n_p, self.n_t, self.n_d, self.n_r = len(PRECISION_CLASSES), len(TERMS), len(self.devices), len(RUNTIMES)
        self.n_c, self.n_s = len(CONTEXT_TERMS), len(SLOPE_TERMS)
        self.rows = rows
        self.y = np.log(np.array([r.latency_ms for r in rows]))
        self.p = np.array([PRECISION_CLASSES.index(r.pclass) for r in rows])
        self.d = np.array([self.devices.index(r.chipset) for r in rows])
        self.rt = np.array([RUNTIMES.index(r.runtime) for r in rows])
        xs = [dict(zip(FEATURES, r.x, strict=True)) for r in rows]
        T = np.array([[terms(x)[k] for k in TERMS] for x in xs])
        C = np.array([[context_terms(x)[k] for k in CONTEXT_TERMS] for x in xs])
        n, idx = len(rows), np.arange(len(rows))
        blocks: list[tuple[str, Any, float]] = []  # (name, columns, ridge penalty)

        def block(name: str, width: int, penalty: float) -> Any:
            cols = np.zeros((n, width))
            blocks.append((name, cols, penalty))
            return cols

        b = block("beta_pc", self.n_p * self.n_t, _BETA_PC_PENALTY)
        for k in range(self.n_t):
            b[idx, self.p * self.n_t + k] = T[:, k]
        block("device", self.n_d, 1e-3)[idx, self.d] = 1.0
        block("device_pc", self.n_d * self.n_p, _DEVICE_PC_PENALTY)[idx, self.d * self.n_p + self.p] = 1.0
        block("device_rt", self.n_d * self.n_r * self.n_p, _DEVICE_RT_PENALTY)[
            idx, (self.d * self.n_r + self.rt) * self.n_p + self.p
        ] = 1.0
        block("runtime", self.n_r * self.n_p, _RUNTIME_PENALTY)[idx, self.rt * self.n_p + self.p] = 1.0
        g = block("context", self.n_r * self.n_p * self.n_c, _CONTEXT_PENALTY)
        for k in range(self.n_c):
            g[idx, (self.rt * self.n_p + self.p) * self.n_c + k] = C[:, k]
        block("beta", self.n_t - 1, _BETA_PENALTY)[:] = T[:, 1:]  # shared by all classes (the intercept is per class)
        sl = block("device_slope", self.n_d * self.n_p * self.n_s, _DEVICE_SLOPE_PENALTY)
        for k, name in enumerate(SLOPE_TERMS):
            sl[idx, (self.d * self.n_p + self.p) * self.n_s + k] = T[:, TERMS.index(name)]
        self.A = np.hstack([cols for _, cols, _ in blocks])
        self.size = self.A.shape[1]
        self.slices: dict[str, slice] = {}
        pen, at = [], 0
        for name, cols, penalty in blocks:
            self.slices[name] = slice(at, at + cols.shape[1])
            at += cols.shape[1]
            pen += [penalty] * cols.shape[1]
        pen_arr = np.array(pen)
        pen_arr[[self.slices["beta_pc"].start + pc * self.n_t for pc in range(self.n_p)]] = 1e-6  # intercepts
        self.penalty = np.diag(pen_arr)

    def unpack(self, v: Any) -> dict[str, Any]:
        """The fitted parameters by block; ``beta`` has the shared part added to each class."""
        s = self.slices
        beta = v[s["beta_pc"]].reshape(self.n_p, self.n_t).copy()
        beta[:, 1:] += v[s["beta"]]
        return {
            "beta": beta,
            "device": v[s["device"]],
            "device_pc": v[s["device_pc"]].reshape(self.n_d, self.n_p),
            "device_rt": v[s["device_rt"]].reshape(self.n_d, self.n_r, self.n_p),
            "runtime": v[s["runtime"]].reshape(self.n_r, self.n_p),
            "context": v[s["context"]].reshape(self.n_r, self.n_p, self.n_c),
            "device_slope": v[s["device_slope"]].reshape(self.n_d, self.n_p, self.n_s),
        }

    def predict_log(self, v: Any, idx: Any = None) -> Any:
        return (self.A if idx is None else self.A[idx]) @ v

    def fit(self, idx: Any) -> Any:
        import numpy as np

        A, y = self.A[idx], self.y[idx]
        w = np.ones(len(y))
        v = np.zeros(self.size)
        for _ in range(_HUBER_ROUNDS):
            Aw = A * w[:, None]
            v = np.linalg.solve(A.T @ Aw + self.penalty, Aw.T @ y)
            r = np.abs(A @ v - y)
            w = np.minimum(1.0, _HUBER_K / np.maximum(r, 1e-9))
        return v


# --- validation ----------------------------------------------------------------------------------------------------


def cross_validate(fitter: Fitter, by: str = "family") -> Any:
    """Leave-one-family-out (``by="model_id"``: leave-one-model-out) predictions (ms) for every row."""
    import numpy as np

    families = np.array([getattr(r, by) for r in fitter.rows])
    pred = np.zeros(len(fitter.rows))
    for fam in sorted(set(families)):
        test = families == fam
        v = fitter.fit(np.where(~test)[0])
        # a held-out model's rows may use a (device, runtime) the others never used: the penalised terms stay 0
        pred[test] = fitter.predict_log(v, np.where(test)[0])
    return np.exp(pred)


def metrics(pred: Any, obs: Any) -> dict[str, float]:
    import numpy as np

    p, o = np.asarray(pred), np.asarray(obs)
    ape = np.abs(p - o) / o * 100
    rho = float(np.corrcoef(_ranks(p), _ranks(o))[0, 1]) if len(p) > 2 and len(set(o.tolist())) > 1 else float("nan")
    return {
        "n": len(p),
        "median_ape": float(np.median(ape)),
        "within_25": float(np.mean(ape <= 25) * 100),
        "spearman": rho,
        "p68_ape": float(np.percentile(ape, 68)),
        "p95_ape": float(np.percentile(ape, 95)),
    }


def _ranks(values: Any) -> Any:
    """Ranks with ties averaged (Spearman's rho is the Pearson correlation of these)."""
    import numpy as np

    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    # tied values share their mean rank (one pass: the anchoring report ranks ~10^5 predictions)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return np.bincount(inverse, weights=ranks)[inverse] / counts[inverse]


def _fallback_device(dev: Mapping[str, float], arch: Mapping[str, str | None], chipset: str | None) -> float:
    """The device share of a chipset with no calibration rows: the median of calibrated chipsets of its NPU
    architecture, else of all calibrated chipsets (``chipset`` itself is left out)."""
    import statistics

    others = {c: v for c, v in dev.items() if c != chipset}
    want = arch.get(chipset) if chipset else None
    same = [v for c, v in others.items() if want and arch.get(c) == want]
    return statistics.median(same or list(others.values()))


# --- memory and compute units --------------------------------------------------------------------------------------


def fit_memory(rows: Sequence[Row]) -> tuple[dict[str, Any], list[tuple[Row, float]]]:
    """log(peak MB) = a[runtime] + d[chipset] + b log(1 + weights MB) + c log(1 + peak activations MB), least
    squares with the device offsets shrunk towards 0 (an uncalibrated chipset gets 0, the average); returns the
    coefficients and leave-one-family-out predictions."""
    import numpy as np

    mem_rows = [r for r in rows if r.memory_mb and r.memory_mb > 0]
    devices = sorted({r.chipset for r in mem_rows})

    def design(rs: Sequence[Row]) -> Any:
        return np.array(
            [
                [1.0 if r.runtime == rt else 0.0 for rt in RUNTIMES]
                + [1.0 if r.chipset == d else 0.0 for d in devices]
                + [math.log1p(r.weights_mb), math.log1p(r.act_mb)]
                for r in rs
            ]
        )

    A, y = design(mem_rows), np.log(np.array([r.memory_mb for r in mem_rows]))
    ridge = np.diag([1e-3] * len(RUNTIMES) + [1.0] * len(devices) + [1e-3, 1e-3])

    def solve(idx: Any) -> Any:
        return np.linalg.solve(A[idx].T @ A[idx] + ridge, A[idx].T @ y[idx])

    coef = solve(np.arange(len(mem_rows)))
    fams = np.array([r.family for r in mem_rows])
    cv: list[tuple[Row, float]] = []
    for fam in sorted(set(fams)):
        test = np.where(fams == fam)[0]
        c = solve(np.where(fams != fam)[0])
        cv += [(mem_rows[i], float(math.exp(A[i] @ c))) for i in test]
    n_r = len(RUNTIMES)
    return (
        {
            "intercept": {rt: float(coef[i]) for i, rt in enumerate(RUNTIMES)},
            "device": {d: float(coef[n_r + i]) for i, d in enumerate(devices)},
            "log_weights_mb": float(coef[-2]),
            "log_activations_mb": float(coef[-1]),
        },
        cv,
    )


def compute_unit_table(perf_csv: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Per runtime and precision class, the published share of layers on NPU, GPU and CPU (all models)."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    with perf_csv.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["runtime"] not in RUNTIMES or not r["total_layers"]:
                continue
            try:
                pc = precision_class(r["precision"])
            except ValueError:
                continue
            layers = [float(r[k] or 0) for k in ("layers_npu", "layers_gpu", "layers_cpu")]
            total = sum(layers)
            if total <= 0:
                continue
            acc = sums[(r["runtime"], pc)]
            for i in range(3):
                acc[i] += layers[i] / total
            acc[3] += 1
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (rt, pc), (npu, gpu, cpu, n) in sorted(sums.items()):
        out[rt][pc] = {"npu": round(npu / n, 4), "gpu": round(gpu / n, 4), "cpu": round(cpu / n, 4), "rows": int(n)}
    return dict(out)


def cpu_fallback_table(rows: Sequence[Row]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """Per chipset, runtime and precision class, the share of published profiles that ran layers on the CPU, apart
    for graphs with transformer ops and for the others (quantized onnx-runtime builds of transformers fall back on
    every chipset; on some chipsets every quantized onnx-runtime build does)."""
    xformer = FEATURES.index("xformer")
    counts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        kind = "transformer" if r.x[xformer] else "other"
        acc = counts[(r.chipset, r.runtime, r.pclass, kind)]
        acc[0] += r.layers[2] > 0
        acc[1] += 1
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for (chip, rt, pc, kind), (cpu, n) in sorted(counts.items()):
        out.setdefault(chip, {}).setdefault(rt, {}).setdefault(pc, {})[kind] = round(cpu / n, 3)
    return out


# --- the whole run -------------------------------------------------------------------------------------------------


def run(perf_csv: Path, graphs_file: Path = GRAPHS_FILE) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit, cross-validate and return (params, validation report)."""
    import numpy as np

    from registry.devices import load_device_specs
    from registry.errors import InvalidInput

    if not perf_csv.is_file():
        raise InvalidInput(
            f"No published measurements at {perf_csv}.",
            hint="Pass --perf PATH to an aihub_published_perf.csv, or leave it out to use the copy shipped in "
            "registry/estimator/data/aihub/.",
        )
    rows = load_rows(perf_csv, graphs_file)
    if len({r.family for r in rows}) < 3:
        raise InvalidInput(
            f"Only {len({r.family for r in rows})} calibration model families have both a graph and a published "
            f"latency in {perf_csv.name}: nothing to fit or validate.",
            hint="Check that the CSV has AI Hub's columns (model_id, component, runtime, inference_time_ms) and that "
            "registry/estimator/data/calibration_graphs.json has the models' graphs "
            "(python -m tools.calibration.build_graphs in a source checkout).",
        )
    fitter = Fitter(rows)
    full = fitter.fit(np.arange(len(rows)))
    fitted = fitter.unpack(full)
    beta, dev, dev_pc, dev_rt, rt = (fitted[k] for k in ("beta", "device", "device_pc", "device_rt", "runtime"))
    pred = cross_validate(fitter)
    obs = np.array([r.latency_ms for r in rows])

    arch = {s.chipset: s.npu_arch for s in load_device_specs()}
    dev_terms = {c: float(dev[i]) for i, c in enumerate(fitter.devices)}
    ape = np.abs(pred - obs) / obs * 100
    error_pct = {c: round(float(np.percentile(ape[fitter.d == i], 68)), 1) for i, c in enumerate(fitter.devices)}

    # Each chipset's parameters as params.json holds them (model.device_share reads them).
    slope = fitted["device_slope"]
    device_params = {
        c: {
            "term": round(dev_terms[c], 6),
            "pc": {pc: round(float(dev_pc[i, j]), 6) for j, pc in enumerate(PRECISION_CLASSES)},
            "rt": {
                r_: {pc: round(float(dev_rt[i, k, j]), 6) for j, pc in enumerate(PRECISION_CLASSES)}
                for k, r_ in enumerate(RUNTIMES)
            },
            "slope": {
                pc: {k: round(float(slope[i, j, m]), 6) for m, k in enumerate(SLOPE_TERMS)}
                for j, pc in enumerate(PRECISION_CLASSES)
            },
        }
        for i, c in enumerate(fitter.devices)
    }

    # An uncalibrated chipset: its device share is a fallback; its error is what that fallback does on calibrated
    # ones (the same median as predict.device_term).
    def fallback_shift(r: Row) -> float:
        x = dict(zip(FEATURES, r.x, strict=True))
        share = {c: device_share(d, x, r.runtime, r.pclass) for c, d in device_params.items()}
        return _fallback_device(share, arch, r.chipset) - share[r.chipset]

    shifted = pred * np.exp(np.array([fallback_shift(r) for r in rows]))
    uncalibrated_error = round(float(np.percentile(np.abs(shifted - obs) / obs * 100, 68)), 1)

    memory, memory_cv = fit_memory(rows)
    report = _report(rows, pred, obs, shifted, memory_cv)
    report["leave_one_model_out"] = metrics(cross_validate(fitter, by="model_id"), obs)
    params = {
        "estimator_version": ESTIMATOR_VERSION,
        "form": "log(latency_ms) = device + device_pc[pclass] + device_rt[runtime, pclass]"
        " + device_slope[pclass] . slope_terms(graph) + runtime[pclass] + beta[pclass] . terms(graph)"
        " + context[runtime, pclass] . context_terms(graph)",
        "source": f"fitted on {SOURCE_RELEASE} published measurements (aihub_published_perf.csv)",
        "features": list(FEATURES),
        "terms": list(TERMS),
        "slope_terms": list(SLOPE_TERMS),
        "precision_classes": list(PRECISION_CLASSES),
        "beta": {
            pc: {k: round(float(beta[i, j]), 6) for j, k in enumerate(TERMS)} for i, pc in enumerate(PRECISION_CLASSES)
        },
        "device": {
            c: {**device_params[c], "error_pct": error_pct[c], "rows": int((fitter.d == i).sum())}
            for i, c in enumerate(fitter.devices)
        },
        "uncalibrated_error_pct": uncalibrated_error,
        "runtime": {
            r_: {pc: round(float(rt[i, j]), 6) for j, pc in enumerate(PRECISION_CLASSES)}
            for i, r_ in enumerate(RUNTIMES)
        },
        "context_terms": list(CONTEXT_TERMS),
        "context": {
            r_: {
                pc: {k: round(float(fitted["context"][i, j, m]), 6) for m, k in enumerate(CONTEXT_TERMS)}
                for j, pc in enumerate(PRECISION_CLASSES)
            }
            for i, r_ in enumerate(RUNTIMES)
        },
        "memory": {
            k: (round(v, 6) if isinstance(v, float) else {a: round(b, 6) for a, b in v.items()})
            for k, v in memory.items()
        },
        "memory_error_pct": round(report["memory"]["p68_ape"], 1),
        "compute_units": compute_unit_table(perf_csv),
        "cpu_fallback": cpu_fallback_table(rows),
        "calibration": {
            "rows": len(rows),
            "models": sorted({r.model_id for r in rows}),
            "families": len({r.family for r in rows}),
        },
        "validation": {k: report[k] for k in ("overall", "leave_one_model_out", "memory")},
    }
    params["anchoring"], report["anchoring"] = _anchoring(rows, pred, set(arch))
    return params, report


# The device of the one-profile case in the anchoring report (a Samsung Galaxy S24).
ANCHOR_DEVICE = "qualcomm-snapdragon-8gen3"


def _anchoring(rows: Sequence[Row], pred: Any, chipsets: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Anchored estimates validated on the held-out predictions (``anchor_cv``): params.json's per-level error
    bands and headline figures, and the full report."""
    from registry.estimator import anchor_cv
    from registry.estimator.anchor import LEVELS

    report = anchor_cv.validate(rows, pred, chipsets, ANCHOR_DEVICE)
    headline = ("overall", "unanchored", "one_anchor", "one_anchor_unanchored", "one_device", "one_device_unanchored")
    params = {
        "error_pct": anchor_cv.error_bands(report),
        "error_pct_one_anchor": anchor_cv.error_bands(report, "one_anchor"),
        "shrink": report["shrink"],
        "cap": report["cap"],
        "protocol": "leave one device out within each calibration model, on leave-one-family-out predictions; "
        "error_pct: anchors on every other device (median residual); error_pct_one_anchor: one anchor device",
        "validation": {level: {k: _rounded(report[level][k]) for k in headline} for level in LEVELS if level in report},
    }
    one = report.get("one_measurement")
    if one and one["overall"]:
        params["one_measurement"] = {
            "protocol": "each row of a model in turn its only anchor, every row on the other devices a target "
            "(any precision and runtime)",
            **{k: {m: _rounded(v) for m, v in one[k].items()} for k in ("overall", "other_precision") if one[k]},
        }
    return params, report


def _rounded(m: Mapping[str, float] | None) -> dict[str, float] | None:
    """Metrics rounded for params.json (the last digits differ with the BLAS thread count)."""
    return None if m is None else {k: v if isinstance(v, int) else round(float(v), 3) for k, v in m.items()}


def _report(
    rows: Sequence[Row], pred: Any, obs: Any, shifted: Any, memory_cv: Sequence[tuple[Row, float]]
) -> dict[str, Any]:
    def grouped(key: str) -> dict[str, dict[str, float]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            groups[str(getattr(r, key))].append(i)
        return {g: metrics(pred[idx], obs[idx]) for g, idx in sorted(groups.items())}

    return {
        "overall": metrics(pred, obs),
        "uncalibrated_device": metrics(shifted, obs),
        "by_device": grouped("chipset"),
        "by_precision": grouped("precision"),
        "by_runtime": grouped("runtime"),
        "by_model": grouped("model_id"),
        "memory": metrics([p for _, p in memory_cv], [r.memory_mb or 0 for r, _ in memory_cv]),
    }


def write_params(path: Path, params: Mapping[str, Any]) -> None:
    """params.json written whole (``registry.atomic``): every estimate reads it, so a refit killed mid-write must
    leave the old file, never a truncated one."""
    from registry import atomic

    atomic.write_text(path, json.dumps(params, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fit the latency estimator; writes registry/estimator/data/params.json"
    )
    parser.add_argument("--perf", type=Path, default=None, help="default: the shipped copy in data/aihub/")
    parser.add_argument("--out", type=Path, default=PARAMS_FILE)
    args = parser.parse_args(argv)
    from registry.errors import RegistryError

    try:
        params, report = run(args.perf or _default_perf())
    except RegistryError as exc:
        parser.exit(2, f"error: {exc.detail}\n{exc.hint or ''}\n")
    write_params(args.out, params)
    o = report["overall"]
    print(
        f"estimator {ESTIMATOR_VERSION}: {o['n']} rows, leave-one-family-out median APE {o['median_ape']:.1f}%, "
        f"{o['within_25']:.0f}% within ±25%, Spearman {o['spearman']:.3f}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
