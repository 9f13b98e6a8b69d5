"""Identity before body, body limits and timeouts, and bad input as 4xx: against a real uvicorn."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import model_card, write_publish_dir

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def guarded(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="hello"))
        tokens = {scope: create_token(s, scope)[0] for scope in ("read", "publish", "admin")}
    env = registry_env | {
        "REGISTRY_HEADER_TIMEOUT": "1",
        "REGISTRY_BODY_TIMEOUT": "1",
        "REGISTRY_MAX_JSON_BYTES": "100000",
    }
    with running_server(env) as url:
        yield url, tokens


def _raw(url: str, request: bytes, *, then: bytes = b"", wait: float = 10) -> tuple[str, float]:
    """Send ``request`` (and ``then``); the first response line (or '' if closed silently) and the time taken."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(request)
        try:
            if then:
                sock.sendall(then)
            data = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
    return data.decode(errors="replace").split("\r\n", 1)[0], time.monotonic() - started


def _post_head(path: str, length: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: t\r\n{auth}Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_identity_and_size_are_decided_before_the_body_is_read(guarded: tuple[str, dict[str, str]]) -> None:
    api, tokens = guarded
    # 200 MB announced, 64 kB sent: the answer comes from the headers alone.
    line, _ = _raw(api, _post_head("/v1/versions", 200_000_000), then=b"{" * 65536)
    assert line.endswith("401 Unauthorized")
    line, _ = _raw(api, _post_head("/v1/versions", 200_000_000, tokens["read"]))
    assert line.endswith("403 Forbidden")
    line, _ = _raw(api, _post_head("/v1/versions", 200_000_000, tokens["admin"]))
    assert line.endswith("413 Request Entity Too Large")
    # A chunked body without a length is cut off at the limit, in the error shape.
    big = httpx.post(
        f"{api}/v1/versions",
        content=iter([b" " * 60000, b" " * 60000]),
        headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"


def test_slow_bodies_and_unfinished_headers_are_dropped(guarded: tuple[str, dict[str, str]]) -> None:
    api, tokens = guarded
    line, took = _raw(api, _post_head("/v1/versions", 1000, tokens["publish"]), then=b"{")
    assert line.endswith("408 Request Timeout") and took < 5
    line, took = _raw(api, b"GET /healthz HTTP/1.1\r\nHost")
    assert line == "" and 0.5 < took < 5
    line, took = _raw(api, b"")
    assert line == "" and took < 5


HOSTILE_REQUESTS = [
    ("GET", "/v1/models/hello/versions/" + "1" * 4301 + ".0.0"),
    ("POST", "/v1/models/hello/versions/" + "9" * 4301 + ".0.0/deprecate"),
    ("POST", "/v1/models/hello/versions/" + "9" * 60 + ".0.0/yank"),
    ("GET", "/v1/models/hello/versions/99999999999999999999.0.0"),
    ("GET", "/v1/models?cursor=garbage"),
    ("GET", "/v1/models/" + "x" * 10000),
    ("PUT", "/v1/models/hello/aliases/evil%0Aname"),
]
HOSTILE_MANIFESTS = {
    "int-overflow": {"version": "99999999999999999999.0.0"},
    "long-version": {"version": "1" * 10000 + ".0.0"},
    "slug-newline": {"model": model_card("evilnl\n")},
    "long-path": {"path": "a/" * 5000 + "model.bin"},
}


def test_hostile_input_is_4xx_in_the_error_shape(guarded: tuple[str, dict[str, str]]) -> None:
    api, tokens = guarded
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for method, path in HOSTILE_REQUESTS:
        r = httpx.request(method, api + path, headers=admin, json={"version": "1.0.0"})
        assert 400 <= r.status_code < 500, (path[:80], r.status_code, r.text[:300])
        assert r.json()["error"] in ("invalid_input", "not_found", "version_not_found"), r.text[:300]
    for name, mutate in HOSTILE_MANIFESTS.items():
        manifest: dict[str, Any] = {
            "model": model_card("hello"),
            "version": "2.0.0",
            "builds": [
                {"precision": "float", "runtime": "onnx", "files": [{"path": "m.bin", "sha256": "a" * 64, "size": 1}]}
            ],
        }
        manifest |= {k: v for k, v in mutate.items() if k != "path"}
        if "path" in mutate:
            manifest["builds"][0]["files"][0]["path"] = mutate["path"]
        r = httpx.post(f"{api}/v1/versions", json=manifest, headers=admin)
        assert r.status_code == 422 and r.json()["error"] == "invalid_input", (name, r.text[:300])
    assert [v["version"] for v in httpx.get(f"{api}/v1/models/hello").json()["versions"]] == ["1.0.0"]
