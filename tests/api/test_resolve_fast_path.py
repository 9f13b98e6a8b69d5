"""``GET /v1/resolve`` answers the same bytes, status and headers whether its ordinary case is answered by the
fast ASGI path (registry.api.fast_resolve) or left to the FastAPI route: for plain, odd and hostile queries,
tokens valid, revoked or missing, public reads on and off, through the lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.api import fast_resolve
from registry.api.app import create_app
from registry.embedded import EmbeddedCatalog
from registry.service import lifecycle
from registry.service.publish import publish_directory
from registry.service.tokens import create_token, revoke_token
from tests.helpers import write_publish_dir

BUILDS: list[dict[str, Any]] = [
    {"precision": "float", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "tflite"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    {"precision": "fp16", "runtime": "onnx", "file_names": ["z/model.onnx", "a/model.data"]},
]
ODD: list[str] = [
    "",
    "model=yolov8",
    "model=yolov8&device=sd8g3",
    "model=yolov8&device=sd8g3&precision=int8&precision=fp16",  # a repeated parameter
    "model=yolov8&device=sd8g3&precision=int8&colour=red",  # an unknown parameter
    "model=yolov8&device=sd8g3&precision=INT8",
    "model=yolov8&device=sd8g3&precision=int8&runtime=",
    "model=yolov8&device=---&precision=int8",
    "model=&device=sd8g3&precision=int8",
    "model=" + "y" * 65 + "&device=sd8g3&precision=int8",
    "model=yolov8&device=" + "d" * 121 + "&precision=int8",
    "model=yolov8&device=sd8g3&precision=int8&version=" + "1" * 81,
    "model=yolov8&device=sd8g3&precision=int8&alias=" + "a" * 41,
    "model=yolov8&device=sd8g3&precision=int8&runtime_version=onnxruntime%3D1.10",
    "model=yolov8&device=sd8g3&precision=int8&runtime_version=onnxruntime%3D1.30",
    "model=yolov8%00&device=sd8g3&precision=int8",
    "model=..%2F..%2Fetc&device=sd8g3&precision=int8",
    "model=yolov8&device=sd8g3&precision=int8&version=1.0.0&alias=stable",
    "model=yolov8&device=sd8g3&precision=int8&version=sha256%3A" + "0" * 64,
]


def _queries() -> list[str]:
    qs = list(ODD)
    models = (" YOLOv8", "yolov9")  # a model named loosely (case, space) and an unknown one
    devices = ("sd8g3", "Samsung Galaxy S24", "no-such-phone")
    precisions = ("int8", "fp16", "w4a16", "float")
    pins = ("", "&runtime=tflite", "&runtime=qnn_context_binary", "&version=1.0.0", "&version=9.9.9")
    pins += ("&alias=stable", "&alias=edge", "&alias=latest", "&alias=nope", "&version=x.y")
    for model, device, precision, pin in product(models, devices, precisions, pins):
        qs.append(f"model={model}&device={device}&precision={precision}{pin}")
    return qs


@pytest.fixture
def clients(catalog: EmbeddedCatalog, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    for v in ("1.0.0", "1.2.0"):
        with catalog.session() as s:
            pub = write_publish_dir(tmp_path / v, slug="yolov8", version=v, builds=BUILDS)
            publish_directory(s, catalog.store, pub)
    with catalog.session() as s:
        lifecycle.set_alias(s, "yolov8", "stable", "1.0.0")
        lifecycle.set_alias(s, "yolov8", "edge", "1.2.0")
    with (
        TestClient(create_app(catalog.settings)) as fast,
        TestClient(create_app(catalog.settings, fast_resolve=False)) as route,
    ):
        yield fast, route


def _compare(fast: TestClient, route: TestClient, headers: dict[str, str], every: int = 1) -> tuple[int, int]:
    """Every query through both apps; (200s answered by the fast path, 200s). A repeated or unknown parameter and
    ``runtime_version`` are left to the route even when it answers 200 (four of the odd queries)."""
    before = fast_resolve.counts["answered"]
    oks = 0
    for q in ODD + _queries()[len(ODD) :: every]:
        a = fast.get(f"/v1/resolve?{q}", headers=headers)
        b = route.get(f"/v1/resolve?{q}", headers=headers)
        assert (a.status_code, a.content) == (b.status_code, b.content), q
        assert a.headers.get("content-type") == b.headers.get("content-type"), q
        assert a.headers.get("content-length") == b.headers.get("content-length"), q
        oks += a.status_code == 200 and q not in ODD
    return fast_resolve.counts["answered"] - before, oks


def test_the_fast_path_answers_exactly_what_the_route_answers(
    clients: tuple[TestClient, TestClient], catalog: EmbeddedCatalog
) -> None:
    fast, route = clients
    answered, oks = _compare(fast, route, {})
    assert oks > 30 and answered == oks  # every 200 came from the fast path, nothing else did
    with catalog.session() as s:
        lifecycle.deprecate(s, "yolov8", "1.2.0", "use 1.3")
        lifecycle.yank(s, "yolov8", "1.0.0", "wrong anchors")
        reader, _ = create_token(s, "read", "ci")
        revoked, info = create_token(s, "read", "gone")
        revoke_token(s, info.id)
    answered, oks = _compare(fast, route, {})
    assert oks > 10 and answered == oks
    some = _compare(fast, route, {}, every=3)[1]  # a third of the queries for each kind of token
    assert some > 0
    assert _compare(fast, route, {"Authorization": f"Bearer {reader}"}, every=3) == (some, some)
    assert _compare(fast, route, {"Authorization": f"Bearer {revoked}"}, every=3) == (0, 0)  # the route's 401, both
    assert _compare(fast, route, {"Authorization": "Basic dXNlcjpwdw=="}, every=3)[1] == some  # anonymous


def test_private_reads_need_a_token_on_the_fast_path_too(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "p", slug="yolov8", builds=BUILDS))
        reader, _ = create_token(s, "read", "ci")
    private = catalog.settings.model_copy(update={"public_read": False})
    with TestClient(create_app(private)) as fast, TestClient(create_app(private, fast_resolve=False)) as route:
        q = "/v1/resolve?model=yolov8&device=sd8g3&precision=int8"
        anonymous = fast.get(q)
        assert anonymous.status_code == 401 and anonymous.content == route.get(q).content
        ok = fast.get(q, headers={"Authorization": f"Bearer {reader}"})
        assert ok.status_code == 200 and ok.json()["runtime"] == "qnn_context_binary"
