"""A seeded catalog served by a real API (uvicorn), shared by the UI tests of a session.

Three models: yolov8 (two versions, an alias, a chipset-specific build measured on the device, estimates with
their error, host measurements, accuracy evaluations), mobilenet-v2 (estimates and a published figure) and
minilm (random weights: host measurements, a fidelity evaluation, and an accuracy that must never show). The
figures are test data for the UI, not claims.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import running_server
from tests.helpers import model_card, write_publish_dir


def _bench(provenance: str, latency: float, device: str | None = None, **extra: Any) -> dict[str, Any]:
    source = {"estimated": "roofline@1.0", "measured-host": "host-cpu", "published": "vendor model card"}
    entry = {"provenance": provenance, "latency_ms": latency, "source": source.get(provenance, "job-42"), **extra}
    if device:
        entry["device"] = device
    return entry


def _acc(metric: str, value: float, reference: float | None = None, kind: str = "accuracy") -> dict[str, Any]:
    return {
        "dataset": "val-100",
        "metric": metric,
        "kind": kind,
        "value": value,
        "reference_value": reference,
        "sample_count": 100,
        "source": "host",
    }


YOLO_BUILDS = [
    {
        "precision": "float",
        "runtime": "onnx",
        "benchmarks": [
            _bench("measured-host", 41.0),
            _bench("estimated", 12.0, "sd8g3", error_pct=22),
            _bench("estimated", 50.0, "sd8g2", error_pct=145, details={"calibrated_device": False}),
        ],
        "evaluations": [_acc("recall", 0.63)],
    },
    {
        "precision": "w8a8",
        "runtime": "onnx",
        "benchmarks": [_bench("measured-host", 23.7), _bench("estimated", 3.1, "sd8g3", error_pct=22)],
        "evaluations": [_acc("recall", 0.61, 0.63)],
    },
    {"precision": "w4a16", "runtime": "onnx", "benchmarks": [_bench("measured-host", 30.0)]},
    {
        "precision": "w8a8",
        "runtime": "qnn_context_binary",
        "target": "sd8g3",
        "benchmarks": [_bench("measured-device", 1.9, "sd8g3", peak_memory_mb=12.5, compute_units={"npu": 118})],
        "evaluations": [_acc("recall", 0.605, 0.63)],
    },
]
MOBILENET_BUILDS = [
    {
        "precision": "float",
        "runtime": "onnx",
        "benchmarks": [
            _bench("measured-host", 3.96),
            _bench("estimated", 1.2, "sd8g3", error_pct=30),
            _bench("published", 0.9, "sd8g2"),
        ],
        "evaluations": [_acc("top1", 0.72)],
    },
    {
        "precision": "w8a8",
        "runtime": "onnx",
        "benchmarks": [_bench("measured-host", 1.74), _bench("estimated", 0.6, "sd8g3", error_pct=30)],
        "evaluations": [_acc("top1", 0.70, 0.72)],
    },
]
MINILM_BUILDS = [
    {  # random weights: this accuracy (a publisher's mistake) is never shown, filtered on or charted
        "precision": "float",
        "runtime": "onnx",
        "benchmarks": [_bench("measured-host", 8.0)],
        "evaluations": [_acc("retrieval_accuracy", 1.0)],
    },
    {
        "precision": "w8a8",
        "runtime": "onnx",
        "benchmarks": [_bench("measured-host", 3.0)],
        "evaluations": [_acc("cosine", 0.993, 1.0, kind="fidelity")],
    },
    {  # measured per component only (like Whisper's encoder + decoder), on 1 and 2 threads
        "precision": "fp16",
        "runtime": "onnx",
        "benchmarks": [
            _bench("measured-host", ms, component=part, details={"threads": threads})
            for part, threads, ms in (
                ("encoder", 1, 4.0),
                ("decoder", 1, 5.0),
                ("encoder", 2, 2.5),
                ("decoder", 2, 3.0),
            )
        ],
    },
]


@dataclass(frozen=True)
class SeededApi:
    url: str
    env: dict[str, str]


@pytest.fixture(scope="session")
def seeded_api(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[SeededApi]:
    from registry.embedded import EmbeddedCatalog
    from registry.service.lifecycle import set_alias
    from registry.service.publish import publish_directory
    from registry.settings import get_settings

    root = tmp_path_factory.mktemp("ui-catalog")
    shutil.copyfile(sqlite_template, root / "catalog.db")
    env = {
        "REGISTRY_HOME": str(root / "home"),
        "REGISTRY_DATABASE_URL": f"sqlite:///{root / 'catalog.db'}",
        "REGISTRY_STORE_URL": (root / "blobs").as_uri(),
        "REGISTRY_CACHE_DIR": str(root / "cache"),
    }
    settings = get_settings(
        home=root / "home",
        database_url=env["REGISTRY_DATABASE_URL"],
        store_url=env["REGISTRY_STORE_URL"],
        cache_dir=root / "cache",
    )
    catalog = EmbeddedCatalog(settings)
    yolo = model_card(
        "yolov8",
        name="YOLOv8n",
        task="object-detection",
        license="agpl-3.0",
        weights="real",
        source_url="https://github.com/ultralytics/ultralytics",
        description="Real-time object detection.",
    )
    mobilenet = model_card(
        "mobilenet-v2", name="MobileNetV2", weights="real", description="Image classification.", names=["mobilenet"]
    )
    minilm = model_card(
        "minilm",
        name="all-MiniLM-L6-v2",
        task="text-embedding",
        domain="nlp",
        weights="random",
        description="Sentence embeddings.",
    )
    dirs = [
        write_publish_dir(root / "yolo-1", slug="yolov8", version="1.0.0", builds=YOLO_BUILDS[:2], card=yolo),
        write_publish_dir(root / "yolo-11", slug="yolov8", version="1.1.0", builds=YOLO_BUILDS, card=yolo),
        write_publish_dir(root / "mnet", slug="mobilenet-v2", builds=MOBILENET_BUILDS, card=mobilenet),
        write_publish_dir(root / "minilm", slug="minilm", builds=MINILM_BUILDS, card=minilm),
    ]
    with catalog.session() as s:
        for d in dirs:
            publish_directory(s, catalog.store, d)
        set_alias(s, "yolov8", "stable", "1.0.0")
    catalog.engine.dispose()
    with running_server(env) as url:
        yield SeededApi(url, env)
