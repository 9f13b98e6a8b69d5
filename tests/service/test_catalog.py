"""Reading the catalog: search with filters and show."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.embedded import EmbeddedCatalog
from registry.errors import InvalidInput
from registry.service import lifecycle
from registry.service.catalog import list_devices, search_models, show_model
from registry.service.publish import publish_directory
from registry.vocab import ModelFilter
from tests.helpers import model_card, write_publish_dir


@pytest.fixture
def zoo(catalog: EmbeddedCatalog, tmp_path: Path) -> EmbeddedCatalog:
    specs = [
        (
            "yolov8",
            "object-detection",
            "computer-vision",
            "agpl-3.0",
            [{"precision": "w8a8", "runtime": "onnx"}],
        ),
        ("whisper", "speech-recognition", "audio", "mit", [{"precision": "float", "runtime": "onnx"}]),
        (
            "minilm",
            "sentence-embedding",
            "nlp",
            "apache-2.0",
            [{"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8e"}],
        ),
    ]
    for slug, task, domain, lic, builds in specs:
        card = model_card(slug, task=task, domain=domain, license=lic, description=f"The {slug} model")
        d = write_publish_dir(tmp_path / slug, slug=slug, builds=builds, card=card)
        with catalog.session() as s:
            publish_directory(s, catalog.store, d)
    return catalog


@pytest.mark.parametrize(
    "flt,expected",
    [
        (ModelFilter(), ["minilm", "whisper", "yolov8"]),
        (ModelFilter(task="object-detection"), ["yolov8"]),
        (ModelFilter(domain="audio"), ["whisper"]),
        (ModelFilter(license="MIT"), ["whisper"]),
        (ModelFilter(precision="int8"), ["minilm", "yolov8"]),
        (ModelFilter(runtime="qnn_context_binary"), ["minilm"]),
        (ModelFilter(device="sd8e", precision="w8a8"), ["minilm", "yolov8"]),
        (ModelFilter(device="sd8g3", precision="w8a8"), ["yolov8"]),
        (ModelFilter(text="WHISP"), ["whisper"]),
    ],
)
def test_search_filters(zoo: EmbeddedCatalog, flt: ModelFilter, expected: list[str]) -> None:
    with zoo.session() as s:
        assert [m.slug for m in search_models(s, flt)] == expected


def test_search_rejects_unknown_precision(zoo: EmbeddedCatalog) -> None:
    with zoo.session() as s, pytest.raises(InvalidInput):
        search_models(s, ModelFilter(precision="int2"))


def test_show_lists_versions_aliases_and_builds(zoo: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "y2", slug="yolov8", version="1.1.0")
    with zoo.session() as s:
        publish_directory(s, zoo.store, d)
        lifecycle.set_alias(s, "yolov8", "stable", "1.0.0")
    with zoo.session() as s:
        detail = show_model(s, "yolov8")
        assert [v.version for v in detail.versions] == ["1.1.0", "1.0.0"]
        assert detail.model.latest_version == "1.1.0" and detail.model.aliases == {"stable": "1.0.0"}
        assert detail.version is not None and detail.version.version == "1.1.0"
        assert {b.precision for b in detail.builds} == {"float", "w8a8"}
        old = show_model(s, "yolov8", "1.0.0")
        assert old.version is not None and old.version.aliases == ["stable"]


def test_devices_have_counts(zoo: EmbeddedCatalog) -> None:
    with zoo.session() as s:
        devices = {d.slug: d for d in list_devices(s, with_counts=True)}
    assert devices["sd8e"].build_count == 3 and devices["sd8g3"].build_count == 2


def test_min_accuracy_compares_accuracies_on_one_scale(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    """A percentage (top1_accuracy_pct 97.2) and a fraction (recall 0.61) compare as fractions; a cosine (another
    scale) and a random-weight model's accuracy never pass; each evaluation keeps its scale."""
    from registry.service.catalog import search_page

    def acc(metric: str, value: float, kind: str = "accuracy") -> dict[str, object]:
        return {"dataset": "d", "metric": metric, "kind": kind, "value": value, "sample_count": 10, "source": "h"}

    published = {
        "digits": ("real", acc("top1_accuracy_pct", 97.2)),
        "detector": ("real", acc("recall", 0.61)),
        "embedder": ("real", acc("cosine", 0.99, "fidelity")),
        "randomnet": ("random", acc("recall", 0.99)),
    }
    for slug, (weights, ev) in published.items():
        builds = [{"precision": "float", "runtime": "onnx", "evaluations": [ev]}]
        d = write_publish_dir(tmp_path / slug, slug=slug, builds=builds, card=model_card(slug, weights=weights))
        with catalog.session() as s:
            publish_directory(s, catalog.store, d)

    def passing(minimum: float) -> set[str]:
        with catalog.session() as s:
            return {m.slug for m in search_page(s, ModelFilter(min_accuracy=minimum), limit=50)[0]}

    assert passing(0.9) == passing(90) == {"digits"}
    assert passing(0.5) == {"digits", "detector"}
    assert passing(0.0) == {"digits", "detector"}
    with catalog.session() as s:
        units = {m: show_model(s, m).builds[0].evaluations[0].unit for m in published}
    assert units == {"digits": "percent", "detector": "fraction", "embedder": "cosine", "randomnet": "fraction"}
