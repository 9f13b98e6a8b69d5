"""The ingest pipeline on bring-your-own ONNX: real optimization, host profiling, fidelity, recording."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ingest.byo import ModelSource
from ingest.errors import InvalidModelFile
from ingest.pipeline import run_ingest
from registry.devices import load_device_specs
from registry.embedded import EmbeddedCatalog
from registry.models import IngestRun
from registry.service.catalog import show_model
from tests.helpers import cli_env

HELLO = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hello" / "model.onnx"


def _conv_model(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["y"], ["out"])],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 8, 16, 16])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _source(path: Path, slug: str = "hello") -> ModelSource:
    return ModelSource(
        slug=slug,
        name=slug,
        task="classification",
        domain="computer-vision",
        license="mit",
        weights="random",
        components={"model": path},
    )


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    from registry.settings import get_settings

    return EmbeddedCatalog(
        get_settings(
            home=tmp_path / "home",
            database_url=sqlite_url,
            store_url=(tmp_path / "blobs").as_uri(),
            cache_dir=tmp_path / "cache",
        )
    )


def test_ingest_builds_profiles_evaluates_and_records(local: EmbeddedCatalog, tmp_path: Path) -> None:
    report = run_ingest(
        _source(HELLO), local, tmp_path / "work", precisions=("float", "fp16", "int8", "int4"), profile_runs=5
    )
    assert report.status == "succeeded" and report.published and report.published.created
    with local.session() as s:
        detail = show_model(s, "hello")
    by_precision = {b.precision: b for b in detail.builds}
    assert set(by_precision) == {"float", "fp16", "w8a8", "w4a16"}
    for build in detail.builds:
        hosts = [b for b in build.benchmarks if b.provenance == "measured-host"]
        assert {b.details["threads"] for b in hosts} >= {1} and all(b.latency_ms and b.latency_ms > 0 for b in hosts)
        assert build.details["data"]["model"]["evaluation"]["kind"] == "synthetic"  # shown as such
        if build.precision == "float":  # the FP32 reference: no fidelity to itself (cosine 1, SQNR at its clamp)
            assert not [e for e in build.evaluations if e.kind == "fidelity"]
            continue
        cosine = next(e for e in build.evaluations if e.metric == "cosine")
        assert cosine.kind == "fidelity" and cosine.sample_count >= 1 and "synthetic" in cosine.dataset
        assert cosine.value > 0.95 and cosine.details["synthetic_data"] is True
    with local.session() as s:
        run = s.scalars(select(IngestRun)).one()
    assert run.status == "succeeded" and run.finished_at is not None


def test_reingest_of_an_unchanged_model_is_cached_and_a_noop(
    local: EmbeddedCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_ingest(_source(HELLO), local, tmp_path / "work", precisions=("float", "w8a8"), profile_runs=5)

    def no_analysis(path: Path) -> None:
        raise AssertionError(f"a re-ingest analysed {path} again")

    # the per-device estimates of an unchanged build come from the cached graph analysis
    monkeypatch.setattr("registry.estimator.graphcost.analyze_onnx", no_analysis)
    again = run_ingest(_source(HELLO), local, tmp_path / "work", precisions=("float", "w8a8"), profile_runs=5)
    assert first.ran_stages == 6 and again.ran_stages == 0 and again.cached_stages == 6
    assert again.published is not None and not again.published.created and again.version == "1.0.0"
    with local.session() as s:
        builds = show_model(s, "hello").builds
    estimated = [b for build in builds for b in build.benchmarks if b.provenance == "estimated"]
    assert len(estimated) == 2 * len(load_device_specs())
    assert all(b.latency_ms and b.latency_ms > 0 and b.error_pct and b.error_pct > 0 for b in estimated)


def test_a_stage_whose_record_was_cut_short_is_redone_and_the_rest_stay_cached(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    first = run_ingest(_source(HELLO), local, tmp_path / "work", precisions=("float",), profile_runs=5)
    [done] = (tmp_path / "work" / "cache" / "profile").glob("*/done.json")
    done.write_text(done.read_text()[:20])  # a crash or a full disk in the middle of writing it
    again = run_ingest(_source(HELLO), local, tmp_path / "work", precisions=("float",), profile_runs=5)
    assert first.status == again.status == "succeeded"
    assert again.ran_stages == 1 and again.cached_stages == first.ran_stages - 1
    json.loads(done.read_text())  # whole again
    assert again.published is not None and not again.published.created


def test_a_precision_that_does_not_fit_is_recorded_and_the_others_still_build(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    conv = _conv_model(tmp_path / "conv.onnx")
    report = run_ingest(
        _source(conv, "convnet"), local, tmp_path / "work", precisions=("float", "w4a16", "w8a8"), profile_runs=5
    )
    assert report.status == "partial"
    assert not report.build("w4a16").built and report.build("w4a16").error == "unsupported_precision"
    assert {k.precision for k, b in report.builds.items() if b.built} == {"float", "w8a8"}
    with local.session() as s:
        run = s.scalars(select(IngestRun)).one()
    assert run.status == "partial" and run.error and "w4a16" in run.error


def test_a_file_that_is_not_a_model_is_a_clear_error(local: EmbeddedCatalog, tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not protobuf" * 10)
    with pytest.raises(InvalidModelFile, match=r"bad.onnx is not a valid ONNX model"):
        run_ingest(_source(bad), local, tmp_path / "work")


def test_cli_ingest_then_pull(tmp_path: Path) -> None:
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [
            *reg,
            "ingest",
            "--onnx",
            str(HELLO),
            "--name",
            "hello",
            "--task",
            "classification",
            "--precisions",
            "float,int8",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "succeeded" and summary["published"]["created"]
    pulled = subprocess.run(
        [*reg, "pull", "hello", "-d", "sd8g3", "-p", "int8", "--json"], env=env, capture_output=True, text=True
    )
    assert pulled.returncode == 0, pulled.stderr
    import onnx

    onnx.checker.check_model(onnx.load(json.loads(pulled.stdout)["files"][0]["path"]))


def test_mlflow_run_and_model_versions_read_back_with_mlflows_own_client(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    report = run_ingest(_source(HELLO), local, tmp_path / "work", precisions=("float", "w8a8"), profile_runs=5)
    assert report.mlflow is not None
    client = MlflowClient(tracking_uri=report.mlflow["tracking_uri"], registry_uri=report.mlflow["tracking_uri"])
    run = client.get_run(report.mlflow["run_id"])
    assert run.data.params["backend"] == "local" and "tool.onnxruntime" in run.data.params
    assert any(k.endswith("fidelity.cosine") for k in run.data.metrics)
    versions = client.search_model_versions("name='edge-registry.hello'")
    assert {v.tags["precision"] for v in versions} == {"float", "w8a8"}
    with local.session() as s:
        detail = show_model(s, "hello")
    assert detail.version is not None and detail.version.mlflow_run_id == report.mlflow["run_id"]
    for build in detail.builds:  # cross-linked both ways
        mv = client.get_model_version("edge-registry.hello", build.mlflow_model_version)
        assert mv.tags["catalog.build_id"] == str(build.id) and mv.tags["sha256"] == build.files[0].sha256
