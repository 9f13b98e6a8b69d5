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


def test_mapping_table_only_maps_catalog_slugs() -> None:
    zoo = {
        "digits-cnn",
        "all-minilm-l6-v2",
        "mtcnn",
        "yolov8n",
        "mobilenet-v2",
        "segformer-b0",
        "whisper-tiny",
        "tiny-llama",
        "tiny-stable-diffusion",
    }
    entries = load_published_map()
    assert {e.zoo_slug for e in entries} <= zoo
    assert Path(_default_perf()).is_file()
