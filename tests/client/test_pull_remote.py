"""``Client.pull`` against a real uvicorn: a verified cache, one request when warm, resume, corruption, offline."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from registry import Client
from registry.embedded import EmbeddedCatalog
from registry.errors import BuildNotFound, IntegrityFailure, OfflineError, RegistryError
from registry.service.publish import publish_directory
from registry.settings import get_settings
from tests.client.conftest import Server
from tests.helpers import write_publish_dir

BUILDS = [
    {"precision": "float", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "onnx"},
    {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
]


def _publish(catalog: EmbeddedCatalog, root: Path, **kw: Any) -> Path:
    d = write_publish_dir(root, **kw)
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)
    return d


def _client(url: str, cache: Path, **kw: Any) -> Client:
    return Client(url, settings=get_settings(cache_dir=cache), **kw)


class Connections:
    """Counts every outgoing TCP connection attempt made in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, forbid: bool = False) -> None:
        self.count = 0
        real = socket.socket.connect

        def connect(sock: socket.socket, address: Any) -> None:
            self.count += 1
            if forbid:
                raise AssertionError(f"network call to {address} while offline")
            real(sock, address)

        monkeypatch.setattr(socket.socket, "connect", connect)


def test_pull_fills_a_verified_cache_and_a_warm_repull_is_one_request(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = _publish(sqlite_catalog, tmp_path / "pub", slug="yolov8", builds=BUILDS)
    _publish(sqlite_catalog, tmp_path / "pub2", slug="yolov8", version="1.1.0", builds=BUILDS, seed=b"2")
    with sqlite_catalog.session() as s:
        from registry.service.lifecycle import set_alias

        set_alias(s, "yolov8", "stable", "1.0.0")
    url = server.start()
    cache = tmp_path / "cache"
    with _client(url, cache) as c:
        r = c.pull("yolov8", "Samsung Galaxy S24", "int8", alias="stable")
    assert (r.version, r.runtime, r.device_slug, r.requests) == ("1.0.0", "qnn_context_binary", "sd8g3", 1)
    (f,) = r.files
    original = (pub / f.path).read_bytes()
    assert f.local_path.read_bytes() == original and hashlib.sha256(original).hexdigest() == f.sha256
    assert f.local_path.is_symlink() and "snapshots/1.0.0/" in str(f.local_path)
    assert (cache / "models--yolov8" / "blobs" / f.sha256).stat().st_size == len(original)
    assert (cache / "models--yolov8" / "refs" / "stable").read_text() == "1.0.0"
    assert r.downloads[f.sha256].transferred == len(original)

    conns = Connections(monkeypatch)
    with _client(url, cache) as c:
        again = c.pull("yolov8", "Samsung Galaxy S24", "int8", alias="stable", out_dir=tmp_path / "out")
    assert conns.count == 1 and again.requests == 1 and again.downloads == {}
    assert (tmp_path / "out" / f.path).read_bytes() == original and not (tmp_path / "out" / f.path).is_symlink()
    with _client(url, cache) as c:
        latest = c.pull("yolov8", "sd8g3", "int8", runtime="onnx")
        with pytest.raises(BuildNotFound) as missing:  # the server's exception class, through the pull
            c.pull("yolov8", "sd8g3", "w4a16")
    assert latest.version == "1.1.0" and latest.runtime == "onnx"
    assert missing.value.hint and "w8a8" in missing.value.hint


def test_offline_uses_the_cache_with_zero_network_and_fails_clearly_without_it(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(sqlite_catalog, tmp_path / "pub", slug="yolov8", builds=BUILDS)
    url = server.start()
    cache = tmp_path / "cache"
    with _client(url, cache) as c:
        online = c.pull("yolov8", "Samsung Galaxy S24", "int8", version="1.0.0")
    server.kill()
    conns = Connections(monkeypatch, forbid=True)
    with _client(url, cache, offline=True) as c:
        same = c.pull("yolov8", "Samsung Galaxy S24", "int8", version="1.0.0")
        by_slug = c.pull("yolov8", "sd8g3", "w8a8")  # another spelling of the request, answered from snapshots
        assert same.paths == online.paths and by_slug.build == online.build and same.requests == 0
        with pytest.raises(OfflineError) as exc:
            c.pull("yolov8", "sd8g3", "float")
    assert conns.count == 0
    assert "REGISTRY_OFFLINE" in exc.value.detail and exc.value.hint and "pull it once online" in exc.value.hint


def test_server_killed_mid_download_then_the_next_pull_resumes_with_range(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path
) -> None:
    data = os.urandom(48 * 1024 * 1024)
    _publish(
        sqlite_catalog, tmp_path / "pub", slug="big", builds=[{"precision": "float", "runtime": "onnx", "data": data}]
    )
    sha = hashlib.sha256(data).hexdigest()
    url = server.start()
    cache = tmp_path / "cache"
    received = 0

    def kill_after_4mb(_f: Any, n: int) -> None:
        nonlocal received
        received += n
        if received >= 4 * 1024 * 1024:
            server.kill()

    with _client(url, cache) as c, pytest.raises(RegistryError) as exc:
        c.pull("big", "sd8g3", "float", progress=kill_after_4mb)
    assert "interrupted" in exc.value.detail and exc.value.hint and "resumes" in exc.value.hint
    part = cache / "models--big" / "blobs" / ".incomplete" / f"{sha}.part"
    kept = part.stat().st_size
    assert 0 < kept < len(data) and not (cache / "models--big" / "blobs" / sha).exists()

    url = server.start()  # a new process, on a new port
    with _client(url, cache) as c:
        r = c.pull("big", "sd8g3", "float")
    stats = r.downloads[sha]
    assert stats.statuses == [206] and stats.resumed_from == kept and stats.transferred == len(data) - kept
    assert r.paths[0].read_bytes() == data and not part.exists()


def test_a_corrupted_blob_in_the_store_is_never_handed_over(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path
) -> None:
    _publish(sqlite_catalog, tmp_path / "pub", slug="yolov8", builds=BUILDS)
    url = server.start()
    cache = tmp_path / "cache"
    with _client(url, cache) as c:
        res = c.resolve("yolov8", device="sd8g2", precision="float")
    (f,) = res.build.files
    blob = sqlite_catalog.store.local_path(f.sha256)
    assert blob is not None
    os.chmod(blob, 0o644)
    blob.write_bytes(blob.read_bytes()[:-1] + b"\0")
    with _client(url, cache) as c, pytest.raises(IntegrityFailure) as exc:
        c.pull("yolov8", "sd8g2", "float")
    # The server finds the damage before sending a status line (the blob's stamp changed): a clear error.
    assert f.sha256 in exc.value.detail and exc.value.code == "blob_damaged" and "quarantined" in exc.value.detail
    blobs = cache / "models--yolov8" / "blobs"
    assert not (blobs / f.sha256).exists() and list((blobs / ".incomplete").glob("*.part")) == []
    assert not list((cache / "models--yolov8").glob("snapshots/**/model.bin"))
