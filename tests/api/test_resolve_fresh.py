"""No stale answers: two API processes on one database; an alias moved, a version yanked or published through
one is what the other resolves on the very next request."""

from __future__ import annotations

from pathlib import Path

import httpx

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import write_publish_dir

BUILDS = [{"precision": "w8a8", "runtime": "onnx"}, {"precision": "w8a8", "runtime": "qnn_context_binary"}]
BUILDS[1]["target"] = "sd8g3"


def test_writes_through_one_process_are_seen_by_the_next_resolve_on_another(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    for v in ("1.0.0", "1.1.0"):
        with catalog.session() as s:
            publish_directory(
                s, catalog.store, write_publish_dir(tmp_path / v, slug="yolov8", version=v, builds=BUILDS)
            )
    with catalog.session() as s:
        admin = {"Authorization": f"Bearer {create_token(s, 'admin')[0]}"}
    q = {"model": "yolov8", "device": "sd8g3", "precision": "int8"}
    with running_server(registry_env) as writer, running_server(registry_env) as reader, httpx.Client() as c:
        assert c.get(f"{reader}/v1/resolve", params=q).json()["version"] == "1.1.0"  # warm: connections pooled
        for target in ("1.0.0", "1.1.0", "1.0.0", "1.1.0"):
            r = c.put(f"{writer}/v1/models/yolov8/aliases/stable", json={"version": target}, headers=admin)
            assert r.status_code == 200, r.text
            got = c.get(f"{reader}/v1/resolve", params=q | {"alias": "stable"})
            assert (got.status_code, got.json()["version"]) == (200, target)
        yank = c.post(f"{writer}/v1/models/yolov8/versions/1.1.0/yank", json={"reason": "bad"}, headers=admin)
        assert yank.status_code == 200, yank.text
        latest = c.get(f"{reader}/v1/resolve", params=q).json()
        assert (latest["version"], latest["build"]["runtime"]) == ("1.0.0", "qnn_context_binary")
        stale = c.get(f"{reader}/v1/resolve", params=q | {"alias": "stable"})
        assert stale.status_code == 404 and "yanked" in stale.json()["detail"]
        # a publish through the embedded catalog (a third writer) is the next answer too
        with catalog.session() as s:
            publish_directory(
                s, catalog.store, write_publish_dir(tmp_path / "2", slug="yolov8", version="2.0.0", builds=BUILDS)
            )
        assert c.get(f"{reader}/v1/resolve", params=q).json()["version"] == "2.0.0"
