"""Validation of anchored estimates (``registry.estimator.anchor``) on the published calibration rows.

Leave one device out within each calibration model: every row (the target) is predicted from the estimator's
leave-one-family-out prediction (a fit that never saw the model) moved by the log residual of the same model's
rows on *one other device* (the anchor; the target's chipset and the chipset it mirrors are never anchors), at one
anchoring level at a time:

- ``same``: anchor rows of the target's precision and runtime;
- ``runtime``: anchor rows of the target's runtime and another precision;
- ``any``: anchor rows of another runtime.

Every (target, anchor device) pair counts once; an anchor device with several rows at a level gives their median
residual (as ``anchor.anchor_estimate`` does). Needs numpy.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.estimator.anchor import LEVELS, mirrored_chipset

if TYPE_CHECKING:
    from registry.estimator.fit import Row


@dataclass
class Pairs:
    """Anchored predictions of one level: one entry per (target row, anchor device)."""

    target: list[int]
    anchor_chipset: list[str]
    predicted: list[float]


def _level(anchor: Row, target: Row) -> str:
    if anchor.runtime != target.runtime:
        return "any"
    return "same" if anchor.precision == target.precision else "runtime"


def anchored_pairs(rows: Sequence[Row], pred: Any, known: Collection[str]) -> dict[str, Pairs]:
    """Per level, the anchored prediction of every row from every other device of the same model and component."""
    log_res = [math.log(r.latency_ms) - math.log(float(p)) for r, p in zip(rows, pred, strict=True)]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.model_id, r.component)].append(i)
    out = {level: Pairs([], [], []) for level in LEVELS}
    mirror = {c: mirrored_chipset(c, known) for c in {r.chipset for r in rows}}
    for members in groups.values():
        for t in members:
            target = rows[t]
            by_anchor: dict[tuple[str, str], list[float]] = defaultdict(list)
            for a in members:
                if mirror[rows[a].chipset] == mirror[target.chipset]:
                    continue
                by_anchor[(_level(rows[a], target), mirror[rows[a].chipset])].append(log_res[a])
            for (level, chip), residuals in sorted(by_anchor.items()):
                pairs = out[level]
                pairs.target.append(t)
                pairs.anchor_chipset.append(chip)
                pairs.predicted.append(float(pred[t]) * math.exp(statistics.median(residuals)))
    return out


def validate(rows: Sequence[Row], pred: Any, known: Collection[str], anchor_device: str) -> dict[str, Any]:
    """Per level: metrics overall, by target device and by target precision, with ``anchor_device`` alone as the
    anchor (the issue's one-profile case), and the unanchored baseline on the same targets."""
    import numpy as np

    from registry.estimator.fit import metrics

    obs = np.array([r.latency_ms for r in rows])
    base = np.asarray(pred)
    report: dict[str, Any] = {}
    for level, pairs in anchored_pairs(rows, pred, known).items():
        if not pairs.target:
            continue
        t = np.array(pairs.target)
        p = np.array(pairs.predicted)
        chips = np.array(pairs.anchor_chipset)

        def grouped(key: str, t: Any = t, p: Any = p) -> dict[str, dict[str, float]]:
            keys = np.array([str(getattr(rows[i], key)) for i in t])
            return {k: metrics(p[keys == k], obs[t][keys == k]) for k in sorted(set(keys.tolist()))}

        one = chips == anchor_device
        report[level] = {
            "overall": metrics(p, obs[t]),
            "unanchored": metrics(base[t], obs[t]),
            "models": len({rows[i].model_id for i in t}),
            "by_device": grouped("chipset"),
            "by_precision": grouped("precision"),
            "one_device": metrics(p[one], obs[t][one]) if one.any() else None,
            "one_device_unanchored": metrics(base[t][one], obs[t][one]) if one.any() else None,
        }
    return report


def error_bands(report: dict[str, Any]) -> dict[str, float]:
    """Each level's error band: the 68th percentile APE of its anchored predictions (as ``error_pct`` is for an
    unanchored estimate)."""
    return {level: round(float(report[level]["overall"]["p68_ape"]), 1) for level in LEVELS if level in report}


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
    args.out.write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")
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
