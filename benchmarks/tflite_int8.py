"""TFLite (LiteRT) int8 against TFLite float on this host's CPU (the LiteRT interpreter, XNNPACK).

    python benchmarks/tflite_int8.py                 # MobileNetV2 and YOLOv8n from the zoo
    python benchmarks/tflite_int8.py --quick         # MobileNetV2 only, fewer runs, one round

Each zoo model is converted with litert-torch (``ingest.converters.tflite``, what `registry ingest` builds), then
quantized by ai-edge-quantizer to static full-integer int8 (w8a8, calibrated on the zoo's calibration inputs) and
to dynamic range (``mixed``). The builds are profiled in alternating rounds (float, int8, mixed, and again) with
1 thread and every thread, and the median p50 over rounds is reported. Fidelity is the cosine of each build's
outputs to the FP32 torch module's on held-out inputs.
Issue targets: int8 >= 1.5x faster than TFLite float, with cosine >= 0.98 to FP32.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report import at_least, record

SPEED_TARGET = 1.5
COSINE_TARGET = 0.98
MODELS = {"mobilenet-v2": "ingest.zoo.mobilenet_v2:build", "yolov8n": "ingest.zoo.yolov8:build"}
BUILDS = ("float", "w8a8", "mixed")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--calibration", type=int, default=32, help="calibration samples (default 32)")
    parser.add_argument("--eval", type=int, default=8, help="held-out samples for fidelity (default 8)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per build, thread count and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating profiling rounds (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="MobileNetV2 only, 16 calibration samples, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.calibration, args.runs, args.rounds = "mobilenet-v2", 16, 10, 1
    reports = []
    with tempfile.TemporaryDirectory(prefix="bench-tflite-") as tmp:
        for slug in args.models.split(","):
            report = run(slug, Path(tmp) / slug, args.calibration, args.eval, args.runs, args.rounds)
            print_report(report)
            record_report(report)
            reports.append(report)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    return 0


def run(slug: str, work: Path, calibration: int, evals: int, runs: int, rounds: int) -> dict[str, Any]:
    import importlib

    import torch

    from ingest.converters import Interface
    from ingest.converters.tflite import TfliteConverter
    from ingest.fidelity import compare
    from ingest.profile_host import cpu_model, profile

    module_name, _, function = MODELS[slug].partition(":")
    model = getattr(importlib.import_module(module_name), function)()
    comp = model.components[0]
    interface = Interface(tuple(comp.example_inputs), tuple(comp.output_names))
    calib = [_numpy(s) for s in model.calibration(comp.name, calibration)]
    fresh = [_numpy(s) for s in model.eval_inputs(comp.name, evals)]
    with torch.no_grad():
        reference = []
        for feed in fresh:
            out = comp.module(*(torch.from_numpy(feed[n]) for n in interface.inputs))
            outs = out if isinstance(out, tuple | list) else (out,)
            reference.append({n: o.numpy() for n, o in zip(interface.outputs, outs, strict=False)})
    conv = TfliteConverter()
    work.mkdir(parents=True, exist_ok=True)
    source = conv.export(comp.module, comp.example_inputs, work)
    paths, recipe = {}, {}
    for precision in BUILDS:
        (work / precision).mkdir(exist_ok=True)
        built = conv.optimize(source, precision, work / precision, calibration=calib, options={}, interface=interface)
        paths[precision] = built.path
        if precision == "w8a8":
            recipe = {k: built.details.get(k) for k in ("scheme", "kept_float", "float_mac_share", "held_out_cosine")}
    quality = {p: compare(reference, conv.run(path, fresh, interface)) for p, path in paths.items()}
    timings: dict[str, dict[int, list[float]]] = {p: {} for p in paths}
    version, cores = "", 0
    for _ in range(rounds):
        for precision, path in paths.items():
            result = profile(
                path, fresh[:1], threads=(1, "all"), warmup=3, runs=runs, max_seconds=180, runtime="tflite"
            )
            version, cores = result.runtime_version, result.logical_cores
            for timing in result.results:
                timings[precision].setdefault(timing.threads, []).append(timing.p50_ms)
    p50 = {p: {t: statistics.median(v) for t, v in by.items()} for p, by in timings.items()}
    return {
        "model": f"{slug} ({model.weights} weights)",
        "cpu": cpu_model(),
        "logical_cores": cores,
        "runtime": version,
        "rounds": rounds,
        "runs": runs,
        "p50_ms": p50,
        "size_bytes": {p: path.stat().st_size for p, path in paths.items()},
        "speedup_vs_float": {p: {t: p50["float"][t] / p50[p][t] for t in p50[p]} for p in ("w8a8", "mixed")},
        "fidelity_vs_fp32": quality,
        "w8a8_recipe": recipe,
    }


def _numpy(sample: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in sample.items()}


def record_report(r: dict[str, Any], benchmark: str = "tflite_int8") -> None:
    """int8 vs float speed per thread count (target 1.5x) and int8's cosine to FP32 (target 0.98)."""
    p50 = r["p50_ms"]
    for threads, speed in sorted(r["speedup_vs_float"]["w8a8"].items()):
        record(
            benchmark,
            f"{r['model']}: TFLite int8 (w8a8) vs TFLite float, {threads} thread(s) p50, XNNPACK",
            speed,
            target=at_least(speed, SPEED_TARGET),
            baseline=f"float {p50['float'][threads]:.2f} ms",
            ours=f"int8 {p50['w8a8'][threads]:.2f} ms",
            note=f"{r['rounds']} round(s) x {r['runs']} runs",
        )
    cosine = r["fidelity_vs_fp32"]["w8a8"]["cosine"]
    record(
        benchmark,
        f"{r['model']}: TFLite int8 (w8a8) cosine to FP32",
        cosine,
        target=at_least(cosine, COSINE_TARGET),
        baseline="FP32 torch outputs",
        ours=f"SQNR {r['fidelity_vs_fp32']['w8a8']['sqnr_db']:.1f} dB",
    )


def print_report(r: dict[str, Any]) -> None:
    print(f"model: {r['model']}   cpu: {r['cpu']} ({r['logical_cores']} logical cores)   {r['runtime']}")
    print(f"median of {r['rounds']} alternating rounds x {r['runs']} runs; p50 latency in ms")
    threads = sorted(r["p50_ms"]["float"])
    header = "".join(f"{f'{t} thread(s)':>13}" for t in threads)
    print(f"{'':8}{header}{'size MB':>9}{'cosine':>9}{'SQNR dB':>9}")
    for precision in BUILDS:
        p50, q = r["p50_ms"][precision], r["fidelity_vs_fp32"][precision]
        cells = "".join(f"{p50[t]:>13.2f}" for t in threads)
        print(f"{precision:8}{cells}{r['size_bytes'][precision] / 1e6:>9.2f}{q['cosine']:>9.4f}{q['sqnr_db']:>9.1f}")
    recipe = r["w8a8_recipe"]
    print(f"w8a8: {recipe['scheme']} (held-out cosine to float {recipe['held_out_cosine']})")
    if recipe["kept_float"]:
        kept = ", ".join(f"{k['op_type']} {k['node']}" for k in recipe["kept_float"])
        print(f"      kept float: {kept}")
    int8, cosine = r["speedup_vs_float"]["w8a8"], r["fidelity_vs_fp32"]["w8a8"]["cosine"]
    met = min(int8.values()) >= SPEED_TARGET and cosine >= COSINE_TARGET
    speeds = ", ".join(f"{s:.2f}x ({t} thread(s))" for t, s in sorted(int8.items()))
    print(
        f"int8 vs float: {speeds}; cosine {cosine:.4f}   [targets >= {SPEED_TARGET}x, >= {COSINE_TARGET}: "
        f"{'met' if met else 'NOT met'}]"
    )


if __name__ == "__main__":
    raise SystemExit(main())
