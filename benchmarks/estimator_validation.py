"""Validation of the latency estimator: leave-one-model-family-out cross-validation on Qualcomm's published
measurements, per device, per precision and per runtime (median APE, share within ±25%, Spearman rank correlation).

    python benchmarks/estimator_validation.py [--perf PATH] [--no-docs] [--anchoring-only]

Refits from scratch (the same code as ``python -m registry.estimator.fit``), prints the tables and rewrites the
validation section of docs/estimator.md between its markers. Target: median APE <= 25% and >= 60% within ±25%.
It also writes the anchored-estimates section (``registry.estimator.anchor_cv``; ``--anchoring-only`` skips the
sensitivity runs and rewrites that section alone). Targets, on models the fit never saw: same (precision, runtime)
median APE <= 10% and >= 80% within ±25%; anchored across precision <= 15% and >= 70%.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.estimator import anchor_cv, fit, model  # noqa: E402

DOC = ROOT / "docs" / "estimator.md"
BEGIN, END = "<!-- validation:begin -->", "<!-- validation:end -->"
ANCHOR_BEGIN, ANCHOR_END = "<!-- anchoring:begin -->", "<!-- anchoring:end -->"
# (level, what the anchor is, target median APE, target share within ±25%); "any" has no target
ANCHOR_TARGETS = {"same": (10.0, 80.0), "runtime": (15.0, 70.0), "across": (15.0, 70.0)}
ANCHOR_TEXT = {
    "same": "same precision and runtime, other devices",
    "runtime": "same runtime, another precision, other devices",
    "any": "another runtime (any precision), other devices",
}


def _row(name: str, m: dict[str, Any]) -> str:
    rho = "n/a" if math.isnan(m["spearman"]) else f"{m['spearman']:.2f}"
    return f"| {name} | {m['n']} | {m['median_ape']:.1f}% | {m['within_25']:.0f}% | {rho} | {m['p68_ape']:.0f}% |"


# --quick (``make bench``): two chipsets' rows, the fit and its validation only (no sensitivity table, no docs).
QUICK_CHIPSETS = ("qualcomm-snapdragon-8gen3", "qualcomm-snapdragon-7gen4")


def record_validation(report: dict[str, Any], scope: str) -> None:
    """The headline figures for ``make bench`` (benchmarks/report.py; nothing is written when run by hand)."""
    from benchmarks.report import at_least, at_most, record

    o = report["overall"]
    name = f"latency estimate, leave-one-family-out ({scope}, {o['n']} rows)"
    record(
        "estimator_validation", f"{name}: median APE", o["median_ape"], unit="%", target=at_most(o["median_ape"], 25)
    )
    record(
        "estimator_validation",
        f"{name}: share within ±25%",
        o["within_25"],
        unit="%",
        target=at_least(o["within_25"], 60),
    )


def quick(perf: Path) -> int:
    """The fit and its validation on two chipsets' rows: minutes instead of an hour on a shared 2-core host."""
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "perf.csv"
        with perf.open(newline="", encoding="utf-8") as fh, subset.open("w", newline="", encoding="utf-8") as out:
            reader = csv.DictReader(fh)
            writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(r for r in reader if r["chipset"] in QUICK_CHIPSETS)
        _, report = fit.run(subset)
    o = report["overall"]
    print(
        f"quick validation ({len(QUICK_CHIPSETS)} chipsets, {o['n']} rows): median APE {o['median_ape']:.1f}%, "
        f"{o['within_25']:.0f}% within ±25%"
    )
    record_validation(report, f"{len(QUICK_CHIPSETS)} chipsets")
    return 0


# (module, constant, factors): each is re-run at value x factor, one at a time
SETTINGS = (
    (model, "NODE_COST", (0.8, 1.25)),
    (model, "VECTOR_COST", (0.25, 4.0)),
    (model, "IO_COST", (0.5, 2.0)),
    (model, "LARGE_ACT_COST", (0.5, 2.0)),
    (fit, "_CONTEXT_PENALTY", (0.2, 5.0)),
    (fit, "_DEVICE_RT_PENALTY", (0.3, 3.0)),
    (fit, "_BETA_PENALTY", (0.3, 3.0)),
    (fit, "_DEVICE_SLOPE_PENALTY", (0.3, 3.0)),
    (fit, "_HUBER_K", (0.67, 1.67)),
)


def sensitivity(perf: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """Leave-one-family-out metrics with each setting moved off its chosen value, one at a time."""
    import numpy as np

    rows = fit.load_rows(perf)
    obs = np.array([r.latency_ms for r in rows])
    out: list[tuple[str, str, dict[str, Any]]] = []
    for mod, name, factors in SETTINGS:
        chosen = getattr(mod, name)
        for f in (1.0, *factors):
            setattr(mod, name, chosen * f)
            try:
                m = fit.metrics(fit.cross_validate(fit.Fitter(rows)), obs)
            finally:
                setattr(mod, name, chosen)
            if f == 1.0 and out:
                continue
            if f == 1.0:
                out.append(("(none)", "as chosen", m))
            else:
                out.append((name.strip("_").lower(), f"{chosen * f:g} (x{f:g})", m))
    return out


def ceiling(perf: Path) -> dict[str, Any]:
    """In-sample metrics when every (model family, precision class) gets its own free term: what the form could
    reach if the graph told us each model's term exactly. The gap to the headline is the graph's part."""
    import numpy as np

    rows = fit.load_rows(perf)
    fitter = fit.Fitter(rows)
    keys = sorted({(r.family, r.pclass) for r in rows})
    free = np.zeros((len(rows), len(keys)))
    for i, r in enumerate(rows):
        free[i, keys.index((r.family, r.pclass))] = 1.0
    a = np.hstack([fitter.A, free])
    penalty = np.diag(np.concatenate([np.diag(fitter.penalty), np.full(len(keys), 1e-3)]))
    v = np.linalg.solve(a.T @ a + penalty, a.T @ fitter.y)
    return fit.metrics(np.exp(a @ v), np.exp(fitter.y))


def render(
    report: dict[str, Any], params: dict[str, Any], sensitivity: list[tuple[str, str, Any]], top: dict[str, Any]
) -> str:
    head = "| {} | rows | median APE | within ±25% | Spearman | 68th pct APE |\n|---|---|---|---|---|---|"
    o, u = report["overall"], report["uncalibrated_device"]
    target = o["median_ape"] <= 25 and o["within_25"] >= 60
    record_validation(report, "all published chipsets")  # make bench --full
    lines = [
        f"Estimator {params['estimator_version']}; {params['calibration']['rows']} published rows of "
        f"{len(params['calibration']['models'])} models in {params['calibration']['families']} families; "
        "every prediction below is for a model family left out of the fit.",
        "",
        f"**Overall: median APE {o['median_ape']:.1f}%, {o['within_25']:.0f}% within ±25%, Spearman "
        f"{o['spearman']:.2f}: target (<= 25%, >= 60%) {'met' if target else 'NOT met'}.**",
        "",
        f"Leave-one-**model**-out (the issue's protocol; a model whose graph is identical to another's, such as the "
        f"four Opus-MT encoders, is then predicted with its twins in the fit): median APE "
        f"{report['leave_one_model_out']['median_ape']:.1f}%, {report['leave_one_model_out']['within_25']:.0f}% "
        "within ±25%.",
        "",
        f"Ceiling of this form: given each held-out model's own term (in-sample, one free term per model family "
        f"and precision class), median APE {top['median_ape']:.1f}% and {top['within_25']:.0f}% within ±25%. The "
        "rest of the error above is the graph failing to predict a model's term.",
        "",
        f"A chipset with no published rows (device term from its NPU architecture's or all calibrated chipsets' "
        f"median, judged by doing that to each calibrated chipset): median APE {u['median_ape']:.1f}%, "
        f"{u['within_25']:.0f}% within ±25%.",
        "",
        f"Peak memory (published peak-memory max): median APE {report['memory']['median_ape']:.1f}%, "
        f"{report['memory']['within_25']:.0f}% within ±25%.",
        "",
        "### Sensitivity to the chosen settings",
        "",
        "The settings below were chosen with this same validation (there is no separate test set), so the headline "
        "is optimistic by about the spread of this table: each row changes one setting and re-runs the "
        "leave-one-family-out validation.",
        "",
        "| setting | value | median APE | within ±25% |",
        "|---|---|---|---|",
        *[f"| {name} | {value} | {m['median_ape']:.1f}% | {m['within_25']:.0f}% |" for name, value, m in sensitivity],
        "",
        "### By device",
        "",
        head.format("chipset"),
        *[_row(k, v) for k, v in report["by_device"].items()],
        "",
        "### By precision",
        "",
        head.format("precision"),
        *[_row(k, v) for k, v in report["by_precision"].items()],
        "",
        "### By runtime",
        "",
        head.format("runtime"),
        *[_row(k, v) for k, v in report["by_runtime"].items()],
        "",
        "### By model (left out)",
        "",
        head.format("model"),
        *[_row(k, v) for k, v in report["by_model"].items()],
    ]
    return "\n".join(lines)


def _pct(m: dict[str, Any] | None) -> str:
    return "n/a" if not m else f"{m['median_ape']:.1f}% / {m['within_25']:.0f}%"


def _p95(m: dict[str, Any] | None) -> str:
    return "n/a" if not m or "p95_ape" not in m else f"{m['p95_ape']:.0f}%"


def _cap(c: float | None) -> str:
    return "none" if c is None else f"{c:g}"


def _pct_rho(m: dict[str, Any] | None) -> str:
    """Median APE / share within ±25% / Spearman's rho (n/a for fewer than three targets or one value)."""
    if not m:
        return "n/a"
    rho = "n/a" if math.isnan(m["spearman"]) else f"{m['spearman']:.2f}"
    return f"{_pct(m)} / {rho}"


def render_anchoring(report: dict[str, Any], params: dict[str, Any]) -> str:
    """The anchored-estimates section: per level overall (against the unanchored figure on the same targets), with
    the Galaxy S24 alone as the anchor, and by target device and precision."""
    levels = [lv for lv in ("same", "runtime", "any") if lv in report]
    lines = [
        f"Estimator {params['estimator_version']}, anchored; {params['calibration']['rows']} published rows of "
        f"{len(params['calibration']['models'])} models. Every base prediction comes from a fit that left the "
        "model's whole family out. Leave one device out within each model: each row is predicted from the same "
        "model's rows on the other devices at the level's (precision, runtime) (their median log residual, as the "
        "catalog does with several anchors); the target's chipset and the chipset it mirrors are never anchors. "
        "One anchor device: each other device alone, every (target, anchor device) pair counted once (the "
        "one-profile case). Figures: median APE / share within ±25%.",
        "",
        "Across precision or runtime, an anchor's residual is carried in part: `anchored = predicted x exp(k x "
        "residual)`, k the least-squares factor of the level and anchor count, fitted on the other model "
        "families' pairs (held out in the figures below). Fitted on all pairs: "
        + "; ".join(
            f"`{lv}` {f['several']:g} with several anchor devices, {f['one']:g} with one"
            for lv, f in sorted(report.get("shrink", {}).items())
            if {"several", "one"} <= set(f)
        )
        + ". The carried shift is then capped: `clip(k x residual, -c, c)`, c the bound (of "
        + ", ".join(f"{c:g}" for c in anchor_cv.CAP_GRID if not math.isinf(c))
        + " or none) with the least mean absolute log error on the other families' pairs, so one odd anchor (a build "
        "that fell back to the CPU) cannot move every other estimate by as much. Fitted on all pairs: "
        + "; ".join(
            f"`{lv}` {_cap(f.get('several'))} with several anchor devices, {_cap(f.get('one'))} with one"
            for lv, f in sorted(report.get("cap", {}).items())
        )
        + ". The column `carried whole` is k = 1 without a cap; the 95th percentile APE shows the tail the cap is "
        "for.",
        "",
        "| level | anchor | targets | models | anchored | carried whole | unanchored | Spearman | 68th pct APE | "
        "95th pct APE (carried whole; unanchored) | one anchor device (carried whole; unanchored) | "
        "one anchor device, 95th pct APE (carried whole; unanchored) | Galaxy S24 as the one anchor (unanchored) "
        "| target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lv in levels:
        r = report[lv]
        o = r["overall"]
        goal = ANCHOR_TARGETS.get(lv)
        verdict = "-"
        if goal:
            met = o["median_ape"] <= goal[0] and o["within_25"] >= goal[1]
            verdict = f"<= {goal[0]:g}%, >= {goal[1]:g}%: {'met' if met else 'NOT met'}"
        lines.append(
            f"| {lv} | {ANCHOR_TEXT[lv]} | {o['n']} | {r['models']} | {_pct(o)} | {_pct(r.get('unshrunk'))} | "
            f"{_pct(r['unanchored'])} | {o['spearman']:.2f} | {o['p68_ape']:.0f}% | "
            f"{_p95(o)} ({_p95(r.get('unshrunk'))}; {_p95(r['unanchored'])}) | {_pct(r['one_anchor'])} "
            f"({_pct(r.get('one_anchor_unshrunk'))}; {_pct(r['one_anchor_unanchored'])}) | {_p95(r['one_anchor'])} "
            f"({_p95(r.get('one_anchor_unshrunk'))}; {_p95(r['one_anchor_unanchored'])}) | {_pct(r['one_device'])} "
            f"({_pct(r['one_device_unanchored'])}) | {verdict} |"
        )
    lines += _render_transfer(report.get("runtime", {}).get("transfer"))
    lines += _render_one_measurement(report.get("one_measurement"))
    for key, title in (("by_device", "target chipset"), ("by_precision", "target precision")):
        names = sorted({k for lv in levels for k in report[lv][key]})
        lines += ["", f"### Anchored, by {title}", "",
                  "Median APE / share within ±25% / Spearman's rank correlation of anchored against measured.", "",
                  f"| {title} | " + " | ".join(levels) + " |", "|---|" + "---|" * len(levels)]  # fmt: skip
        for name in names:
            cells = [_pct_rho(report[lv][key].get(name)) for lv in levels]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


ONE_MEASUREMENT_ROWS = (
    ("overall", "every build of the model on the other devices (any precision, runtime)"),
    ("same", "... of those, the anchor's precision and runtime"),
    ("runtime", "... the anchor's runtime, another precision"),
    ("any", "... another runtime"),
    ("other_precision", "... another precision (any runtime)"),
    ("one_device", "Galaxy S24 as the one measurement: every build on the other devices"),
    ("one_device_other_precision", "Galaxy S24 as the one measurement: builds of another precision"),
)


def _render_one_measurement(one: dict[str, Any] | None) -> list[str]:
    """One real figure per model anchoring all of its builds, whatever their precision and runtime (the issue's
    second case, and what its across-precision target is read against)."""
    if not one or not one["overall"]:
        return []
    goal = ANCHOR_TARGETS["across"]
    lines = [
        "",
        "### One measurement anchors every build of the model",
        "",
        f"Each published row of a model in turn is the model's only real figure ({one['pairs']} (anchor, target) "
        f"pairs, {one['models']} models): it anchors every row of the same model and component on the other "
        "devices, whatever their precision and runtime, each at the level that anchor gives it (one AI Hub "
        "profile, one `benchmark add`). Median APE / share within ±25%.",
        "",
        "| targets | pairs | anchored | unanchored | Spearman | 68th pct APE | 95th pct APE (unanchored) | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    whole = one.get("overall_unshrunk")
    for key, text in ONE_MEASUREMENT_ROWS:
        m = one["overall"] if key == "overall" else (one["by_level"].get(key) or one.get(key))
        if not m:
            continue
        a = m["anchored"]
        verdict = "-"
        if key == "overall":
            met = a["median_ape"] <= goal[0] and a["within_25"] >= goal[1]
            verdict = f"<= {goal[0]:g}%, >= {goal[1]:g}%: {'met' if met else 'NOT met'}"
            if whole:
                verdict += f" (carried whole: {_pct(whole)})"
        lines.append(
            f"| {text} | {a['n']} | {_pct(a)} | {_pct(m['unanchored'])} | {a['spearman']:.2f} | "
            f"{a['p68_ape']:.0f}% | {_p95(a)} ({_p95(m['unanchored'])}) | {verdict} |"
        )
    return lines


def _render_transfer(transfer: dict[str, Any] | None) -> list[str]:
    """The ``runtime`` level with held-out precision-transfer terms (``registry.estimator.anchor_transfer``)."""
    if not transfer:
        return []
    goal = ANCHOR_TARGETS["runtime"]
    o = transfer["overall"]["with_terms"]
    met = o["median_ape"] <= goal[0] and o["within_25"] >= goal[1]
    return [
        "",
        f"Precision-transfer terms (level `runtime`, {transfer['pairs']} anchor pairs): a learned log shift per "
        "(anchor precision, target precision, runtime) and per target chipset within it, each the median of the "
        "target's residual minus the anchor's over other model families' pairs (nested leave-one-family-out), "
        f"shrunk by n / (n + {transfer['shrink']:g}). Every other device as anchors: "
        f"{_pct(transfer['overall']['with_terms'])} with the terms against "
        f"{_pct(transfer['overall']['without_terms'])} without, both carrying the residual whole (68th pct APE "
        f"{transfer['overall']['with_terms']['p68_ape']:.0f}% against "
        f"{transfer['overall']['without_terms']['p68_ape']:.0f}%); one anchor device: "
        f"{_pct(transfer['one_anchor']['with_terms'])} against {_pct(transfer['one_anchor']['without_terms'])}. "
        f"Target <= {goal[0]:g}%, >= {goal[1]:g}%: {'met' if met else 'NOT met'} with the terms.",
    ]


def _replace(doc: str, begin: str, end: str, text: str) -> str:
    if begin not in doc or end not in doc:
        return doc
    pre, rest = doc.split(begin, 1)
    post = rest.split(end, 1)[1]
    return f"{pre}{begin}\n{text}\n{end}{post}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--perf", type=Path, default=None)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/estimator.md alone")
    parser.add_argument(
        "--anchoring-only", action="store_true", help="only the anchored-estimates section (no sensitivity runs)"
    )
    parser.add_argument(
        "--params", action="store_true", help="with --anchoring-only: also rewrite params.json's `anchoring` entry"
    )
    args = parser.parse_args()
    perf = args.perf or fit._default_perf()
    if args.anchoring_only:  # one leave-one-family-out pass instead of the whole fit and its sensitivity runs
        entry, anchored, calibration = anchor_cv.run(perf)
        if args.params:
            import json

            params = json.loads(fit.PARAMS_FILE.read_text())
            params["anchoring"] = entry
            fit.write_params(fit.PARAMS_FILE, params)
        info = {"estimator_version": fit.ESTIMATOR_VERSION, "calibration": calibration}
        anchoring, text = render_anchoring(anchored, info), None
    else:
        params, report = fit.run(perf)
        anchoring = render_anchoring(report["anchoring"], params)
        text = render(report, params, sensitivity(perf), ceiling(perf))
    print(anchoring if text is None else f"{text}\n\n{anchoring}")
    if not args.no_docs and DOC.exists():
        doc = DOC.read_text()
        if text is not None:
            doc = _replace(doc, BEGIN, END, text)
        DOC.write_text(_replace(doc, ANCHOR_BEGIN, ANCHOR_END, anchoring))
        print(f"\nwrote the validation sections of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if "--quick" in sys.argv[1:]:  # make bench: see QUICK_CHIPSETS
        raise SystemExit(quick(fit.PUBLISHED_DIR / "aihub_published_perf.csv"))
    raise SystemExit(main())
