"""REGISTRY_OFFLINE=1 answers any spelling of a request a cached build can answer, with the online preference
rules: any device name, a model's other name, precision aliases, a left-out runtime, latest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registry import Client
from registry.client import offline
from registry.embedded import EmbeddedCatalog
from registry.errors import OfflineError
from registry.service import resolve as online
from registry.service.publish import publish_directory
from registry.settings import get_settings
from tests.client.conftest import Server
from tests.client.test_pull_remote import Connections
from tests.helpers import model_card, write_publish_dir

BUILDS = [
    {"precision": "float", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "tflite"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
]


def _client(url: str, cache: Path, **kw: Any) -> Client:
    return Client(url, settings=get_settings(cache_dir=cache), **kw)


def test_offline_answers_every_spelling_a_cached_build_can_answer(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("1.0.0", "1.1.0"):
        d = write_publish_dir(
            tmp_path / version,
            slug="yolov8n",
            version=version,
            builds=BUILDS,
            card=model_card("yolov8n", names=["yolov8"]),
        )
        with sqlite_catalog.session() as s:
            publish_directory(s, sqlite_catalog.store, d)
    url = server.start()
    cache = tmp_path / "cache"
    with _client(url, cache) as c:
        old = c.pull("yolov8n", "sd8g3", "int8", version="1.0.0", runtime="onnx")
        portable = c.pull("yolov8", "sd8g3", "int8", runtime="onnx")  # latest (1.1.0), by the family name
        chip = c.pull("yolov8", "Samsung Galaxy S24", "w8a8")  # the chipset-specific build
    assert (old.version, portable.version, chip.runtime) == ("1.0.0", "1.1.0", "qnn_context_binary")
    assert portable.notices == ["'yolov8' is a name of yolov8n: using yolov8n."]
    server.kill()

    conns = Connections(monkeypatch, forbid=True)
    with _client(url, cache, offline=True) as c:
        for device in ("sm8650", "Snapdragon 8 Gen 3", "Galaxy S24", "qualcomm-snapdragon-8gen3"):
            r = c.pull("yolov8", device, "int8")  # no --runtime: the chipset-specific build wins, as online
            assert (r.version, r.runtime, r.build, r.device_slug) == (
                "1.1.0",
                "qnn_context_binary",
                chip.build,
                "sd8g3",
            )
            assert r.notices == ["'yolov8' is a name of yolov8n: using yolov8n."]
        onnx = c.pull("YOLOv8N", "sm8650", "w8a8", runtime="onnx")
        assert (onnx.build, onnx.notices) == (portable.build, [])
        other = c.pull("yolov8", "Samsung Galaxy S23", "int8")  # another SoC: only the portable build fits
        assert (other.runtime, other.target, other.device_slug) == ("onnx", "any", "sd8g2")
        pinned = c.pull("yolov8", "sm8650", "int8", version="1.0.0")
        assert pinned.build == old.build
        with pytest.raises(OfflineError):
            c.pull("yolov8", "sd8g3", "float")  # never pulled: the cache cannot answer
        with pytest.raises(OfflineError):
            c.pull("yolov8", "sd8g3", "int8", runtime="tflite")
    assert conns.count == 0


def test_offline_preference_order_is_the_online_one() -> None:
    assert offline.CHIPSET_RUNTIME_PREFERENCE == online.CHIPSET_RUNTIME_PREFERENCE
    assert offline.PORTABLE_RUNTIME_PREFERENCE == online.PORTABLE_RUNTIME_PREFERENCE
