"""`make bench`'s report: figures handed over by the benchmarks, one table with targets, the docs section
regenerated in place (stale figures replaced, the rest of the page kept)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import run_all
from benchmarks.report import at_least, at_most, record


def test_figures_reach_the_report_and_the_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv("BENCH_RESULTS", str(results))
    record("quantize_int8", "mobilenet-v2 w8a8 vs fp32, 1 thread(s) p50", 1.78, target=at_least(1.78, 1.8),
           baseline="fp32 7.04 ms", ours="w8a8 3.95 ms")  # fmt: skip
    record("catalog_core", "resolve() p50", 0.95, unit="ms", target=at_most(0.95, 5.0))
    record("download", "cold pull vs curl, CLI", 0.67)
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["met"], r["target"]) for r in rows] == [(False, ">= 1.8"), (True, "<= 5"), (None, None)]

    host = {"cpu": "Test CPU", "logical_cores": 2, "python": "3.11", "commit": "abc", "load_start": [1.0, 1.0, 1.0],
            "load_end": [2.0, 1.5, 1.0]}  # fmt: skip
    bench = {"benchmark": "quantize_int8", "status": "ran", "seconds": 1.0, "load_before": [1.0], "load_after": [2.0],
             "command": "python benchmarks/quantize_int8.py --quick"}  # fmt: skip
    report = {"mode": "quick", "command": "make bench", "finished_at": "2026-12-07 04:00:00 UTC", "host": host,
              "benchmarks": [bench], "figures": rows}  # fmt: skip
    markdown = run_all.to_markdown(report)
    assert "| quantize_int8 | mobilenet-v2 w8a8 vs fp32, 1 thread(s) p50 | 1.78x | >= 1.8 | **no** |" in markdown
    assert "| catalog_core | resolve() p50 | 0.95 ms | <= 5 | yes |" in markdown
    assert "Test CPU (2 logical cores" in markdown and "load average" in markdown

    doc = tmp_path / "benchmarks.md"
    shutil.copyfile(run_all.DOC, doc)
    before = doc.read_text()
    run_all.write_docs(markdown, doc)
    run_all.write_docs(markdown, doc)  # idempotent: the section is replaced, never appended
    after = doc.read_text()
    assert after.count("| quantize_int8 | mobilenet-v2") == 1
    assert after.split(run_all.BEGIN)[0] == before.split(run_all.BEGIN)[0]
    assert after.split(run_all.END)[1] == before.split(run_all.END)[1]
