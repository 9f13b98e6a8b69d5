"""Validation of anchored estimates (``registry.estimator.anchor``) on the published calibration rows.

Leave one device out within each calibration model: every row (the target) is predicted from the estimator's
leave-one-family-out prediction (a fit that never saw the model) moved by the log residual of the same model's
rows on the other devices (the target's chipset, and the chipset it mirrors, are never anchors), at one anchoring
level at a time:

- ``same``: anchor rows of the target's precision and runtime;
- ``runtime``: anchor rows of the target's runtime and another precision;
- ``any``: anchor rows of another runtime.

Two cases: every other device's rows at once (their median residual, as ``anchor.anchor_estimate`` does with
several anchors; the headline), and a single anchor device (the one-profile case: every (target, anchor device)
pair counts once). Across precision or runtime the residual is carried in part (``shrink_factors``: the
least-squares factor per level and anchor count, applied held out by model family; ``anchor.level_shrink`` uses the
factors fitted on all pairs), and the carried shift is bounded (``cap_limits``: one anchor at an odd (precision,
runtime), e.g. a build that fell back to the CPU, otherwise moves every other build by as much).
``one_measurement`` validates the case of one real figure anchoring every build of
the model. The ``runtime`` level also reports held-out precision-transfer terms (``anchor_transfer``). Needs numpy.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry.estimator.anchor import LEVELS, mirrored_chipset

if TYPE_CHECKING:
    from registry.estimator.fit import Row


@dataclass
class Pairs:
    """Anchored predictions of one level: one entry per target row (``anchor_chipset`` "*": every other device),
    or per (target row, anchor device)."""

    target: list[int] = field(default_factory=list)
    anchor_chipset: list[str] = field(default_factory=list)
    shift: list[float] = field(default_factory=list)  # the anchors' median log residual, before shrinking
    predicted: list[float] = field(default_factory=list)

    def add(self, target: int, chipset: str, shift: float) -> None:
        self.target.append(target)
        self.anchor_chipset.append(chipset)
        self.shift.append(shift)


def shrink_factors(shift: Any, target_residual: Any, family: Any) -> tuple[float, Any]:
    """The least-squares factor k of target residual ~ k x anchor shift (clipped to [0, 1]) over all pairs, and
    per pair the same fitted without the pair's own model family (what the validation applies)."""
    import numpy as np

    x, y = np.asarray(shift, dtype=float), np.asarray(target_residual, dtype=float)
    fams, inverse = np.unique(np.asarray(family), return_inverse=True)
    sxy = np.bincount(inverse, weights=x * y, minlength=len(fams))
    sxx = np.bincount(inverse, weights=x * x, minlength=len(fams))
    whole = float(np.clip(sxy.sum() / sxx.sum(), 0.0, 1.0)) if sxx.sum() > 0 else 1.0
    rest = sxx.sum() - sxx
    held_out = np.where(rest > 0, (sxy.sum() - sxy) / np.where(rest > 0, rest, 1.0), 1.0)
    return whole, np.clip(held_out, 0.0, 1.0)[inverse]


# The bounds a carried (shrunk) log shift may be capped at (``cap_limits``); inf: not capped.
CAP_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, math.inf)


def cap_limits(carried: Any, target_residual: Any, family: Any) -> tuple[float, Any]:
    """The bound c on a carried log shift (applied as clip(shift, -c, c)) that gives the least mean absolute log
    error over all pairs (``CAP_GRID``), and per pair the same chosen without the pair's own model family. The mean
    (not the median) is the criterion: a cap is for the tail, where one odd anchor moves a model's every estimate."""
    import numpy as np

    x, y = np.asarray(carried, dtype=float), np.asarray(target_residual, dtype=float)
    fams, inverse = np.unique(np.asarray(family), return_inverse=True)
    grid = np.sort(np.asarray(CAP_GRID))[::-1]  # widest first: a tie keeps the looser bound (argmin takes the first)
    # per bound and family: the summed absolute log error
    err = np.stack([np.bincount(inverse, weights=np.abs(y - np.clip(x, -c, c)), minlength=len(fams)) for c in grid])
    whole = float(grid[int(np.argmin(err.sum(axis=1)))])
    held_out = grid[np.argmin(err.sum(axis=1)[:, None] - err, axis=0)]
    return whole, held_out[inverse]


def model_groups(rows: Sequence[Row]) -> dict[tuple[str, str], list[int]]:
    """Row indices per (model, component): the rows that anchor one another."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.model_id, r.component)].append(i)
    return groups


def _level(anchor: Row, target: Row) -> str:
    if anchor.runtime != target.runtime:
        return "any"
    return "same" if anchor.precision == target.precision else "runtime"


def anchored_pairs(
    rows: Sequence[Row], pred: Any, known: Collection[str]
) -> tuple[dict[str, Pairs], dict[str, Pairs], dict[str, dict[str, dict[str, float | None]]]]:
    """Per level, the anchored prediction of every row from all other devices of the same model and component
    (pooled), and from each other device alone (single); and the shrink factors and caps fitted on all pairs (per
    level other than ``same``, for "several" anchor devices and "one"). Each prediction applies the factor and cap
    fitted without its own model family."""
    log_res = [math.log(r.latency_ms) - math.log(float(p)) for r, p in zip(rows, pred, strict=True)]
    groups = model_groups(rows)
    pooled = {level: Pairs() for level in LEVELS}
    single = {level: Pairs() for level in LEVELS}
    mirror = {c: mirrored_chipset(c, known) for c in {r.chipset for r in rows}}
    for members in groups.values():
        for t in members:
            target = rows[t]
            by_anchor: dict[tuple[str, str], list[float]] = defaultdict(list)
            for a in members:
                if mirror[rows[a].chipset] != mirror[target.chipset]:
                    by_anchor[(_level(rows[a], target), mirror[rows[a].chipset])].append(log_res[a])
            by_level: dict[str, list[float]] = defaultdict(list)
            for (level, chip), residuals in sorted(by_anchor.items()):
                single[level].add(t, chip, statistics.median(residuals))
                by_level[level] += residuals
            for level, residuals in by_level.items():
                pooled[level].add(t, "*", statistics.median(residuals))
    import numpy as np

    fitted: dict[str, dict[str, dict[str, float | None]]] = {"shrink": {}, "cap": {}}
    for kind, table in (("several", pooled), ("one", single)):
        for level, pairs in table.items():
            if not pairs.target:
                continue
            # ``same``: the model's own build, the measurement carries whole
            carried = np.asarray(pairs.shift)
            if level != "same":
                residual = [log_res[t] for t in pairs.target]
                family = [rows[t].family for t in pairs.target]
                k_all, k = shrink_factors(pairs.shift, residual, family)
                c_all, c = cap_limits(k * carried, residual, family)
                carried = np.clip(k * carried, -c, c)
                fitted["shrink"].setdefault(level, {})[kind] = round(k_all, 3)
                fitted["cap"].setdefault(level, {})[kind] = None if math.isinf(c_all) else c_all  # JSON: null
            base = np.asarray([float(pred[t]) for t in pairs.target])
            pairs.predicted = (base * np.exp(carried)).tolist()
    return pooled, single, fitted


def one_measurement(rows: Sequence[Row], pred: Any, known: Collection[str], anchor_device: str) -> dict[str, Any]:
    """The one-measurement case: each row of a model in turn is the model's only real figure, and it anchors every
    row of the same model and component on the other devices, whatever their precision and runtime (each target at
    the level that one anchor gives it). Every (anchor, target) pair counts once. Overall, by level, on the targets
    of another precision, and with the anchor on ``anchor_device`` (one AI Hub profile on a Galaxy S24)."""
    import numpy as np

    from registry.estimator.fit import metrics

    obs = np.array([r.latency_ms for r in rows])
    base = np.asarray(pred, dtype=float)
    log_res = np.log(obs) - np.log(base)
    mirror = {c: mirrored_chipset(c, known) for c in {r.chipset for r in rows}}
    groups = model_groups(rows)
    targets, anchors, levels = [], [], []
    for members in groups.values():
        for j in members:
            for i in members:
                if mirror[rows[j].chipset] != mirror[rows[i].chipset]:
                    targets.append(i)
                    anchors.append(j)
                    levels.append(_level(rows[j], rows[i]))
    t, a, lv = np.array(targets, dtype=int), np.array(anchors, dtype=int), np.array(levels)
    families = np.array([rows[i].family for i in t])
    carried = log_res[a].copy()
    for level in LEVELS[1:]:  # across precision or runtime: the factor and cap fitted without the target's family
        m = lv == level
        if m.any():
            k = shrink_factors(log_res[a][m], log_res[t][m], families[m])[1]
            c = cap_limits(k * log_res[a][m], log_res[t][m], families[m])[1]
            carried[m] = np.clip(k * log_res[a][m], -c, c)
    anchored = base[t] * np.exp(carried)
    unshrunk = base[t] * np.exp(log_res[a])
    other_precision = np.array([rows[i].precision != rows[j].precision for i, j in zip(t, a, strict=True)])
    on_device = np.array([mirror[rows[j].chipset] == anchor_device for j in a], dtype=np.bool_)

    def pair(mask: Any) -> dict[str, Any] | None:
        if not mask.any():
            return None
        return {"anchored": metrics(anchored[mask], obs[t][mask]), "unanchored": metrics(base[t][mask], obs[t][mask])}

    everything = np.ones(len(t), dtype=np.bool_)
    return {
        "pairs": len(t),
        "models": len({rows[i].model_id for i in t}),
        "overall": pair(everything),
        "overall_unshrunk": metrics(unshrunk, obs[t]),
        "by_level": {level: pair(lv == level) for level in LEVELS if (lv == level).any()},
        "other_precision": pair(other_precision),
        "one_device": pair(on_device),
        "one_device_other_precision": pair(on_device & other_precision),
    }


def validate(rows: Sequence[Row], pred: Any, known: Collection[str], anchor_device: str) -> dict[str, Any]:
    """Per level: metrics with every other device as anchors (overall, by target device and by target precision,
    against the unanchored figure on the same targets), with one anchor device at a time, and with
    ``anchor_device`` alone (the issue's one-profile case)."""
    import numpy as np

    from registry.estimator.fit import metrics

    obs = np.array([r.latency_ms for r in rows])
    base = np.asarray(pred)
    pooled, single, fitted = anchored_pairs(rows, pred, known)
    report: dict[str, Any] = {}
    for level in LEVELS:
        if not pooled[level].target:
            continue
        t, p = np.array(pooled[level].target), np.array(pooled[level].predicted)
        ts, ps = np.array(single[level].target), np.array(single[level].predicted)
        one = np.array(single[level].anchor_chipset) == anchor_device

        def grouped(key: str, t: Any = t, p: Any = p) -> dict[str, dict[str, float]]:
            keys = np.array([str(getattr(rows[i], key)) for i in t])
            return {k: metrics(p[keys == k], obs[t][keys == k]) for k in sorted(set(keys.tolist()))}

        whole = base[t] * np.exp(np.array(pooled[level].shift))  # the residual carried whole (no shrink)
        whole_one = base[ts] * np.exp(np.array(single[level].shift))
        report[level] = {
            "overall": metrics(p, obs[t]),
            "unanchored": metrics(base[t], obs[t]),
            "unshrunk": metrics(whole, obs[t]),
            "one_anchor_unshrunk": metrics(whole_one, obs[ts]),
            "models": len({rows[i].model_id for i in t}),
            "by_device": grouped("chipset"),
            "by_precision": grouped("precision"),
            "one_anchor": metrics(ps, obs[ts]),
            "one_anchor_unanchored": metrics(base[ts], obs[ts]),
            "one_device": metrics(ps[one], obs[ts][one]) if one.any() else None,
            "one_device_unanchored": metrics(base[ts][one], obs[ts][one]) if one.any() else None,
        }
    if "runtime" in report:
        from registry.estimator import anchor_transfer

        report["runtime"]["transfer"] = anchor_transfer.validate(rows, pred, known)
    report["one_measurement"] = one_measurement(rows, pred, known, anchor_device)
    report["shrink"], report["cap"] = fitted["shrink"], fitted["cap"]
    return report


def error_bands(report: dict[str, Any], key: str = "overall") -> dict[str, float]:
    """Each level's error band: the 68th percentile APE of its anchored predictions (as ``error_pct`` is for an
    unanchored estimate); ``key`` "one_anchor" for a single anchor device."""
    return {level: round(float(report[level][key]["p68_ape"]), 1) for level in LEVELS if level in report}


def run(perf_csv: Any = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The anchoring validation alone (one leave-one-family-out pass, not the whole fit): params.json's
    ``anchoring`` entry, the full report, and what the rows were."""
    from registry.devices import load_device_specs
    from registry.estimator import fit

    rows = fit.load_rows(perf_csv or fit._default_perf())
    pred = fit.cross_validate(fit.Fitter(rows))
    params, report = fit._anchoring(rows, pred, {s.chipset for s in load_device_specs()})
    calibration = {"rows": len(rows), "models": sorted({r.model_id for r in rows})}
    return params, report, calibration


def main(argv: list[str] | None = None) -> int:
    """``python -m registry.estimator.anchor_cv``: re-validate anchored estimates and write only the ``anchoring``
    entry of params.json (``python -m registry.estimator.fit`` writes it too, with everything else)."""
    import argparse
    import json
    from pathlib import Path

    from registry.estimator import fit

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--perf", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=fit.PARAMS_FILE)
    args = parser.parse_args(argv)
    anchoring, _, _ = run(args.perf)
    params = json.loads(args.out.read_text())
    params["anchoring"] = anchoring
    fit.write_params(args.out, params)
    for level, v in anchoring["validation"].items():
        o, u = v["overall"], v["unanchored"]
        print(
            f"{level}: median APE {o['median_ape']:.1f}% ({u['median_ape']:.1f}% unanchored), "
            f"{o['within_25']:.0f}% within ±25% ({u['within_25']:.0f}%), band ±{anchoring['error_pct'][level]}%"
        )
    print(f"wrote the anchoring entry of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
