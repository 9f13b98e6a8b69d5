"""Resolve: (model, device, precision, runtime?, version | alias | latest) -> exactly one build."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.embedded import EmbeddedCatalog
from registry.errors import BuildNotFound, DeviceNotFound, InvalidInput, ModelNotFound, VersionNotFound
from registry.service import lifecycle
from registry.service.publish import publish_directory
from registry.service.resolve import resolve
from tests.helpers import write_publish_dir


def _publish(
    catalog: EmbeddedCatalog,
    root: Path,
    version: str,
    builds: list[dict[str, str]] | None = None,
    slug: str = "yolov8",
) -> None:
    d = write_publish_dir(root / f"{slug}-{version}", slug=slug, version=version, builds=builds)
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)


@pytest.fixture
def yolo(catalog: EmbeddedCatalog, tmp_path: Path) -> EmbeddedCatalog:
    builds = [
        {"precision": "float", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "tflite"},
        {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    ]
    for v in ("1.0.0", "1.2.0", "1.10.0-rc.1"):
        _publish(catalog, tmp_path, v, builds)
    return catalog


def test_any_device_name_resolves_and_chipset_specific_build_wins(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        for name in ("sd8g3", "sm8650", "Snapdragon 8 Gen 3", "snapdragon® 8 gen 3", "Samsung Galaxy S24"):
            r = resolve(s, "yolov8", name, "int8")
            assert (r.version, r.precision, r.runtime, r.target) == (
                "1.2.0",
                "w8a8",
                "qnn_context_binary",
                "qualcomm-snapdragon-8gen3",
            )


def test_portable_build_on_other_devices_and_runtime_filter(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        other = resolve(s, "yolov8", "sd8g2", "w8a8")
        assert (other.runtime, other.target) == ("onnx", "any")
        assert resolve(s, "yolov8", "sd8g3", "w8a8", runtime="tflite").runtime == "tflite"


def test_latest_skips_prereleases_and_semver_orders_numerically(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        assert resolve(s, "yolov8", "sd8g3", "fp32").version == "1.2.0"  # not 1.10.0-rc.1, not 1.0.0
        assert resolve(s, "yolov8", "sd8g3", "float", version="1.10.0-rc.1").version == "1.10.0-rc.1"


def test_alias_and_moving_it(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        lifecycle.set_alias(s, "yolov8", "stable", "1.0.0")
    with yolo.session() as s:
        assert resolve(s, "yolov8", "sd8g3", "w8a8", alias="stable").version == "1.0.0"
        lifecycle.set_alias(s, "yolov8", "stable", "1.2.0")
    with yolo.session() as s:
        assert resolve(s, "yolov8", "sd8g3", "w8a8", alias="stable").version == "1.2.0"


def test_yanked_only_by_exact_pin_with_warning(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        lifecycle.set_alias(s, "yolov8", "stable", "1.2.0")
        lifecycle.yank(s, "yolov8", "1.2.0", "wrong anchors")
    with yolo.session() as s:
        assert resolve(s, "yolov8", "sd8g3", "w8a8").version == "1.0.0"  # latest falls back
        pinned = resolve(s, "yolov8", "sd8g3", "w8a8", version="1.2.0")
        assert pinned.version == "1.2.0" and "yanked" in pinned.warnings[0] and "wrong anchors" in pinned.warnings[0]
        with pytest.raises(VersionNotFound, match="yanked"):
            resolve(s, "yolov8", "sd8g3", "w8a8", alias="stable")


def test_deprecated_is_not_latest_but_pinnable(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        lifecycle.deprecate(s, "yolov8", "1.2.0", "use 2.x")
    with yolo.session() as s:
        assert resolve(s, "yolov8", "sd8g3", "w8a8").version == "1.0.0"
        r = resolve(s, "yolov8", "sd8g3", "w8a8", version="1.2.0")
        assert r.warnings and "deprecated" in r.warnings[0]


def test_errors_say_what_exists(yolo: EmbeddedCatalog) -> None:
    with yolo.session() as s:
        with pytest.raises(BuildNotFound) as exc:
            resolve(s, "yolov8", "sd8g3", "w4a16")
        assert (
            exc.value.hint and "w8a8/onnx/any" in exc.value.hint and "w8a8/qnn_context_binary/sd8g3" in exc.value.hint
        )
        with pytest.raises(ModelNotFound) as mexc:
            resolve(s, "yolov9", "sd8g3", "w8a8")
        assert mexc.value.hint and "yolov8" in mexc.value.hint
        with pytest.raises(DeviceNotFound):
            resolve(s, "yolov8", "snapdragon 8 gen 33", "w8a8")
        with pytest.raises(VersionNotFound) as vexc:
            resolve(s, "yolov8", "sd8g3", "w8a8", version="9.9.9")
        assert vexc.value.hint and "1.2.0" in vexc.value.hint
        with pytest.raises(InvalidInput, match="Unknown precision"):
            resolve(s, "yolov8", "sd8g3", "int3")


def test_no_active_release(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    _publish(catalog, tmp_path, "0.1.0-alpha", slug="newbie")
    with catalog.session() as s, pytest.raises(VersionNotFound, match="no active release"):
        resolve(s, "newbie", "sd8g3", "float")
