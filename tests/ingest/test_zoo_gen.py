"""Generative-AI, audio, NLP and segmentation zoo models: each builds at size="tiny", each component exports to
ONNX and matches torch, calibration/eval inputs fit the exported graph, and MiniLM's real weights retrieve
paraphrases through the FP32 ONNX build."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import yaml

from ingest.export import ExportResult, export_onnx
from ingest.fidelity import make_session, run_model
from ingest.zoo.base import ALL_PRECISIONS, ZooModel

os.environ.setdefault("HF_HUB_OFFLINE", "1")
RECIPES = Path(__file__).resolve().parents[2] / "ingest" / "recipes"
pytestmark = pytest.mark.usefixtures("registry_home")  # Whisper keeps its decoder inputs there


@dataclass(frozen=True)
class Case:
    slug: str
    module: str
    domain: str
    weights: str
    components: tuple[str, ...]


CASES = (
    Case("all-minilm-l6-v2", "minilm", "nlp", "real", ("model",)),
    Case("tiny-llama", "llama", "generative-ai", "random", ("model",)),
    Case("whisper-tiny", "whisper", "audio", "random", ("encoder", "decoder")),
    Case("segformer-b0", "segformer", "computer-vision", "random", ("model",)),
    Case(
        "tiny-stable-diffusion", "stable_diffusion", "generative-ai", "random", ("text_encoder", "unet", "vae_decoder")
    ),
)

_built: dict[str, ZooModel] = {}
_exported: dict[tuple[str, str], ExportResult] = {}


def tiny(case: Case) -> ZooModel:
    if case.slug not in _built:
        recipe = yaml.safe_load((RECIPES / f"{case.slug}.yaml").read_text())
        module_name, func = recipe["factory"].split(":")
        assert module_name == f"ingest.zoo.{case.module}"
        _built[case.slug] = getattr(importlib.import_module(module_name), func)(size="tiny")
    return _built[case.slug]


def exported(case: Case, component_name: str, factory: pytest.TempPathFactory) -> ExportResult:
    key = (case.slug, component_name)
    if key not in _exported:
        component = tiny(case).component(component_name)
        _exported[key] = export_onnx(component, factory.mktemp(f"{case.module}-{component_name}"))
    return _exported[key]


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_recipe_and_card(case: Case) -> None:
    recipe = yaml.safe_load((RECIPES / f"{case.slug}.yaml").read_text())
    model = tiny(case)
    assert recipe["slug"] == model.slug == case.slug
    assert set(recipe["precisions"]) <= set(model.supported_precisions) <= set(ALL_PRECISIONS)
    assert recipe["calibration_samples"] > 0 and recipe["eval_samples"] > 0
    assert (model.domain, model.weights) == (case.domain, case.weights)
    assert tuple(c.name for c in model.components) == case.components
    # the card says plainly whether the weights are real
    assert model.card["weights"].startswith(f"{case.weights}:")
    assert (model.task_metric is not None) == (case.weights == "real")
    if "w4a16" in recipe["precisions"]:
        assert "w4a16" in model.supported_precisions


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_components_export_and_match_torch(case: Case, tmp_path_factory: pytest.TempPathFactory) -> None:
    model = tiny(case)
    for component in model.components:
        result = exported(case, component.name, tmp_path_factory)
        assert result.exporter == "dynamo", result.errors
        graph = onnx.load(str(result.path)).graph
        assert [i.name for i in graph.input] == list(component.example_inputs)
        assert [o.name for o in graph.output] == component.output_names

        calibration = model.calibration(component.name, 3)
        evaluation = model.eval_inputs(component.name, 2)
        for sample in calibration + evaluation:  # every sample fits the exported graph exactly
            assert {k: (v.shape, v.dtype) for k, v in sample.items()} == {
                k: (tuple(t.shape), t.numpy().dtype) for k, t in component.example_inputs.items()
            }
        first_key = next(iter(calibration[0]))
        assert not np.array_equal(calibration[0][first_key], evaluation[0][first_key])  # disjoint pools
        assert not np.array_equal(calibration[0][first_key], calibration[1][first_key])  # varied

        got = run_model(result.path, evaluation)
        with torch.no_grad():
            for feed, out in zip(evaluation, got, strict=True):
                ref = component.module(*(torch.from_numpy(v) for v in feed.values())).numpy()
                onnx_out = out[component.output_names[0]]
                assert onnx_out.shape == ref.shape
                assert np.isfinite(onnx_out).all()
                scale = float(np.abs(ref).max())
                assert scale > 0
                assert float(np.abs(onnx_out - ref).max()) <= 1e-4 * max(scale, 1.0), component.name


def test_minilm_real_weights_retrieve_paraphrases_through_onnx(tmp_path_factory: pytest.TempPathFactory) -> None:
    model = tiny(CASES[0])
    assert model.task_metric is not None
    path = exported(CASES[0], "model", tmp_path_factory).path

    session = make_session(path)
    names = [o.name for o in session.get_outputs()]

    def runner(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(None, dict(inputs)), strict=True))

    accuracy, count = model.task_metric.evaluate({"model": runner})
    assert count == 48  # 24 paraphrase pairs, each sentence queried against the other 47
    assert accuracy >= 0.95  # measured: 1.0 (48/48) with the published weights; random weights give ~0
    emb = runner(model.eval_inputs("model", 1)[0])["sentence_embedding"]
    assert emb.shape == (1, 384)
    assert abs(float(np.linalg.norm(emb)) - 1.0) < 1e-4  # normalized, as sentence-transformers returns it


def test_whisper_decoder_inputs_are_reused_from_disk_and_a_damaged_copy_is_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.zoo import whisper

    monkeypatch.setenv("REGISTRY_HOME", str(tmp_path / "home"))
    first = whisper.build(size="tiny").calibration("decoder", 2)
    [stored] = (tmp_path / "home" / "ingest" / "zoo").glob("whisper-encoder-*.npy")

    rebuilt = whisper.build(size="tiny")

    def encoder_ran(*args: object, **kwargs: object) -> None:
        raise AssertionError("the encoder ran again for inputs it has already seen")

    monkeypatch.setattr(rebuilt.component("encoder").module, "forward", encoder_ran)
    again = rebuilt.calibration("decoder", 2)
    stored.write_bytes(b"not an array")
    recomputed = whisper.build(size="tiny").calibration("decoder", 2)
    for a, b, c in zip(first, again, recomputed, strict=True):
        for key in ("decoder_input_ids", "encoder_hidden_states"):
            np.testing.assert_array_equal(a[key], b[key])
            np.testing.assert_array_equal(a[key], c[key])
    assert np.load(stored).shape[0] == 2  # the damaged copy was replaced
