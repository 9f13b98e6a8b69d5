"""An AI Hub run published into a real catalog: device builds with measured-device benchmarks and fidelity."""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.fidelity import run_model
from registry.embedded import EmbeddedCatalog
from registry.service.catalog import show_model
from registry.service.publish import publish_directory
from registry.settings import get_settings
from tests.fixtures.qaihub_standin import StandIn
from tests.helpers import model_card
from tests.qaihub.conftest import HELLO_ONNX
from tests.qaihub.test_backend import S24, S25, backend, samples


def test_a_run_fills_the_catalog_with_device_builds_and_measured_benchmarks(
    standin: StandIn, tmp_path: Path, sqlite_url: str
) -> None:
    inputs = samples(2)
    builds = backend(standin, tmp_path).run(
        {None: HELLO_ONNX},
        "float",
        ["tflite", "qnn_context_binary"],
        [S24, S25],
        eval_inputs=inputs,
        fp32_outputs=run_model(HELLO_ONNX, inputs),
    )
    assert all(b.error is None for b in builds), [b.error for b in builds]
    root = tmp_path / "work"
    manifest = {
        "model": model_card("hello-hub"),
        "version": "1.0.0",
        "builds": [b.manifest_entry(root) for b in builds],
    }
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest))

    catalog = EmbeddedCatalog(get_settings(database_url=sqlite_url, home=tmp_path / "home"))
    with catalog.session() as session:
        publish_directory(session, catalog.store, root)
    with catalog.session() as session:
        detail = show_model(session, "hello-hub")

    shown = {(b.runtime, b.target): b for b in detail.builds}
    assert set(shown) == {
        ("tflite", "any"),
        ("qnn_context_binary", "qualcomm-snapdragon-8gen3"),
        ("qnn_context_binary", "qualcomm-snapdragon-8-elite-for-galaxy"),
    }
    tflite = shown[("tflite", "any")]
    assert {b.device for b in tflite.benchmarks} == {
        "qualcomm-snapdragon-8gen3",
        "qualcomm-snapdragon-8-elite-for-galaxy",
    }
    assert all(b.provenance == "measured-device" and b.latency_ms and b.details["job_id"] for b in tflite.benchmarks)
    assert {e.metric for e in tflite.evaluations} == {"psnr_db"}
    assert all(e.provenance == "measured-device" for e in tflite.evaluations)
    context = shown[("qnn_context_binary", "qualcomm-snapdragon-8gen3")]
    assert [b.device_slug for b in context.benchmarks] == ["sd8g3"]
    assert context.files[0].size > 0
