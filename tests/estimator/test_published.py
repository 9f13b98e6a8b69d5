"""`registry import-published`: Qualcomm's figures attached to the catalog model of the same architecture."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from registry.estimator.fit import _default_perf
from registry.models import Benchmark, Evaluation, Model
from registry.service.published import import_published, load_published_map


def test_published_figures_attach_once_with_provenance_release_and_job_id(catalog: object) -> None:
    perf = _default_perf()
    numerics = perf.with_name("aihub_published_numerics.csv")
    with catalog.session() as session:  # type: ignore[attr-defined]
        session.add(
            Model(
                slug="mobilenet-v2",
                name="MobileNet-v2",
                task="classification",
                domain="computer-vision",
                license="apache-2.0",
            )
        )
    with catalog.session() as session:  # type: ignore[attr-defined]
        report = import_published(session, perf, numerics)
    assert report.benchmarks > 20 and "mobilenet-v2" in report.models
    assert "yolov8n" in report.missing_models  # mapped, but not in this catalog: nothing attached
    with catalog.session() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(Benchmark)).all()
        assert {r.provenance for r in rows} == {"published"}
        assert all(r.build_id is None and r.details["job_id"] in r.source for r in rows)
        assert all(r.source.startswith("quic/ai-hub-models v0.46.1") and r.latency_ms for r in rows)
        evals = session.scalars(select(Evaluation)).all()
        assert len(evals) == report.evaluations
    with catalog.session() as session:  # type: ignore[attr-defined]
        again = import_published(session, perf, numerics)
    assert again.benchmarks == 0 and again.already_present == report.benchmarks + report.evaluations


def test_mapping_table_only_maps_zoo_slugs_and_their_components() -> None:
    import importlib

    import yaml

    from ingest.recipe import list_recipes

    recipes = {r["slug"]: r for r in (yaml.safe_load(p.read_text()) for p in list_recipes())}
    entries = load_published_map()
    assert {e.zoo_slug for e in entries} <= set(recipes)
    assert {"hrnet-pose", "midas-v2-small", "real-esrgan-general-x4v3", "easyocr"} <= {e.zoo_slug for e in entries}
    for entry in entries:  # a mapped component is one the recipe's factory really builds
        if entry.zoo_component:
            module = importlib.import_module(recipes[entry.zoo_slug]["factory"].split(":")[0])
            assert f'"{entry.zoo_component}"' in Path(str(module.__file__)).read_text(), entry
    assert Path(_default_perf()).is_file()
