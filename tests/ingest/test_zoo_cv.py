"""Computer-vision zoo models: each builds, exports to ONNX that computes what torch computes, and the models
with real weights reach their task metric through an ONNX build (digits top-1, MTCNN finds the astronaut)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ingest.export import export_onnx
from ingest.fidelity import make_session
from ingest.zoo.base import Runner, ZooModel
from registry.errors import InvalidInput

RECIPES = Path(__file__).resolve().parents[2] / "ingest" / "recipes"


pytestmark = pytest.mark.usefixtures("registry_home")  # the digits CNN caches its trained weights there


def onnx_runner(path: Path) -> Runner:
    session = make_session(path, threads=1)
    names = [o.name for o in session.get_outputs()]

    def run(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, dict(inputs)), strict=True))

    return run


def export_all(model: ZooModel, out: Path) -> dict[str, Path]:
    paths = {}
    for component in model.components:
        result = export_onnx(component, out / component.name)
        assert result.path.name == f"{component.name}.onnx" and result.files == [result.path]
        assert result.max_abs_err is not None and result.exporter in ("legacy", "dynamo")
        paths[component.name] = result.path
    return paths


def assert_matches_torch(model: ZooModel, paths: dict[str, Path], samples: int = 2) -> None:
    """The exported ONNX follows torch on held-out inputs (not only on the example it was exported with)."""
    for component in model.components:
        run = onnx_runner(paths[component.name])
        for feed in model.eval_inputs(component.name, samples):
            with torch.no_grad():
                ref = component.module(*(torch.from_numpy(feed[k]) for k in component.example_inputs))
            refs = ref if isinstance(ref, tuple) else (ref,)
            got = run(feed)
            assert list(got) == component.output_names
            for name, r in zip(component.output_names, refs, strict=True):
                r_np = r.numpy()
                tol = 1e-4 * max(1.0, float(np.abs(r_np).max()))
                np.testing.assert_allclose(got[name], r_np, atol=tol, rtol=1e-3, err_msg=f"{component.name}.{name}")


def test_digits_cnn_is_accurate_in_onnx_and_keeps_accuracy_at_w8a8(tmp_path: Path) -> None:
    from ingest.optimize import optimize
    from ingest.zoo import digits

    model = digits.build()
    assert model.weights == "trained-here" and model.task_metric is not None
    assert model.card["training"]["held_out_samples"] == 360
    paths = export_all(model, tmp_path)
    assert_matches_torch(model, paths, samples=4)
    again = export_onnx(model.components[0], tmp_path / "again")
    assert again.path.read_bytes() == paths["model"].read_bytes()  # stable bytes: the stage cache's key

    fp32, count = model.task_metric.evaluate({"model": onnx_runner(paths["model"])})
    assert count == 360
    assert fp32 >= 95.0, f"digits FP32 top-1 {fp32:.2f}%"

    built = optimize(paths["model"], "w8a8", tmp_path / "w8a8", calibration=model.calibration("model", 64))
    int8, _ = model.task_metric.evaluate({"model": onnx_runner(built.path)})
    assert fp32 - int8 <= 0.5, f"w8a8 top-1 {int8:.2f}% vs FP32 {fp32:.2f}%"


def test_digits_training_is_reproducible() -> None:
    from ingest.zoo import digits

    first, _, _ = digits.trained_state()
    digits.trained_state.cache_clear()
    again, _, origin = digits.trained_state()
    assert origin.startswith("cache ")  # the second build loads the weights the first one trained
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_mtcnn_real_weights_find_the_astronaut_face_through_onnx(tmp_path: Path) -> None:
    from ingest.zoo import mtcnn

    model = mtcnn.build()
    assert model.weights == "real" and [c.name for c in model.components] == ["pnet", "rnet", "onet"]
    paths = export_all(model, tmp_path)
    assert_matches_torch(model, paths)
    assert model.task_metric is not None
    recall, count = model.task_metric.evaluate({name: onnx_runner(p) for name, p in paths.items()})
    assert count == len(mtcnn.VARIANTS) and recall == 100.0
    # calibration inputs fit the fixed-shape nets and never come from the evaluation image
    for component in model.components:
        sample = model.calibration(component.name, 2)[0]["image"]
        assert sample.shape == tuple(component.example_inputs["image"].shape)


def test_mobilenet_v2_tiny_exports_and_is_not_degenerate(tmp_path: Path) -> None:
    from ingest.zoo import mobilenet_v2

    model = mobilenet_v2.build("tiny")
    assert model.weights == "random" and model.task_metric is None
    assert "random" in model.card["weights"]
    paths = export_all(model, tmp_path)
    assert_matches_torch(model, paths)
    logits = [onnx_runner(paths["model"])(x)["logits"] for x in model.eval_inputs("model", 6)]
    assert logits[0].shape == (1, 1000)
    assert float(np.std(np.concatenate(logits))) > 1e-3  # activations did not vanish through the layers


def test_yolov8n_tiny_exports_and_loads_a_standard_checkpoint(tmp_path: Path) -> None:
    from ingest.zoo import yolov8

    model = yolov8.build("tiny")
    assert model.weights == "random" and model.card["parameters"] == 3_157_200  # Ultralytics' YOLOv8n count
    paths = export_all(model, tmp_path)
    assert_matches_torch(model, paths)
    out = onnx_runner(paths["model"])(model.eval_inputs("model", 1)[0])["output0"]
    assert out.shape == (1, 84, (160 // 8) ** 2 + (160 // 16) ** 2 + (160 // 32) ** 2)
    assert out[0, 4:].min() >= 0.0 and out[0, 4:].max() <= 1.0  # class scores are sigmoids

    module = model.components[0].module
    ckpt = tmp_path / "yolov8n-state.pt"
    torch.save({"model": {k: v.half() for k, v in module.state_dict().items()}}, ckpt)
    loaded = yolov8.build("tiny", checkpoint=ckpt)
    assert loaded.weights == "real" and "user-supplied checkpoint" in loaded.card["weights"]
    first_conv = "model.0.conv.weight"
    assert torch.equal(
        loaded.components[0].module.state_dict()[first_conv], module.state_dict()[first_conv].half().float()
    )

    with pytest.raises(InvalidInput, match="Unknown size"):
        yolov8.build("huge")
    bad = tmp_path / "other.pt"
    torch.save({"backbone.weight": torch.zeros(3)}, bad)
    with pytest.raises(InvalidInput, match="not a YOLOv8n state dict") as info:
        yolov8.build("tiny", checkpoint=bad)
    assert info.value.hint and "model.0.conv.weight" in info.value.hint


@pytest.mark.parametrize("slug", ["digits-cnn", "mobilenet-v2", "yolov8n", "mtcnn"])
def test_recipe_names_a_factory_of_that_slug(slug: str) -> None:
    recipe = yaml.safe_load((RECIPES / f"{slug}.yaml").read_text())
    assert recipe["slug"] == slug
    assert set(recipe) >= {"factory", "precisions", "calibration_samples", "eval_samples"}
    module_name, func = recipe["factory"].split(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, func))
    assert f'slug="{slug}"' in Path(str(module.__file__)).read_text()
    assert set(recipe["precisions"]) <= {"float", "fp16", "w8a8", "w8a16", "w4a16", "mixed"}
