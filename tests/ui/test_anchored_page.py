"""The model page (AppTest, against a real API) says which estimates are anchored and on what, and shows a user's
own measurement as self-reported, with its reporter."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.estimator.graphcost import analyze_onnx
from registry.estimator.predict import benchmarks_from_summaries
from tests.estimator.test_estimate import small_onnx  # noqa: F401  (fixture)
from tests.fixtures.server import running_server
from tests.helpers import model_card, write_publish_dir
from tests.ui.test_pages import rows, run_app


@pytest.fixture
def anchored_api(tmp_path: Path, sqlite_template: Path, small_onnx: Path) -> Iterator[str]:  # noqa: F811
    from registry.embedded import EmbeddedCatalog
    from registry.entities import BenchmarkReport
    from registry.service.publish import publish_directory
    from registry.service.reports import add_reported_benchmark
    from registry.settings import get_settings

    shutil.copyfile(sqlite_template, tmp_path / "catalog.db")
    env = {
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
        "REGISTRY_STORE_URL": (tmp_path / "blobs").as_uri(),
        "REGISTRY_CACHE_DIR": str(tmp_path / "cache"),
    }
    catalog = EmbeddedCatalog(
        get_settings(
            home=tmp_path / "home",
            database_url=env["REGISTRY_DATABASE_URL"],
            store_url=env["REGISTRY_STORE_URL"],
            cache_dir=tmp_path / "cache",
        )
    )
    summary = analyze_onnx(small_onnx).summary()
    builds = [
        {"precision": p, "runtime": "onnx", "benchmarks": benchmarks_from_summaries({None: summary}, p)}
        for p in ("float", "w8a8")
    ]
    card = model_card("tinynet", name="TinyNet", description="A small test graph.")
    with catalog.session() as s:
        publish_directory(
            s, catalog.store, write_publish_dir(tmp_path / "pub", slug="tinynet", builds=builds, card=card)
        )
    with catalog.session() as s:
        report = BenchmarkReport(
            device="Samsung Galaxy S24", precision="float", runtime="onnx", latency_ms=0.5, source="my app, 50 runs",
            force=True,
        )  # fmt: skip
        add_reported_benchmark(s, "tinynet", "1.0.0", report, reporter="alice")
    catalog.engine.dispose()
    with running_server(env) as url:
        yield url


def test_model_page_names_the_anchor_of_each_estimate_and_the_reporter(
    monkeypatch: pytest.MonkeyPatch, anchored_api: str
) -> None:
    at = run_app(monkeypatch, anchored_api, page="model", model="tinynet", device="Samsung Galaxy S24")
    on_device = {(r["precision"], r["runtime"]): r["latency on sd8g3"] for r in rows(at, 0)}
    assert on_device[("float", "onnx")] == "0.5 ms · measured-device, self-reported by alice"
    figures = [r for r in rows(at, 1) if r["device"] not in ("sd8g3", "host CPU")]
    assert figures and all("anchored on reported by alice: my app, 50 runs" in r["latency"] for r in figures)
    assert any(r["precision"] == "w8a8" and "anchored on" in r["latency"] for r in figures)  # across precision
