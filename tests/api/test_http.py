"""The HTTP API under a real uvicorn: reads, bytes, auth on every write, bad input."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from registry.settings import get_settings
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


@pytest.fixture
def api(seeded: EmbeddedCatalog, registry_env: dict[str, str]) -> Iterator[str]:
    with running_server(registry_env) as url:
        yield url


def _tokens(catalog: EmbeddedCatalog) -> dict[str, str]:
    with catalog.session() as s:
        return {scope: create_token(s, scope)[0] for scope in ("read", "publish", "admin")}


def test_resolve_then_download_exact_bytes_with_etag_range_and_304(
    api: str, seeded: EmbeddedCatalog, tmp_path: Path
) -> None:
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8", "device": "Samsung Galaxy S24", "precision": "int8"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["runtime"], body["target"]) == ("qnn_context_binary", "qualcomm-snapdragon-8gen3")
    (f,) = body["build"]["files"]
    original = (tmp_path / "pub" / f["path"]).read_bytes()
    blob = httpx.get(f["url"])
    assert blob.content == original and blob.headers["etag"] == f'"{f["sha256"]}"'
    assert hashlib.sha256(blob.content).hexdigest() == f["sha256"]
    part = httpx.get(f["url"], headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == original[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(original)}"
    tail = httpx.get(f["url"], headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == original[-5:]
    assert httpx.get(f["url"], headers={"Range": f"bytes={len(original)}-"}).status_code == 416
    assert httpx.get(f["url"], headers={"If-None-Match": f'"{f["sha256"]}"'}).status_code == 304
    head = httpx.head(f["url"])
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(original) and not head.content


def test_errors_have_one_shape_and_name_what_exists(api: str) -> None:
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8", "device": "sd8g3", "precision": "w4a16"})
    assert r.status_code == 404 and r.json()["error"] == "build_not_found" and "w8a8/onnx/any" in r.json()["hint"]
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8", "device": "snapdragon 99", "precision": "w8a8"})
    assert r.status_code == 404 and r.json()["error"] == "device_not_found"
    for bad in ({"limit": "abc"}, {"limit": "0"}, {"max_latency_ms": "-3"}):
        r = httpx.get(f"{api}/v1/models", params=bad)
        assert r.status_code == 422 and r.json()["error"] == "invalid_input" and r.json()["detail"]
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8"})
    assert r.status_code == 422 and "device" in r.json()["detail"]
    assert httpx.get(f"{api}/v1/nothing-here").json()["error"] == "not_found"


@pytest.mark.parametrize("path", ["..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "a" * 63, "%2e%2e"])
def test_hostile_blob_names_are_refused(api: str, path: str) -> None:
    r = httpx.get(f"{api}/v1/blobs/{path}")
    assert r.status_code in (404, 422) and "root:" not in r.text


def test_every_write_endpoint_needs_a_token_with_the_right_scope(api: str, seeded: EmbeddedCatalog) -> None:
    """Enumerated from the OpenAPI schema, so a new write endpoint cannot slip through unguarded."""
    tokens = _tokens(seeded)
    schema = httpx.get(f"{api}/openapi.json").json()
    writes = [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method not in ("get", "head")
    ]
    assert len(writes) >= 6, writes
    fill = {"{model}": "yolov8", "{version}": "1.0.0", "{alias}": "stable", "{sha256}": "a" * 64}
    for method, path in writes:
        url = api + path
        for k, v in fill.items():
            url = url.replace(k, v)
        anon = httpx.request(method, url, json={})
        assert anon.status_code == 401, (method, path, anon.text)
        read = httpx.request(method, url, json={}, headers={"Authorization": f"Bearer {tokens['read']}"})
        assert read.status_code == 403, (method, path, read.text)
        bad = httpx.request(method, url, json={}, headers={"Authorization": "Bearer emr_forged"})
        assert bad.status_code == 401
    # The yank endpoint takes admin: publish is not enough.
    yank = f"{api}/v1/models/yolov8/versions/1.0.0/yank"
    assert httpx.post(yank, json={}, headers={"Authorization": f"Bearer {tokens['publish']}"}).status_code == 403
    ok = httpx.post(yank, json={"reason": "test"}, headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert ok.status_code == 200 and ok.json()["status"] == "yanked"


def test_upload_then_publish_over_http_and_bad_uploads_store_nothing(
    api: str, seeded: EmbeddedCatalog, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {_tokens(seeded)['publish']}"}
    data = os.urandom(100_000)
    sha = hashlib.sha256(data).hexdigest()
    wrong = httpx.put(f"{api}/v1/blobs/{'b' * 64}", content=data, headers=auth)
    assert wrong.status_code == 422 and wrong.json()["error"] == "integrity_failure"
    assert not seeded.store.exists("b" * 64) and not seeded.store.exists(sha)
    big = _raw_put(api, f"/v1/blobs/{sha}", auth["Authorization"], declared=10**12, body=b"x", hang_up=False)
    assert big.startswith("HTTP/1.1 413") and not seeded.store.exists(sha)
    put = httpx.put(f"{api}/v1/blobs/{sha}", content=data, headers=auth)
    assert put.status_code == 201 and put.json() == {"sha256": sha, "size": 100_000, "created": True}
    manifest: dict[str, Any] = {
        "model": {"slug": "uploaded", "name": "Uploaded", "task": "t", "domain": "nlp", "license": "mit"},
        "version": "0.1.0",
        "builds": [
            {"precision": "int8", "runtime": "onnx", "files": [{"path": "m.onnx", "sha256": sha, "size": 100_000}]}
        ],
    }
    r = httpx.post(f"{api}/v1/versions", json=manifest, headers=auth)
    assert r.status_code == 201 and r.json()["created"] is True
    again = httpx.post(f"{api}/v1/versions", json=manifest, headers=auth)
    assert again.status_code == 201 and again.json()["created"] is False
    manifest["builds"][0]["files"][0]["sha256"] = "c" * 64
    r = httpx.post(f"{api}/v1/versions", json=manifest, headers=auth)
    assert r.status_code == 404 and r.json()["error"] == "blob_not_found"


def _raw_put(api: str, path: str, authorization: str, *, declared: int, body: bytes, hang_up: bool = True) -> str:
    """A PUT whose Content-Length may lie (no client library will send one); returns the status line."""
    import socket
    from urllib.parse import urlparse

    u = urlparse(api)
    assert u.hostname and u.port
    with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\nContent-Length: {declared}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        if hang_up:  # the client goes away mid-body
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while b"\r\n" not in reply and (chunk := sock.recv(65536)):
            reply += chunk
    return reply.decode(errors="replace").split("\r\n", 1)[0]


def test_truncated_upload_stores_nothing(api: str, seeded: EmbeddedCatalog) -> None:
    token = _tokens(seeded)["publish"]
    data = os.urandom(50_000)
    sha = hashlib.sha256(data).hexdigest()
    _raw_put(api, f"/v1/blobs/{sha}", f"Bearer {token}", declared=len(data), body=data[:20_000])
    assert not seeded.store.exists(sha)
    assert httpx.get(f"{api}/healthz").status_code == 200


def test_a_corrupted_blob_is_never_handed_over_complete(api: str, seeded: EmbeddedCatalog, tmp_path: Path) -> None:
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8", "device": "sd8g2", "precision": "float"}).json()
    (f,) = r["build"]["files"]
    blob = seeded.store.local_path(f["sha256"])
    assert blob is not None
    os.chmod(blob, 0o644)
    blob.write_bytes(b"\0" + blob.read_bytes()[1:])
    # The blob's stamp changed, so the server hashes it again before any status line: a clear error, not a 200.
    got = httpx.get(f["url"])
    assert got.status_code == 500 and got.json()["error"] == "blob_damaged"
    assert "re-publish" in got.json()["hint"].lower()
    for ranged in ({"Range": "bytes=1-"}, {}):  # quarantined: neither a range nor a HEAD answers 200 any more
        assert httpx.head(f["url"], headers=ranged).status_code == 500
        assert httpx.get(f["url"], headers=ranged).status_code == 500


def test_closed_reads_need_a_token(seeded: EmbeddedCatalog, registry_env: dict[str, str]) -> None:
    read = _tokens(seeded)["read"]
    with running_server({**registry_env, "REGISTRY_PUBLIC_READ": "false"}) as url:
        assert httpx.get(f"{url}/v1/models").status_code == 401
        ok = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {read}"})
        assert ok.status_code == 200 and [m["slug"] for m in ok.json()["items"]] == ["yolov8"]


def test_search_pages_with_a_cursor(catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path) -> None:
    for i in range(5):
        with catalog.session() as s:
            publish_directory(s, catalog.store, write_publish_dir(tmp_path / f"m{i}", slug=f"model-{i}"))
    with running_server(registry_env) as url:
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = httpx.get(f"{url}/v1/models", params=params).json()
            seen += [m["slug"] for m in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [f"model-{i}" for i in range(5)]


@pytest.mark.s3
def test_s3_store_redirects_to_a_presigned_url(s3_server: Any, s3_bucket: str, sqlite_url: str, tmp_path: Path) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "h"), "REGISTRY_DATABASE_URL": sqlite_url, **s3_server.env(s3_bucket)}
    settings = get_settings(
        home=tmp_path / "h",
        database_url=sqlite_url,
        store_url=env["REGISTRY_STORE_URL"],
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    cat = EmbeddedCatalog(settings)
    d = write_publish_dir(tmp_path / "pub", slug="s3model")
    with cat.session() as s:
        publish_directory(s, cat.store, d)
    with running_server(env) as url:
        r = httpx.get(f"{url}/v1/resolve", params={"model": "s3model", "device": "sd8g3", "precision": "float"})
        (f,) = r.json()["build"]["files"]
        first = httpx.get(f["url"])
        assert first.status_code == 307 and "Signature" in first.headers["location"]
        assert httpx.get(f["url"], follow_redirects=True).content == (d / f["path"]).read_bytes()
