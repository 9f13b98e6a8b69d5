"""Bring your own model, honestly: third-party-like ONNX files (made here, ``byo_models``) with dynamic dims, a
-1 batch axis, If subgraphs and a state input go through every stage at the shapes the user gives, on the data
the user gives, or stop with one line saying what to pass; a degenerate fidelity run never publishes as good."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from ingest.byo import ByoInputs, ModelSource
from ingest.byo_data import Preprocess
from ingest.byo_inputs import parse_input_shapes
from ingest.errors import InputShapeRequired
from ingest.executor import SerialExecutor
from ingest.fidelity import MAX_DB, degenerate_reasons
from ingest.pipeline import run_ingest
from registry.embedded import EmbeddedCatalog
from registry.entities import BuildInfo
from registry.service.catalog import show_model
from tests.helpers import cli_env
from tests.ingest import byo_models
from tests.ingest.zoo_fixture import make_local


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    return make_local(sqlite_url, tmp_path)


def _source(path: Path, slug: str) -> ModelSource:
    return ModelSource(
        slug=slug,
        name=slug,
        task="t",
        domain="computer-vision",
        license="mit",
        weights="random",
        components={"model": path},
    )


def _ingest(local: EmbeddedCatalog, tmp_path: Path, path: Path, slug: str, precisions: tuple[str, ...], **byo: object):
    shapes = parse_input_shapes(list(byo.pop("shapes", [])))[0]  # type: ignore[call-overload]
    return run_ingest(
        _source(path, slug),
        local,
        tmp_path / "work",
        precisions=precisions,
        profile_runs=3,
        executor=SerialExecutor(),
        record_mlflow=False,
        byo=ByoInputs(shapes=shapes, **byo),  # type: ignore[arg-type]
    )


def _builds(local: EmbeddedCatalog, slug: str) -> dict[str, BuildInfo]:
    with local.session() as s:
        return {b.precision: b for b in show_model(s, slug).builds}


def _assert_measured_at(build: BuildInfo, shapes: dict[str, list[int]]) -> None:
    host = [b for b in build.benchmarks if b.provenance == "measured-host"]
    estimated = [b for b in build.benchmarks if b.provenance == "estimated"]
    assert host and estimated
    assert all(b.details["input_shapes"] == shapes for b in host + estimated)
    assert {n: i["shape"] for n, i in build.details["interface"]["model"]["inputs"].items()} == shapes


def test_a_classifier_with_a_minus_one_batch_is_refused_then_built_at_the_given_shape_on_real_images(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    from PIL import Image

    model = byo_models.classifier(tmp_path / "cls.onnx")
    with pytest.raises(InputShapeRequired) as refused:
        _ingest(local, tmp_path, model, "cls", ("float",))
    assert "x: float32[?, 3, 16, 32]" in refused.value.detail
    assert "--input-shape x:1x3x16x32" in (refused.value.hint or "")
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 255, (40, 70, 3), dtype=np.uint8)).save(images / f"{i:02d}.png")
    report = _ingest(
        local,
        tmp_path,
        model,
        "cls",
        ("float", "w8a8", "w8a16"),
        shapes=["x:1x3x16x32"],
        calibration_data=images,
        preprocess=Preprocess.parse("color=rgb,scale=1/255,mean=0.5:0.5:0.5,std=0.25:0.25:0.25,layout=nchw"),
    )
    assert report.status == "succeeded", report.builds
    builds = _builds(local, "cls")
    for build in builds.values():
        _assert_measured_at(build, {"x": [1, 3, 16, 32]})
        data = build.details["data"]["model"]
        assert data["calibration"]["kind"] == "given" and data["calibration"]["samples"] == 12
        assert data["calibration"]["preprocess"].startswith("color=rgb")
    assert not builds["float"].evaluations  # the reference is not scored against itself
    cosine = next(e for e in builds["w8a8"].evaluations if e.metric == "cosine")
    assert 0.9 < cosine.value < 1.0 and cosine.details["synthetic_data"] is False
    assert "synthetic" not in cosine.dataset


def test_a_stateful_model_with_if_subgraphs_builds_every_precision_on_audio(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    model = byo_models.stateful(tmp_path / "vad.onnx")
    with pytest.raises(InputShapeRequired) as refused:
        _ingest(local, tmp_path, model, "vad", ("float",))
    assert "input: float32[batch, samples]" in refused.value.detail
    assert (refused.value.hint or "").count("--input-shape") == 2  # input only: the state's batch follows from it
    audio = tmp_path / "audio"
    audio.mkdir()
    t = np.arange(8000 * 2) / 8000.0  # 2 s at 8 kHz, resampled to 16 kHz: 62 windows of 512
    pcm = (np.sin(2 * np.pi * 440 * t * (1 + t)) * 12000).astype(np.int16)
    with wave.open(str(audio / "speech.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(pcm.tobytes())
    report = _ingest(
        local,
        tmp_path,
        model,
        "vad",
        ("float", "fp16", "w8a8", "w8a16"),
        shapes=["input:1x512"],
        values={"sr": 16000.0},
        calibration_data=audio,
        preprocess=Preprocess.parse("rate=16000"),
    )
    assert report.status == "succeeded", {k.label: b.detail for k, b in report.builds.items()}
    builds = _builds(local, "vad")
    assert set(builds) == {"float", "fp16", "w8a8", "w8a16"}
    inputs = builds["w8a8"].details["interface"]["model"]["inputs"]
    assert inputs["state"] == {"shape": [2, 1, 16], "dtype": "float32", "source": "shared-dim", "state": True}
    assert inputs["sr"]["value"] == 16000.0 and inputs["input"]["source"] == "given"
    assert builds["w8a8"].details["data"]["model"]["calibration"]["samples"] == 62
    for build in builds.values():
        _assert_measured_at(build, {"input": [1, 512], "state": [2, 1, 16], "sr": []})
    for precision in ("fp16", "w8a8", "w8a16"):
        sqnr = next(e for e in builds[precision].evaluations if e.metric == "sqnr_db")
        assert 10 < sqnr.value < MAX_DB


def test_a_degenerate_run_fails_the_build_unless_accepted_and_is_then_marked(
    local: EmbeddedCatalog, tmp_path: Path
) -> None:
    model = byo_models.constant(tmp_path / "const.onnx")
    report = _ingest(local, tmp_path, model, "const", ("float", "fp16"))
    assert report.status == "failed" and report.published is None
    for build in report.builds.values():
        assert build.error == "degenerate_fidelity" and "same for all" in (build.detail or "")
        assert "--accept-degenerate" in (build.hint or "")
    accepted = _ingest(local, tmp_path, model, "const", ("fp16",), accept_degenerate=True)
    assert accepted.status == "succeeded"
    fp16 = _builds(local, "const")["fp16"]
    assert fp16.details["degenerate_accepted"]["model"]
    assert all(e.details["degenerate"] for e in fp16.evaluations if e.kind == "fidelity")


def test_degenerate_figures_are_never_good() -> None:
    ref = [{"y": np.array([1.0, 2.0])}, {"y": np.array([2.0, 1.0])}]
    same = degenerate_reasons(ref, ref, {"cosine": 1.0, "sqnr_db": MAX_DB}, is_reference=False)
    assert same == [f"SQNR at its clamp (+{MAX_DB:.0f} dB)"]
    assert degenerate_reasons(ref, ref, {"cosine": 1.0, "sqnr_db": MAX_DB}, is_reference=True) == []
    opposite = [{"y": -s["y"]} for s in ref]
    assert "cosine -1 <= 0" in degenerate_reasons(ref, opposite, {"cosine": -1.0, "sqnr_db": -6.0}, is_reference=False)
    nan = [{"y": np.array([np.nan, 1.0])}, {"y": np.array([2.0, 1.0])}]
    reasons = degenerate_reasons(ref, nan, {"cosine": float("nan"), "sqnr_db": float("nan")}, is_reference=False)
    assert "the build gives NaN or infinite values in y" in reasons and "a fidelity figure is NaN" in reasons


def test_cli_detector_with_dynamic_height_and_width_at_two_sizes(tmp_path: Path) -> None:
    """Two sizes from one file, each measured at its own shapes, and each build ships the user's ``--asset``."""
    model = byo_models.detector(tmp_path / "det.onnx")
    labels = tmp_path / "labels.txt"
    labels.write_text("text\nbackground\n")
    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    base = [*reg, "ingest", "--onnx", str(model), "--name", "det", "--task", "text-detection", "--executor", "serial"]
    refused = subprocess.run([*base, "--precisions", "float"], env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "x: float32[1, 3, height, width]" in refused.stderr and "--input-shape x:1x3x640x640" in refused.stderr
    sizes = ["--input-shape", "x:1x3x32x32", "--input-shape", "x:1x3x64x48"]
    missing = subprocess.run(
        [*base, *sizes, "--asset", str(tmp_path / "nope.txt")], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 2 and "--asset" in missing.stderr and "not a file" in missing.stderr
    recipe = subprocess.run(
        [*reg, "ingest", "digits-cnn", "--asset", str(labels)], env=env, capture_output=True, text=True
    )
    assert recipe.returncode == 2 and "--asset is for --onnx/--torch" in recipe.stderr  # a recipe's model names its own
    done = subprocess.run(
        [
            *base,
            *sizes,
            "--precisions",
            "float",
            "--profile-runs",
            "3",
            "--asset",
            str(labels),
            "--no-mlflow",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [m["model"] for m in summary["models"]] == ["det-32x32", "det-64x48"]
    assert all(m["status"] == "succeeded" for m in summary["models"])
    assert not (tmp_path / "home" / "mlflow.db").exists()  # --no-mlflow: nothing recorded there
    shown = subprocess.run([*reg, "show", "det-64x48", "--json"], env=env, capture_output=True, text=True, check=True)
    builds = json.loads(shown.stdout)["builds"]
    for build in builds:
        assert build["details"]["interface"]["model"]["size"] == "64x48"
        host = [b for b in build["benchmarks"] if b["provenance"] == "measured-host"]
        assert host and all(b["details"]["input_shapes"] == {"x": [1, 3, 64, 48]} for b in host)
    out = tmp_path / "pulled"
    pull = [*reg, "pull", "det-64x48", "-d", "sd8g3", "-p", "float", "-o", str(out), "--json"]
    pulled = subprocess.run(pull, env=env, capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr
    assert (out / "float" / "labels.txt").read_text() == "text\nbackground\n"  # beside float/model/...onnx
    assert any(p.suffix == ".onnx" for p in (out / "float" / "model").iterdir())
    # the same ingest without the asset makes other bytes than det-64x48@1.0.0: refused, saying what to run
    again = [*base, *sizes, "--precisions", "float", "--profile-runs", "3"]
    changed = subprocess.run(again, env=env, capture_output=True, text=True)
    assert changed.returncode != 0 and "already published with different bytes" in changed.stderr
    assert "re-run the ingest with --version 1.0.1" in changed.stderr


def test_shapes_come_from_the_flags_or_the_models_metadata_and_a_contradiction_is_refused(tmp_path: Path) -> None:
    import onnx

    from ingest.byo_inputs import resolve_interface
    from registry.errors import InvalidInput

    model = onnx.load(str(byo_models.detector(tmp_path / "det.onnx")))
    onnx.helper.set_model_props(model, {"input_shapes": json.dumps({"x": [1, 3, 96, 128]})})
    from_metadata = resolve_interface(model, {})
    assert from_metadata.inputs == {"x": ((1, 3, 96, 128), "float32")} and from_metadata.sources == {"x": "metadata"}
    given = resolve_interface(model, parse_input_shapes(["x:1x3x32x32"])[0])  # the flag wins over the metadata
    assert given.inputs["x"][0] == (1, 3, 32, 32) and given.record()["pinned"] is True
    with pytest.raises(InvalidInput, match="size 4 on axis 1, which the model fixes at 3"):
        resolve_interface(model, parse_input_shapes(["x:1x4x32x32"])[0])
    with pytest.raises(InvalidInput, match="rank 2"):
        resolve_interface(model, parse_input_shapes(["x:1x32"])[0])
    with pytest.raises(InvalidInput, match="no input of that name"):
        resolve_interface(model, parse_input_shapes(["image:1x3x32x32"])[0])
    sizes = parse_input_shapes(["x:1x3x32x32", "y:1x4", "x:1x3x64x64"])
    assert [s["x"].shape for s in sizes] == [(1, 3, 32, 32), (1, 3, 64, 64)] and sizes[0]["y"] == sizes[1]["y"]
