"""Bad input to ingest: each is a clear error recorded for that build (or model), the other builds still
publish, and nothing stored before is lost: an earlier version still pulls with the same sha256."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ingest.byo import ModelSource
from ingest.executor import SerialExecutor
from ingest.pipeline import IngestOptions, IngestReport, ingest_many, run_ingest
from ingest.recipe import load_recipe
from ingest.zoo_pipeline import prepare_recipes
from registry.embedded import EmbeddedCatalog
from registry.models import IngestRun
from registry.service.catalog import show_model
from tests.helpers import cli_env
from tests.ingest.zoo_fixture import make_local, pulled_sha256, write_recipe

HELLO = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hello" / "model.onnx"


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    return make_local(sqlite_url, tmp_path)


def _recipes(local: EmbeddedCatalog, tmp_path: Path, *recipes: Path) -> list[IngestReport]:
    return ingest_many(
        prepare_recipes([load_recipe(r) for r in recipes], tmp_path / "work"),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=3),
        executor=SerialExecutor(),
    )


def _conv(path: Path, opset: int) -> Path:
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
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 6
    onnx.save(model, str(path))
    return path


def _source(path: Path, slug: str) -> ModelSource:
    return ModelSource(
        slug=slug,
        name=slug,
        task="classification",
        domain="computer-vision",
        license="mit",
        weights="random",
        components={"model": path},
    )


def _published_before(local: EmbeddedCatalog, tmp_path: Path) -> dict[str, str]:
    """tiny-digits@1.0.0 (float), and what it pulls as."""
    [first] = _recipes(local, tmp_path, write_recipe(tmp_path / "good.yaml", precisions=["float"]))
    assert first.status == "succeeded"
    return pulled_sha256(local, "tiny-digits", "1.0.0", "float", tmp_path / "pull-before")


def test_a_model_that_fails_to_export_is_recorded_and_the_other_models_publish(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    before = _published_before(local, tmp_path)
    bad = write_recipe(tmp_path / "eig.yaml", factory="build_unexportable", slug="tiny-eig")
    good = write_recipe(tmp_path / "two.yaml", factory="build_two_part", slug="tiny-two-part", precisions=["float"])
    eig, two = _recipes(local, tmp_path, bad, good)
    assert eig.status == "failed" and eig.published is None
    for build in eig.builds.values():
        assert build.error == "export_failed" and "linalg_eig" in (build.detail or "") and build.hint
    assert two.status == "succeeded" and two.published is not None and two.published.created
    with local.session() as s:
        rows = {r.model_slug: r for r in s.scalars(select(IngestRun))}
    assert rows["tiny-eig"].status == "failed" and "linalg_eig" in (rows["tiny-eig"].error or "")
    assert pulled_sha256(local, "tiny-digits", "1.0.0", "float", tmp_path / "pull-after") == before


def test_calibration_data_of_the_wrong_shape_fails_the_calibrated_builds_only(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    recipe = write_recipe(
        tmp_path / "badcal.yaml", factory="build_bad_calibration", slug="tiny-badcal", precisions=["float", "w8a8"]
    )
    [report] = _recipes(local, tmp_path, recipe)
    assert report.status == "partial"
    failed = report.build("w8a8")
    assert failed.error == "calibration_mismatch" and "x" in (failed.detail or "") and failed.hint
    with local.session() as s:
        detail = show_model(s, "tiny-badcal")
        row = s.scalars(select(IngestRun)).one()
    assert [b.precision for b in detail.builds] == ["float"]
    assert row.status == "partial" and "w8a8" in json.loads(row.error or "{}")


def test_a_file_that_is_not_an_onnx_model_is_refused_and_nothing_stored_is_lost(tmp_path: Path) -> None:
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    base = [*reg, "ingest", "--name", "hello", "--task", "classification", "--precisions", "float"]
    ok = subprocess.run(
        [*base, "--onnx", str(HELLO), "--executor", "serial", "--json", "--profile-runs", "3"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    pull = [*reg, "pull", "hello", "-d", "sd8g3", "-p", "float", "--json"]
    before = json.loads(subprocess.run(pull, env=env, capture_output=True, text=True, check=True).stdout)
    garbage = tmp_path / "model.onnx"
    garbage.write_bytes(b"\x08\x07not a protobuf at all" * 50)
    bad = subprocess.run([*base, "--onnx", str(garbage), "--version", "1.1.0"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "model.onnx is not a valid ONNX model" in bad.stderr
    assert "Traceback" not in bad.stderr
    after = json.loads(subprocess.run(pull, env=env, capture_output=True, text=True, check=True).stdout)
    assert after["version"] == "1.0.0"
    assert [f["sha256"] for f in after["files"]] == [f["sha256"] for f in before["files"]]


def test_an_opset_too_old_for_per_channel_quantization_is_converted_and_recorded(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    old = _conv(tmp_path / "old.onnx", opset=11)
    report = run_ingest(
        _source(old, "oldconv"),
        local,
        tmp_path / "work",
        precisions=("float", "w8a8"),
        profile_runs=3,
        executor=SerialExecutor(),
    )
    assert report.status == "succeeded"
    with local.session() as s:
        detail = show_model(s, "oldconv")
    w8a8 = next(b for b in detail.builds if b.precision == "w8a8")
    assert w8a8.details["model"]["opset_converted"]["from"] == 11
    assert w8a8.details["model"]["opset_converted"]["to"] >= 13
    # w8a8 has the QNN layout by default (docs/compatibility.md): per-tensor weights, as the HTP takes them
    assert w8a8.details["model"]["target"] == "npu" and w8a8.details["model"]["per_channel"] is False


def test_a_precision_the_model_cannot_take_is_recorded_and_the_rest_publish(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    before = _published_before(local, tmp_path)
    conv = _conv(tmp_path / "conv.onnx", opset=17)
    report = run_ingest(
        _source(conv, "convnet"),
        local,
        tmp_path / "work",
        precisions=("float", "w4a16"),
        profile_runs=3,
        executor=SerialExecutor(),
    )
    assert report.status == "partial" and report.build("w4a16").error == "unsupported_precision"
    assert "matmul" in (report.build("w4a16").detail or "").lower()
    with local.session() as s:
        assert [b.precision for b in show_model(s, "convnet").builds] == ["float"]
    # the same for a zoo model that declares it cannot take w4a16: refused up front, recorded
    [zoo] = _recipes(local, tmp_path, write_recipe(tmp_path / "w4.yaml", precisions=["w4a16"], slug="tiny-digits"))
    assert zoo.status == "failed" and zoo.build("w4a16").error == "unsupported_precision"
    assert pulled_sha256(local, "tiny-digits", "1.0.0", "float", tmp_path / "pull-after") == before
