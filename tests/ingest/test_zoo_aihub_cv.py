"""AI Hub's pose, depth, super-resolution and OCR categories in the zoo: each recipe builds the architecture AI Hub
ships (its parameter count), exports to ONNX that computes what torch computes, quantizes to a w8a8 build that
is judged by fidelity (never by an accuracy: the weights are random), and its published figures attach."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from ingest.fidelity import degenerate_reasons, run_model
from ingest.optimize import optimize
from tests.ingest.test_zoo_cv import RECIPES, assert_matches_torch, export_all

pytestmark = pytest.mark.usefixtures("registry_home")

# slug -> (module, {component: output shape at size "tiny"})
TINY = {
    "hrnet-pose": ("hrnet_pose", {"model": (1, 17, 32, 24)}),
    "midas-v2-small": ("midas", {"model": (1, 64, 64)}),
    "real-esrgan-general-x4v3": ("real_esrgan", {"model": (1, 3, 128, 128)}),
    "easyocr": ("easyocr", {"detector": (1, 32, 48, 2), "recognizer": (1, 23, 97)}),
}


@pytest.mark.parametrize("slug", sorted(TINY))
def test_tiny_build_exports_and_quantizes_with_meaningful_fidelity(slug: str, tmp_path: Path) -> None:
    module_name, shapes = TINY[slug]
    model = importlib.import_module(f"ingest.zoo.{module_name}").build("tiny")
    assert model.slug == slug and model.domain == "computer-vision"
    assert model.weights == "random" and model.task_metric is None and "random" in model.card["weights"]
    assert [c.name for c in model.components] == list(shapes)
    paths = export_all(model, tmp_path)
    assert_matches_torch(model, paths)
    for component in model.components:
        calibration = model.calibration(component.name, 8)
        built = optimize(paths[component.name], "w8a8", tmp_path / f"w8a8-{component.name}", calibration=calibration)
        fidelity = built.details["fidelity"]
        assert fidelity["cosine"] > 0.9, (component.name, fidelity)
        held_out = model.eval_inputs(component.name, 3)
        reference = run_model(paths[component.name], held_out)
        candidate = run_model(built.path, held_out)
        assert reference[0][component.output_names[0]].shape == shapes[component.name]
        assert degenerate_reasons(reference, candidate, fidelity, is_reference=False) == []


def test_default_architectures_have_aihub_parameter_counts() -> None:
    """The default size is the architecture AI Hub profiled (its info.yaml parameter counts)."""
    from ingest.zoo import easyocr, hrnet_pose, midas, real_esrgan

    def millions(net: object) -> float:
        return round(sum(p.numel() for p in net.parameters()) / 1e6, 2)  # type: ignore[attr-defined]

    hr = hrnet_pose.SIZES["default"]
    assert millions(hrnet_pose._net(hr["widths"], hr["modules"], hr["blocks"])) == pytest.approx(28.5, abs=0.05)
    md = midas.SIZES["default"]
    assert millions(midas._net(md["width"], md["depth"], md["features"])[0]) == pytest.approx(16.6, abs=0.05)
    assert midas.lite_stages(1.2, 1.4)[1:] == [
        (6, 3, 2, 32, 3), (6, 5, 2, 48, 3), (6, 3, 2, 96, 5), (6, 5, 1, 136, 5), (6, 5, 2, 232, 6), (6, 3, 1, 384, 1)
    ]  # fmt: skip
    sr = real_esrgan.SIZES["default"]
    assert millions(real_esrgan._net(sr["num_feat"], sr["num_conv"])) == 1.21
    oc = easyocr.SIZES["default"]
    assert millions(easyocr._craft(oc["vgg"])) == pytest.approx(20.8, abs=0.05)
    assert millions(easyocr._crnn(oc["rec_channels"], oc["hidden"], 97)) == pytest.approx(3.8, abs=0.05)


@pytest.mark.parametrize("slug", sorted(TINY))
def test_recipe_names_its_factory(slug: str) -> None:
    recipe = yaml.safe_load((RECIPES / f"{slug}.yaml").read_text())
    module_name, func = recipe["factory"].split(":")
    assert recipe["slug"] == slug and module_name == f"ingest.zoo.{TINY[slug][0]}"
    assert callable(getattr(importlib.import_module(module_name), func))
    assert "w8a8" in recipe["precisions"] and "w4a16" not in recipe["precisions"]  # conv nets: no int4 path


def test_import_published_attaches_aihub_figures_to_the_new_models(catalog: object) -> None:
    from registry.estimator.fit import _default_perf
    from registry.models import Benchmark, Evaluation, Model
    from registry.service.published import import_published

    perf = _default_perf()
    with catalog.session() as session:  # type: ignore[attr-defined]
        for slug, task in (
            ("hrnet-pose", "pose-estimation"),
            ("midas-v2-small", "depth-estimation"),
            ("real-esrgan-general-x4v3", "super-resolution"),
            ("easyocr", "ocr"),
        ):
            session.add(Model(slug=slug, name=slug, task=task, domain="computer-vision", license="mit"))
    with catalog.session() as session:  # type: ignore[attr-defined]
        report = import_published(session, perf, perf.with_name("aihub_published_numerics.csv"))
    assert {"hrnet-pose", "midas-v2-small", "real-esrgan-general-x4v3", "easyocr"} <= set(report.models)
    with catalog.session() as session:  # type: ignore[attr-defined]
        rows = session.execute(select(Model.slug, Benchmark).join(Benchmark, Benchmark.model_id == Model.id)).all()
        by_model: dict[str, list[Benchmark]] = {}
        for slug, row in rows:
            by_model.setdefault(slug, []).append(row)
        assert all(len(by_model[s]) >= 20 for s in TINY), {s: len(v) for s, v in by_model.items()}
        # only the recognizer: the zoo's detector runs at a quarter of AI Hub's pixels, its figures would mislead
        assert {r.component for r in by_model["easyocr"]} == {"recognizer"}
        assert {r.details["aihub_component"] for r in by_model["easyocr"]} == {"EasyOCRRecognizer"}
        assert {r.details["aihub_component"] for r in by_model["hrnet-pose"]} == {"HRNetPose"}
        figures = [b for rows_of in by_model.values() for b in rows_of]
        assert all(b.provenance == "published" and b.build_id is None and b.latency_ms for b in figures)
        for slug in TINY:  # a quantized figure on the flagship phone for each: what a user compares with
            flagship = [b for b in by_model[slug] if b.device_chipset.startswith("qualcomm-snapdragon-8")]
            assert any(b.precision == "w8a8" for b in flagship), slug
        evals = session.execute(select(Model.slug, Evaluation).join(Evaluation, Evaluation.model_id == Model.id)).all()
        assert {"hrnet-pose", "midas-v2-small"} <= {slug for slug, _ in evals}  # mAP, delta-1 from AI Hub
        assert all(e.provenance == "published" and e.build_id is None for _, e in evals)
