"""Computer-vision zoo: export times, task accuracy kept at w8a8, and INT8 speed/size on host onnxruntime.

    python benchmarks/zoo_quality.py                          # all four models
    python benchmarks/zoo_quality.py --models digits-cnn,mtcnn --json out.json

- export: seconds of the legacy and the dynamo exporter per component (both checked against torch);
- digits-cnn (trained here): top-1 on the 360 held-out digits, FP32 vs w8a8 / w8a16 / mixed builds made by
  ``ingest.optimize.optimize`` (issue target: w8a8 loses <= 0.5 point);
- mtcnn (real weights): face recall of the P/R/O cascade on the astronaut variants, FP32 vs w8a8;
- yolov8n, mobilenet-v2 (random weights): ``benchmarks/quantize_int8.run`` on the zoo export: our w8a8 vs FP32
  (speed and size, targets >= 1.8x and <= 0.3x) and vs onnxruntime's default ``quantize_static``.
All figures are measured in this run on this host; nothing is copied from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import quantize_int8
from benchmarks.report import at_most, record
from ingest.export import export_onnx
from ingest.fidelity import make_session
from ingest.optimize import optimize
from ingest.zoo.base import Runner, ZooModel

MODELS = ("digits-cnn", "mtcnn", "mobilenet-v2", "yolov8n")
FACTORIES = {
    "digits-cnn": "ingest.zoo.digits",
    "mtcnn": "ingest.zoo.mtcnn",
    "mobilenet-v2": "ingest.zoo.mobilenet_v2",
    "yolov8n": "ingest.zoo.yolov8",
}


def runner(path: Path) -> Runner:
    session = make_session(path, threads=1)
    names = [o.name for o in session.get_outputs()]

    def run(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, dict(inputs)), strict=True))

    return run


def build(slug: str) -> tuple[ZooModel, float]:
    import importlib

    started = time.perf_counter()
    model = importlib.import_module(FACTORIES[slug]).build()
    return model, time.perf_counter() - started


def export_both(model: ZooModel, work: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    """Export every component with each exporter; keep the component's default choice for what follows."""
    paths: dict[str, Path] = {}
    times: dict[str, Any] = {}
    for component in model.components:
        times[component.name] = {}
        for exporter in ("legacy", "dynamo"):
            try:
                result = export_onnx(component, work / f"{exporter}" / component.name, exporters=(exporter,))
                times[component.name][exporter] = {
                    "seconds": result.seconds,
                    "max_abs_err_vs_torch": result.max_abs_err,
                    "bytes": result.path.stat().st_size,
                }
            except Exception as exc:  # recorded, not fatal: the other exporter may work
                times[component.name][exporter] = {"error": str(exc)[:300]}
        default = export_onnx(component, work / "default" / component.name)
        times[component.name]["default_choice"] = default.exporter
        paths[component.name] = default.path
    return paths, times


def task_at_precisions(
    model: ZooModel, paths: dict[str, Path], work: Path, precisions: Sequence[str], calibration: int
) -> dict[str, Any]:
    assert model.task_metric is not None
    out: dict[str, Any] = {"dataset": model.task_metric.dataset, "metric": model.task_metric.metric}
    value, count = model.task_metric.evaluate({n: runner(p) for n, p in paths.items()})
    out["float"] = {"value": value, "samples": count}
    for precision in precisions:
        built: dict[str, Path] = {}
        details: dict[str, Any] = {}
        started = time.perf_counter()
        for name, path in paths.items():
            result = optimize(
                path, precision, work / precision / name, calibration=model.calibration(name, calibration)
            )
            built[name] = result.path
            details[name] = {
                k: result.details.get(k)
                for k in ("calibration_method", "size_ratio", "kept_float", "budget_met", "fidelity")
                if result.details.get(k) is not None
            }
        seconds = time.perf_counter() - started
        value_q, count_q = model.task_metric.evaluate({n: runner(p) for n, p in built.items()})
        out[precision] = {
            "value": value_q,
            "samples": count_q,
            "drop_vs_float": value - value_q,
            "optimize_seconds": round(seconds, 1),
            "details": details,
        }
    return out


def _record_task(slug: str, task: dict[str, Any]) -> None:
    for precision in ("w8a8", "w8a16", "mixed"):
        if precision in task:
            drop = task[precision]["drop_vs_float"]
            target = at_most(drop, 0.5) if slug == "digits-cnn" and precision == "w8a8" else None
            record(
                "zoo_quality",
                f"{slug}: {task['metric']} drop at {precision} vs float ({task['dataset']})",
                drop,
                unit="points",
                target=target,
                baseline=f"float {task['float']['value']:.2f}",
                ours=f"{precision} {task[precision]['value']:.2f}",
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--calibration", type=int, default=64, help="calibration samples (default 64)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per model, thread count and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating profiling rounds (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="digits-cnn only, 16 calibration samples: shows it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.calibration, args.runs, args.rounds = "digits-cnn", 16, 10, 1
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-zoo-") as tmp:
        work = Path(tmp)
        for slug in args.models.split(","):
            model, build_seconds = build(slug)
            paths, exports = export_both(model, work / slug)
            entry: dict[str, Any] = {"weights": model.weights, "build_seconds": round(build_seconds, 1)}
            entry["export"] = exports
            print(f"== {slug} ({model.weights} weights), built in {build_seconds:.1f} s")
            for comp, times in exports.items():
                line = ", ".join(
                    f"{e} {t['seconds']:.2f} s (max |err| {t['max_abs_err_vs_torch']:.2g})"
                    if "seconds" in t
                    else f"{e} FAILED"
                    for e, t in times.items()
                    if e != "default_choice"
                )
                print(f"   export {comp}: {line}; default {times['default_choice']}")
            if slug == "digits-cnn":
                entry["task"] = task_at_precisions(
                    model, paths, work / slug, ("w8a8", "w8a16", "mixed"), args.calibration
                )
            elif slug == "mtcnn":
                entry["task"] = task_at_precisions(model, paths, work / slug, ("w8a8",), args.calibration)
            if "task" in entry:
                task = entry["task"]
                print(f"   {task['metric']} on {task['dataset']}: float {task['float']['value']:.2f}")
                for p in ("w8a8", "w8a16", "mixed"):
                    if p in task:
                        print(f"   {p}: {task[p]['value']:.2f} (drop {task[p]['drop_vs_float']:.2f})")
                _record_task(slug, task)
            if slug in ("mobilenet-v2", "yolov8n"):
                samples = model.calibration("model", args.calibration) + model.eval_inputs("model", 4)
                perf = quantize_int8.run(
                    f"{slug} (zoo, {model.weights} weights)",
                    paths["model"],
                    samples,
                    work / slug / "int8",
                    runs=args.runs,
                    rounds=args.rounds,
                )
                quantize_int8.print_report(perf)
                quantize_int8.record_report(perf, "zoo_quality")
                entry["int8_vs_fp32"] = perf
            report[slug] = entry
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
