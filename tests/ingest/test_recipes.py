"""Recipes and the zoo path: a recipe file drives export -> optimize -> fidelity -> profile -> evaluate ->
publish -> MLflow, with real torch export, onnxruntime and MLflow's own client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from ingest.executor import SerialExecutor
from ingest.pipeline import IngestOptions, ingest_many
from ingest.recipe import find_recipe, list_recipes, load_recipe
from ingest.zoo_pipeline import prepare_recipes
from registry.embedded import EmbeddedCatalog
from registry.errors import InvalidInput
from registry.models import IngestRun
from registry.service.catalog import list_devices, show_model
from tests.helpers import cli_env
from tests.ingest.zoo_fixture import make_local, write_recipe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    return make_local(sqlite_url, tmp_path)


def _ingest(local: EmbeddedCatalog, tmp_path: Path, *recipes: Path, **opts: object) -> list:  # type: ignore[type-arg]
    loaded = [load_recipe(r) for r in recipes]
    runtimes: tuple[str, ...] = opts.get("host_runtimes", ("onnx",))  # type: ignore[assignment]
    return ingest_many(
        prepare_recipes(loaded, tmp_path / "work", runtimes=runtimes),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=3, **opts),  # type: ignore[arg-type]
        executor=SerialExecutor(),
    )


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"factory": "m:f", "precisions": ["float"]}, "slug", "missing"),
        ({"slug": "a", "factory": "m:f", "precisions": ["float"], "colour": 1}, "colour", "unknown field"),
        ({"slug": "a", "factory": "m:f", "precisions": ["int3"]}, "precisions", "int3"),
        ({"slug": "a", "factory": "nocolon", "precisions": ["float"]}, "factory", "module:function"),
        ({"slug": "a", "factory": "m:f", "precisions": ["w8a8"], "calibration_samples": 0}, "calibration_samples", "0"),
        (
            {"slug": "a", "factory": "m:f", "precisions": ["w8a8"], "options": {"w8a8": {"bogus": 1}}},
            "options.w8a8.bogus",
            "unknown option",
        ),
    ],
)
def test_a_bad_recipe_names_the_file_and_the_field(tmp_path: Path, body: dict, field: str, words: str) -> None:  # type: ignore[type-arg]
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(InvalidInput) as err:
        load_recipe(path)
    assert str(path) in err.value.detail and f"'{field}'" in err.value.detail and words in err.value.detail
    assert err.value.hint


@pytest.mark.parametrize("slug", ["all-minilm-l6-v2", "tiny-llama", "whisper-tiny", "segformer-b0"])
def test_a_size_the_model_does_not_have_names_the_recipe_field_and_the_sizes_it_has(tmp_path: Path, slug: str) -> None:
    import yaml

    from ingest.recipe import build_model

    body = yaml.safe_load(find_recipe(slug).read_text())
    path = tmp_path / f"{slug}.yaml"
    path.write_text(yaml.safe_dump({**body, "size": "huge"}))
    with pytest.raises(InvalidInput) as err:
        build_model(load_recipe(path))
    assert f"{path}: field 'size': 'huge' is not a size this model has; it has default" in err.value.detail
    assert "leave `size` out" in (err.value.hint or "")


def test_recipes_are_listed_and_found_by_slug(tmp_path: Path) -> None:
    write_recipe(tmp_path / "b.yaml", slug="tiny-b")
    write_recipe(tmp_path / "a.yaml", slug="tiny-a", options={"mixed": {"mixed_budget": {"sqnr_db": 25}}})
    assert [p.name for p in list_recipes(tmp_path)] == ["a.yaml", "b.yaml"]
    assert find_recipe("tiny-b", tmp_path).name == "b.yaml"
    recipe = load_recipe(find_recipe("a", tmp_path))
    assert recipe.precisions == ("float", "w8a8") and recipe.options == {"mixed": {"mixed_budget": {"sqnr_db": 25}}}
    with pytest.raises(InvalidInput, match="No recipe 'nope'"):
        find_recipe("nope", tmp_path)


def test_a_recipe_builds_evaluates_publishes_and_a_reingest_changes_nothing(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    recipe = write_recipe(tmp_path / "r.yaml", precisions=["float", "w8a8", "w4a16", "mixed"])
    [first] = _ingest(local, tmp_path, recipe, host_runtimes=("onnx", "tflite"))
    assert first.status == "partial" and first.published is not None and first.published.created
    assert first.build("w4a16").error == "unsupported_precision"  # a CNN takes no w4a16: recorded, not a crash
    assert ("w4a16", "tflite", "any") not in first.builds  # LiteRT has no w4a16 build: not attempted
    with local.session() as s:
        detail = show_model(s, "tiny-digits")
    assert detail.model.weights == "trained-here"
    _check_tflite_builds(first, [b for b in detail.builds if b.runtime == "tflite"])
    builds = {b.precision: b for b in detail.builds if b.runtime == "onnx"}
    assert set(builds) == {"float", "w8a8", "mixed"}
    top1 = {p: next(e for e in b.evaluations if e.metric == "top1") for p, b in builds.items()}
    assert top1["float"].kind == "accuracy" and top1["float"].sample_count == 200
    assert top1["float"].value == pytest.approx(top1["float"].reference_value) and top1["float"].value > 0.7
    assert top1["w8a8"].reference_value == top1["float"].value and abs(top1["w8a8"].value - top1["float"].value) < 0.05
    cosine = next(e for e in builds["w8a8"].evaluations if e.metric == "cosine")
    assert cosine.kind == "fidelity" and cosine.sample_count == 8 and cosine.value > 0.99
    assert builds["w8a8"].details["export"]["model"]["exporter"]
    host = [b for b in builds["w8a8"].benchmarks if b.provenance == "measured-host"]
    estimated = [b for b in builds["w8a8"].benchmarks if b.provenance == "estimated"]
    assert host and len(host) + len(estimated) == len(builds["w8a8"].benchmarks)  # nothing unlabelled
    # Without --devices, every catalog device gets an estimate, each with its estimator and validated error.
    with local.session() as s:
        n_devices = len(list_devices(s))
    assert len({b.device for b in estimated}) == n_devices
    assert all(b.error_pct is not None and b.source.startswith("estimator ") for b in estimated)

    [again] = _ingest(local, tmp_path, recipe, host_runtimes=("onnx", "tflite"))
    assert again.ran_stages == 0 and again.cached_stages == first.ran_stages + first.cached_stages
    assert again.published is not None and not again.published.created
    assert again.mlflow is not None and again.mlflow["reused"] and again.mlflow["run_id"] == first.mlflow["run_id"]
    client = MlflowClient(tracking_uri=first.mlflow["tracking_uri"])
    experiment = client.get_experiment_by_name("edge-model-registry ingest")
    assert experiment is not None
    assert len(client.search_runs([experiment.experiment_id])) == 1  # no new MLflow run when nothing changed


def _check_tflite_builds(report: Any, builds: list[Any]) -> None:
    """LiteRT builds beside the ONNX ones: each .tflite loads and runs in the LiteRT interpreter, and carries host
    figures from that interpreter, fidelity and top-1 against FP32, and per-device estimates for runtime tflite."""
    from ai_edge_litert.interpreter import Interpreter

    assert {b.precision for b in builds} == {"float", "w8a8", "mixed"}
    for build in builds:
        (path,) = report.build(build.precision, "tflite").files()
        assert path.suffix == ".tflite" and build.files[0].path.endswith(".tflite")
        runner = Interpreter(model_path=str(path), num_threads=1).get_signature_runner("serving_default")
        feeds = {n: np.zeros(d["shape"], d["dtype"]) for n, d in runner.get_input_details().items()}
        (out,) = runner(**feeds).values()
        assert out.shape == (1, 10)
        host = [b for b in build.benchmarks if b.provenance == "measured-host"]
        assert {b.details["threads"] for b in host} >= {1} and all("ai-edge-litert" in b.source for b in host)
        estimated = [b for b in build.benchmarks if b.provenance == "estimated"]
        assert estimated and all(b.details["runtime"] == "tflite" for b in estimated)
        top1 = next(e for e in build.evaluations if e.metric == "top1")
        assert abs(top1.value - top1.reference_value) < 0.05, (build.precision, top1.value)
        if build.precision != "float":
            cosine = next(e for e in build.evaluations if e.metric == "cosine")
            assert cosine.value > 0.98 and "tflite" in cosine.source
    assert builds[0].details["model"]["scheme"]
    # the trained CNN's w8a8 build stays all-int8: its held-out cosine to float meets the floor, and it says so
    recipe = next(b for b in builds if b.precision == "w8a8").details["model"]
    assert recipe["calibration"]["ranges"] == "min/max over every calibration sample"
    assert recipe["kept_float"] == [] and recipe["min_cosine_met"] and recipe["held_out_cosine"] >= 0.98


def test_a_two_component_model_publishes_one_build_per_precision_with_a_file_per_component(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    recipe = write_recipe(
        tmp_path / "two.yaml", factory="build_two_part", slug="tiny-two-part", precisions=["float", "fp16"]
    )
    [report] = _ingest(local, tmp_path, recipe)
    assert report.status == "succeeded"
    with local.session() as s:
        detail = show_model(s, "tiny-two-part")
    assert len(detail.builds) == 2
    for build in detail.builds:
        assert sorted(f.component or "" for f in build.files) == ["", "head"]
        cosine = {e.component for e in build.evaluations if e.metric == "cosine"}
        assert cosine == (set() if build.precision == "float" else {None, "head"})  # float: the reference itself


def test_cli_ingests_a_recipe_with_devices_and_writes_a_run_log(tmp_path: Path) -> None:
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    recipe = write_recipe(tmp_path / "r.yaml", precisions=["float"])
    args = [*reg, "ingest", str(recipe), "--devices", "sd8g3,Galaxy S24,sm8750", "--profile-runs", "3"]
    out = subprocess.run([*args, "--executor", "serial", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "succeeded" and summary["devices"] == ["sd8g3", "sd8e"]
    log = Path(summary["log"])
    assert log.parent == tmp_path / "home" / "ingest" / "logs" and "tiny-digits/float: built" in log.read_text()
    bad = subprocess.run([*args[:5], "--devices", "sd8gen9"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "Unknown device 'sd8gen9'" in bad.stderr and "sd8g3" in bad.stderr
    no_token = {**env, "QAIHUB_CLIENT_INI": str(tmp_path / "no-client.ini")}
    hub = subprocess.run([*args, "--backend", "qai-hub"], env=no_token, capture_output=True, text=True)
    assert hub.returncode != 0 and "No Qualcomm AI Hub token" in hub.stderr


def test_run_rows_keep_the_log_path(local: EmbeddedCatalog, tmp_path: Path) -> None:
    from ingest.runlog import RunLog

    log = RunLog(tmp_path / "logs" / "run.log")
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", precisions=["float"]))
    ingest_many(
        prepare_recipes([recipe], tmp_path / "work", log=log),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=3),
        executor=SerialExecutor(),
        log=log,
    )
    with local.session() as s:
        row = s.scalars(select(IngestRun)).one()
    assert row.log_path == str(log.path) and row.details["_run"]["log_path"] == str(log.path)
    assert "exported model" in log.path.read_text()


def test_cli_ingests_a_torch_checkpoint_and_refuses_a_bare_state_dict(tmp_path: Path) -> None:
    import torch

    from tests.ingest.zoo_fixture import TinyCNN

    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    net = TinyCNN().eval()
    scripted = tmp_path / "net.pt"
    torch.jit.script(net).save(str(scripted))  # type: ignore[no-untyped-call]
    base = [*reg, "ingest", "--name", "mynet", "--task", "image-classification", "--precisions", "float,w8a8"]
    out = subprocess.run(
        [*base, "--torch", str(scripted), "--input-shape", "x:1x1x8x8", "--executor", "serial", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["status"] == "partial" and summary["published"]["created"]
    assert set(summary["builds"]) == {"float", "w8a8", "float/tflite", "w8a8/tflite"}
    for label in ("float/tflite", "w8a8/tflite"):  # TorchScript does not convert to TFLite: recorded, with the reason
        failed = summary["builds"][label]
        assert (
            failed["status"] == "failed" and failed["error"] == "export_failed" and "ScriptModule" in failed["detail"]
        )

    pickled = tmp_path / "whole.pt"
    torch.save(net, pickled)  # a whole pickled module: loaded with weights_only=False, and the CLI says so
    out = subprocess.run(
        [*base[:-1], "float,w8a8", "--name", "mynet2", "--torch", str(pickled), "--input-shape", "x:1x1x8x8"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "weights_only=False" in out.stderr and "mynet2@1.0.0" in out.stderr and "succeeded" in out.stderr
    assert "w8a8/tflite" in out.stderr  # the summary lists the LiteRT builds beside the ONNX ones
    pull = [*reg, "pull", "mynet2", "-d", "sd8g3", "-p", "int8", "--runtime", "tflite", "--json"]
    pulled = subprocess.run(pull, env=env, capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr
    got = json.loads(pulled.stdout)
    assert got["runtime"] == "tflite" and got["precision"] == "w8a8"
    import hashlib

    from ai_edge_litert.interpreter import Interpreter

    (file,) = got["files"]
    assert (
        file["name"].endswith(".tflite")
        and hashlib.sha256(Path(file["path"]).read_bytes()).hexdigest() == file["sha256"]
    )
    runner = Interpreter(model_path=file["path"]).get_signature_runner("serving_default")
    (detail,) = runner.get_input_details().values()
    assert detail["dtype"] == np.int8  # full-integer: int8 in, int8 out
    (logits,) = runner(args_0=np.zeros((1, 1, 8, 8), np.int8)).values()
    assert logits.shape == (1, 10)

    weights_only = tmp_path / "sd.pt"
    torch.save(net.state_dict(), weights_only)
    bad = subprocess.run(
        [*base, "--torch", str(weights_only), "--input-shape", "x:1x1x8x8"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "holds a state_dict" in bad.stderr and "recipe" in bad.stderr
    no_shape = subprocess.run([*base, "--torch", str(scripted)], env=env, capture_output=True, text=True)
    assert no_shape.returncode == 2 and "--input-shape" in no_shape.stderr
