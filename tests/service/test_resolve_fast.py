"""The API's one-statement resolve gives exactly ``resolve``'s answer, error and hint, on SQLite and PostgreSQL."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

from registry.db import transaction
from registry.embedded import EmbeddedCatalog
from registry.errors import RegistryError
from registry.service import lifecycle
from registry.service.publish import publish_directory
from registry.service.resolve import resolve, resolve_fast
from tests.helpers import write_publish_dir

BUILDS: list[dict[str, Any]] = [
    {"precision": "float", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "tflite"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    # several files: the answer lists them sorted by path, each once
    {"precision": "fp16", "runtime": "onnx", "file_names": ["z/model.onnx", "a/model.data", "m/extra.bin"]},
]


def _pub_dir(tmp_path: Path, version: str) -> Path:
    return write_publish_dir(tmp_path / version, slug="yolov8", version=version, builds=BUILDS)


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call().model_dump()
    except RegistryError as exc:
        return type(exc).__name__, exc.to_dict()


def _both(catalog: EmbeddedCatalog, *args: Any, **kwargs: Any) -> tuple[tuple[str, Any], tuple[str, Any]]:
    def slow(*a: Any, **k: Any) -> Any:
        with transaction(catalog.sessionmaker) as s:
            return resolve(s, *a, **k)

    def fast() -> Any:
        with catalog.engine.connect() as conn:
            return resolve_fast(conn, slow, *args, **kwargs)

    return _outcome(lambda: slow(*args, **kwargs)), _outcome(fast)


def test_fast_resolve_equals_resolve_across_versions_aliases_and_lifecycle(
    catalog: EmbeddedCatalog, tmp_path: Path
) -> None:
    for v in ("1.0.0", "1.2.0", "1.10.0-rc.1"):
        with catalog.session() as s:
            publish_directory(s, catalog.store, _pub_dir(tmp_path, v))
    with catalog.session() as s:
        lifecycle.set_alias(s, "yolov8", "stable", "1.0.0")
        lifecycle.set_alias(s, "yolov8", "edge", "1.2.0")
    devices = ("sd8g3", "Samsung Galaxy S24", "sd8g2", "no-such-phone")
    precisions = ("int8", "fp16", "w4a16")
    runtimes = (None, "tflite", "qnn-context-binary")
    pins: list[dict[str, str]] = [
        {},
        {"version": "1.0.0"},
        {"version": " 1.10.0-rc.1"},
        {"version": "9.9.9"},
        {"version": "x.y"},
        {"alias": "stable"},
        {"alias": "EDGE "},
        {"alias": "latest"},
        {"alias": "nope"},
        {"alias": "stable", "version": "1.0.0"},
    ]

    def check_all(stage: str) -> int:
        answers = 0
        for device, precision, runtime, pin in product(devices, precisions, runtimes, pins):
            slow, fast = _both(catalog, " YOLOv8", device, precision, runtime=runtime, **pin)
            assert fast == slow, (stage, device, precision, runtime, pin)
            answers += slow[0] == "ok"
        for bad in (("yolov9", "sd8g3", "int8"), ("yolov8", "", "int8"), ("yolov8", "sd8g3", "bogus")):
            slow, fast = _both(catalog, *bad)
            assert fast == slow and slow[0] != "ok", (stage, bad)
        slow, fast = _both(catalog, "yolov8", "sd8g3", "int8", runtime="tflite_bogus")
        assert fast == slow and slow[0] == "InvalidInput"
        return answers

    assert check_all("published") > 50
    with catalog.session() as s:
        lifecycle.deprecate(s, "yolov8", "1.2.0", "use 1.3")
        lifecycle.yank(s, "yolov8", "1.0.0", "wrong anchors")
    assert check_all("deprecated and yanked") > 20
    # latest now has no active release at all: the error names what exists
    with catalog.session() as s:
        lifecycle.yank(s, "yolov8", "1.2.0", None)
    slow, fast = _both(catalog, "yolov8", "sd8g3", "w8a8")
    assert fast == slow and slow[0] == "VersionNotFound"


def test_multi_file_build_lists_each_file_once_sorted(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "p", slug="yolov8", builds=BUILDS))
    _, (kind, body) = _both(catalog, "yolov8", "sd8g3", "fp16")
    assert kind == "ok"
    assert [f["path"] for f in body["build"]["files"]] == ["a/model.data", "m/extra.bin", "z/model.onnx"]


def test_fast_resolve_sees_an_alias_move_at_once(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    for v in ("1.0.0", "1.2.0"):
        with catalog.session() as s:
            publish_directory(s, catalog.store, _pub_dir(tmp_path, v))
    for target in ("1.0.0", "1.2.0", "1.0.0"):
        with catalog.session() as s:
            lifecycle.set_alias(s, "yolov8", "stable", target)
        _, (kind, body) = _both(catalog, "yolov8", "sd8g3", "w8a8", alias="stable")
        assert (kind, body["version"]) == ("ok", target)
