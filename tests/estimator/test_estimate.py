"""The shipped estimator: `registry estimate` JSON keys and --device all, ingest's benchmark entries, fit
reproducibility on a small subset of the published data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from registry.cli import app
from registry.devices import load_device_specs
from registry.estimator import fit
from registry.estimator.predict import estimate_benchmarks, load_params
from registry.service.manifest import BenchmarkEntry

DATA = Path(fit.__file__).parent / "data"


@pytest.fixture(scope="module")
def small_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    w = numpy_helper.from_array(np.zeros([32, 3, 3, 3], dtype=np.float32), "w")
    w2 = numpy_helper.from_array(np.zeros([10, 32], dtype=np.float32), "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w2"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [w, w2],
    )
    path = tmp_path_factory.mktemp("est") / "small.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_estimate_json_has_latency_memory_units_version_and_error(small_onnx: Path) -> None:
    result = CliRunner().invoke(
        app, ["estimate", str(small_onnx), "--device", "sd8g3", "--precision", "w8a8", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("latency_ms", "peak_memory_mb", "compute_units", "estimator_version", "error_pct"):
        assert key in out
    assert out["latency_ms"] > 0 and out["peak_memory_mb"] > 0 and out["error_pct"] > 0
    assert out["estimator_version"] == load_params()["estimator_version"]
    assert out["chipset"] == "qualcomm-snapdragon-8gen3" and out["provenance"] == "estimated"


def test_estimate_device_all_gives_one_row_per_catalog_device(small_onnx: Path) -> None:
    result = CliRunner().invoke(app, ["estimate", str(small_onnx), "--device", "all", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["chipset"] for r in rows] == [s.chipset for s in load_device_specs()]
    # a newer NPU is not slower than a 5-year-older one on the same graph
    by = {r["chipset"]: r["latency_ms"] for r in rows}
    assert by["qualcomm-snapdragon-8-elite-gen5"] < by["qualcomm-qcs6490"]


def test_unknown_device_is_a_clear_error_with_close_matches(small_onnx: Path) -> None:
    from registry.errors import DeviceNotFound
    from registry.estimator.graphcost import analyze_onnx
    from registry.estimator.predict import estimate_graph

    with pytest.raises(DeviceNotFound) as err:
        estimate_graph(analyze_onnx(small_onnx), device="sd8g33", precision="float")
    assert "sd8g3" in (err.value.hint or "").lower() or "8 gen 3" in (err.value.hint or "").lower()


def test_inspect_json_reports_macs(small_onnx: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(small_onnx), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["macs"] == 32 * 64 * 64 * 27 + 320 and len(out["nodes"]) == 5


def test_estimate_benchmarks_are_valid_manifest_entries(small_onnx: Path) -> None:
    entries = estimate_benchmarks({"model": small_onnx}, precision="float")
    assert len(entries) == len(load_device_specs())
    for e in entries:
        entry = BenchmarkEntry.model_validate(e)
        assert entry.provenance == "estimated" and entry.error_pct and entry.source.startswith("estimator ")
    two = estimate_benchmarks({"model": small_onnx}, precision="w8a8", devices=["sd8g3", "qcs6490"])
    assert [e["device"] for e in two] == ["qualcomm-snapdragon-8gen3", "qualcomm-qcs6490"]


def test_fit_is_reproducible_on_a_small_subset(tmp_path: Path) -> None:
    keep = {"resnet18", "resnet50", "vit", "mobilenet_v2"}
    devices = {"qualcomm-snapdragon-8gen3", "qualcomm-qcs6490"}
    src = fit._default_perf()
    subset = tmp_path / "perf.csv"
    with src.open(newline="", encoding="utf-8") as fh, subset.open("w", newline="", encoding="utf-8") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(r for r in reader if r["model_id"] in keep and r["chipset"] in devices)
    first, report = fit.run(subset)
    second, _ = fit.run(subset)
    assert first == second
    assert set(first["device"]) == devices and report["overall"]["n"] > 20


def test_fit_without_usable_measurements_says_what_to_pass(tmp_path: Path) -> None:
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput) as missing:
        fit.run(tmp_path / "nope.csv")
    assert "--perf" in (missing.value.hint or "")
    empty = tmp_path / "perf.csv"
    empty.write_text("model_id,component,precision,runtime,chipset,inference_time_ms\n")
    with pytest.raises(InvalidInput) as nothing:
        fit.run(empty)
    assert "build_graphs" in (nothing.value.hint or "")
