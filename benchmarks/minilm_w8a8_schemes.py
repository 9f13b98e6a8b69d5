"""all-MiniLM-L6-v2 (real weights) w8a8 before/after the transformer scheme choice.

"before": full static QDQ of every op (``transformer_schemes=["static_qdq"]``, the old w8a8);
"after": the default (static QDQ of weighted MatMul/Gemm/Gather, then dynamic INT8, first with held-out
cosine >= 0.99). Fidelity on 16 held-out eval sentences (never calibrated on), retrieval accuracy on the
zoo's paraphrase pairs;
p50 latency on 1 thread (ingest.profile_host, 20 runs, 3 alternating rounds).
Run: ``python benchmarks/minilm_w8a8_schemes.py [default|tiny]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import onnxruntime as ort

from ingest import fidelity, profile_host
from ingest.export import export_onnx
from ingest.optimize import optimize
from ingest.zoo.minilm import build

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.report import at_least, record


def _runner(path: Path) -> Any:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return lambda inputs: dict(zip(names, session.run(None, inputs), strict=True))


def _p50(path: Path, inputs: list[dict[str, Any]]) -> float:
    return round(profile_host.profile(path, inputs[:4], threads=(1,), runs=20).at(1).p50_ms, 2)


def main(size: str = "default", rounds: int = 3) -> None:
    zoo = build(size)
    assert zoo.task_metric is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = export_onnx(zoo.components[0], root / "fp32").path
        calibration = zoo.calibration("model", 32)
        held_out = zoo.eval_inputs("model", 16)
        reference = fidelity.run_model(src, held_out)
        builds = {"fp32": src}
        print("fp32 retrieval", zoo.task_metric.evaluate({"model": _runner(src)}), flush=True)
        for label, options in (("before", {"transformer_schemes": ["static_qdq"]}), ("after", {})):
            started = time.perf_counter()
            result = optimize(src, "w8a8", root / label, calibration=calibration, options=options)
            measured = fidelity.compare(reference, fidelity.run_model(result.path, held_out))
            retrieval = zoo.task_metric.evaluate({"model": _runner(result.path)})
            row = {
                "scheme": result.details["scheme"],
                "eval_cosine": round(measured["cosine"], 4),
                "eval_sqnr_db": round(measured["sqnr_db"], 2),
                "retrieval": retrieval,
                "candidates": result.details["scheme_candidates"],
                "size_ratio": result.details["size_ratio"],
                "seconds": round(time.perf_counter() - started, 1),
            }
            print(label, json.dumps(row), flush=True)
            builds[label] = result.path
            name = f"all-MiniLM-L6-v2 ({size}) w8a8 {label} ({row['scheme']}): eval cosine vs fp32"
            record(
                "minilm_w8a8_schemes",
                name,
                row["eval_cosine"],
                unit="cosine",
                target=at_least(row["eval_cosine"], 0.99) if label == "after" else None,
            )
        timings = []
        for round_ in range(rounds):  # alternating rounds: a shared host's load hits every build alike
            timings.append({k: _p50(p, held_out) for k, p in builds.items()})
            print("round", round_, timings[-1], flush=True)
        fp32, after = (statistics.median(t[k] for t in timings) for k in ("fp32", "after"))
        record(
            "minilm_w8a8_schemes",
            f"all-MiniLM-L6-v2 ({size}) w8a8 (kept scheme) vs fp32, 1 thread p50",
            fp32 / after,
            baseline=f"fp32 {fp32} ms",
            ours=f"w8a8 {after} ms",
        )


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--quick" in argv:  # the tiny config, one timing round: shows it runs
        main("tiny", rounds=1)
    else:
        main(*argv)
