"""``registry.Client`` reads: the same answers and the same exception classes, remote (real uvicorn) or local."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import Client
from registry.embedded import EmbeddedCatalog
from registry.errors import BuildNotFound, DeviceNotFound, InvalidInput, ModelNotFound
from registry.service.publish import publish_directory
from tests.fixtures.server import running_server
from tests.helpers import write_publish_dir


@pytest.fixture
def seeded(catalog: EmbeddedCatalog, tmp_path: Path) -> EmbeddedCatalog:
    builds = [
        {"precision": "float", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    ]
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="yolov8", builds=builds))
    return catalog


@pytest.fixture(params=["remote", "local"])
def client(request: pytest.FixtureRequest, seeded: EmbeddedCatalog, registry_env: dict[str, str]) -> Iterator[Client]:
    if request.param == "local":
        yield Client(settings=seeded.settings)
        return
    with running_server(registry_env) as url, Client(url, settings=seeded.settings) as c:
        yield c


def test_search_show_resolve_and_devices(client: Client) -> None:
    page = client.search(text="yolo")
    assert [m.slug for m in page.items] == ["yolov8"] and page.next_cursor is None
    assert client.search(precision="w4a16").items == []
    detail = client.model("yolov8")
    assert detail.version is not None and len(detail.builds) == 3
    r = client.resolve("yolov8", device="Samsung Galaxy S24", precision="int8")
    assert (r.runtime, r.device_slug, r.build.precision) == ("qnn_context_binary", "sd8g3", "w8a8")
    assert client.build(r.build.id).files[0].sha256 == r.build.files[0].sha256
    assert client.device("SM8650").slug == "sd8g3"
    counts = {d.slug: d.build_count for d in client.devices()}
    # Builds usable on a device: the two portable ones everywhere, the context binary on the 8 Gen 3 only.
    assert (counts["sd8g3"], counts["sd8g2"], len(counts)) == (3, 2, 29)


def test_errors_come_back_as_the_service_classes(client: Client) -> None:
    with pytest.raises(ModelNotFound):
        client.model("no-such-model")
    with pytest.raises(BuildNotFound) as exc:
        client.resolve("yolov8", device="sd8g3", precision="w4a16")
    assert exc.value.hint and "w8a8" in exc.value.hint
    with pytest.raises(DeviceNotFound) as dev:
        client.device("Snapdragon 8 Gen 4")
    assert dev.value.hint and "Snapdragon 8 Gen 3" in dev.value.hint
    with pytest.raises(InvalidInput):
        client.search(cursor="not-a-cursor")
