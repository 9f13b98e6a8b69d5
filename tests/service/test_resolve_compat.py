"""Resolve with the runtime versions an app ships: a build that will not load is refused, another one that does is
picked (like wheel tags), and the one-statement fast path answers exactly as the slow path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registry.api.routes.catalog_routes import resolve_in
from registry.embedded import EmbeddedCatalog
from registry.errors import InvalidInput, RuntimeIncompatible
from registry.service.publish import publish_directory
from registry.service.resolve import resolve
from tests.helpers import write_publish_dir

ONNX_NEEDS = {
    "runtimes": {"onnxruntime": "1.22"},
    "reasons": {"onnxruntime": "opset 22"},
    "onnx_opsets": {"ai.onnx": 22},
}
QNN_NEEDS = {"runtimes": {"qairt": "2.30"}, "qairt_version": "2.30.0", "htp_arch": "V75"}
TFLITE_NEEDS = {"runtimes": {"litert": "2.0.0"}, "tflite_schema_version": 3}


@pytest.fixture
def compat_catalog(catalog: EmbeddedCatalog, tmp_path: Path) -> EmbeddedCatalog:
    builds: list[dict[str, Any]] = [
        {"precision": "w8a8", "runtime": "onnx", "requirements": ONNX_NEEDS},
        {"precision": "w8a8", "runtime": "tflite", "requirements": TFLITE_NEEDS},
        {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3", "requirements": QNN_NEEDS},
        {"precision": "float", "runtime": "onnx"},  # published before requirements were recorded
    ]
    d = write_publish_dir(tmp_path / "pub", slug="yolov8", builds=builds)
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)
    return catalog


def _both(catalog: EmbeddedCatalog, **kwargs: Any) -> Any:
    """resolve() and the API's fast path, which must agree (answer or error)."""
    outcomes = []
    for fn in (
        lambda: _slow(catalog, **kwargs),
        lambda: _fast(catalog, **kwargs),
    ):
        try:
            outcomes.append(fn().model_dump(mode="json"))
        except RuntimeIncompatible as exc:
            outcomes.append(exc.to_dict())
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


def _fast(catalog: EmbeddedCatalog, device: str = "sd8g3", **kwargs: Any) -> Any:
    """The API's resolve endpoint work (the one-statement fast path, errors from the service)."""
    constraints = kwargs.pop("runtime_versions", None)
    return resolve_in(catalog, None, "yolov8", device, constraints=constraints, **kwargs)


def _slow(catalog: EmbeddedCatalog, device: str = "sd8g3", **kwargs: Any) -> Any:
    with catalog.session() as s:
        return resolve(s, "yolov8", device, **kwargs)


def test_a_constraint_the_best_build_fails_picks_the_next_build_that_loads(compat_catalog: EmbeddedCatalog) -> None:
    plain = _both(compat_catalog, precision="w8a8")
    assert plain["runtime"] == "qnn_context_binary"
    assert plain["build"]["requirements"]["htp_arch"] == "V75"
    older_qairt = _both(compat_catalog, precision="w8a8", runtime_versions={"qairt": "2.28"})
    assert older_qairt["runtime"] == "onnx"  # the chipset build needs QAIRT 2.30; ONNX does not use QAIRT
    both_old = _both(compat_catalog, precision="w8a8", runtime_versions=["qairt=2.28", "onnxruntime=1.20"])
    assert both_old["runtime"] == "tflite"
    new_enough = _both(compat_catalog, precision="w8a8", runtime_versions={"qairt": "2.30.1"})
    assert new_enough["runtime"] == "qnn_context_binary"


def test_no_loadable_build_is_refused_naming_what_it_needs(compat_catalog: EmbeddedCatalog) -> None:
    err = _both(compat_catalog, precision="w8a8", runtime="onnx", runtime_versions={"onnxruntime": "1.20"})
    assert err["error"] == "runtime_incompatible"
    assert "needs onnxruntime >= 1.22 (opset 22); you have 1.20" in err["detail"]
    assert err["extra"]["constraints"] == {"onnxruntime": "1.20"}
    with pytest.raises(RuntimeIncompatible) as caught:
        _slow(compat_catalog, precision="w8a8", runtime_versions={"onnxruntime": "1.2", "litert": "1.4", "qairt": "2"})
    assert caught.value.status == 404 and caught.value.exit_code == 3
    assert [b["build"] for b in caught.value.extra["builds"]] == [
        "yolov8@1.0.0 w8a8/onnx",
        "yolov8@1.0.0 w8a8/qnn_context_binary",
        "yolov8@1.0.0 w8a8/tflite",
    ]


def test_a_build_without_recorded_requirements_is_kept_with_a_warning(compat_catalog: EmbeddedCatalog) -> None:
    r = _both(compat_catalog, precision="float", runtime_versions={"onnxruntime": "1.20"})
    assert r["runtime"] == "onnx"
    assert any("records no minimum onnxruntime" in w for w in r["warnings"])


@pytest.mark.parametrize("bad", [["tensorrt=10"], ["onnxruntime"], ["onnxruntime=latest"], ["ort=1.2", "onnx=1.3"]])
def test_a_malformed_constraint_is_invalid_input(compat_catalog: EmbeddedCatalog, bad: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        _slow(compat_catalog, precision="w8a8", runtime_versions=bad)
    assert caught.value.hint
