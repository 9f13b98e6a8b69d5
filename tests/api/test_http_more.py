"""Hostile input on every route of the HTTP API, enumerated from its OpenAPI schema, under a real uvicorn.

Complements tests/api/test_http.py (which covers blob names and the auth of write endpoints): here every
path parameter of every route gets traversal and junk values, and the query parameters get malformed ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import write_publish_dir

HOSTILE = [
    "../../../../etc/passwd",
    "..",
    "..%2F..%2Fetc%2Fpasswd",  # double-encoded: the handler sees the %2F literally
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "a\x00b",
    "name\r\nX-Injected: 1",
    "' OR '1'='1",
    "$(touch pwned)",
    "x" * 5000,
    "\U0001f600",
    "-1",
    "99999999999999999999999999",
]
GOOD = {"model": "yolov8", "version": "1.0.0", "alias": "stable", "name": "sd8g3", "build_id": "1", "token_id": "1"}
GOOD |= {"repo": "yolov8", "rev": "1.0.0", "path": "README.md"}  # the Hugging Face-compatible routes
BLOB = b"hello"
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/v1/models/{model}/aliases/{alias}"): {"json": {"version": "1.0.0"}},
    ("POST", "/v1/models/{model}/versions/{version}/deprecate"): {"json": {"reason": "test"}},
    ("POST", "/v1/models/{model}/versions/{version}/yank"): {"json": {"reason": "test"}},
    ("PUT", "/v1/blobs/{sha256}"): {"content": BLOB},
    ("PUT", "/v1/models/{model}/versions/{version}/signatures"): {"json": {"payload": "", "signatures": []}},
    ("POST", "/v1/models/{model}/versions/{version}/mlflow"): {
        "json": {"run_id": "r1", "registered_model": "edge-registry.x", "builds": {}}
    },
}


@pytest.fixture
def seeded(catalog: EmbeddedCatalog, tmp_path: Path) -> EmbeddedCatalog:
    builds = [
        {"precision": "float", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "qnn_context_binary", "target": "sd8g3"},
    ]
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="yolov8", builds=builds))
    return catalog


@pytest.fixture
def api(seeded: EmbeddedCatalog, registry_env: dict[str, str]) -> Iterator[str]:
    with running_server(registry_env) as url:
        yield url


def _files(root: Path) -> set[str]:
    """Every file under the test's directory, except the database's own (SQLite rewrites those on reads)."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "catalog" not in p.name}


def _routes_with_path_params(schema: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    out = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            if names:
                out.append((method.upper(), path, names))
    return out


def test_every_path_parameter_of_every_route_refuses_hostile_values(
    api: str, seeded: EmbeddedCatalog, tmp_path: Path
) -> None:
    """Enumerated from /openapi.json, so a new route cannot slip through: 4xx JSON, never a 500 or a stray file."""
    with seeded.session() as s:
        admin = create_token(s, "admin")[0]
    auth = {"Authorization": f"Bearer {admin}"}
    schema = httpx.get(f"{api}/openapi.json").json()
    routes = _routes_with_path_params(schema)
    covered = {path for _, path, _ in routes}
    assert {
        "/v1/models/{model}",
        "/v1/models/{model}/versions/{version}",
        "/v1/builds/{build_id}",
        "/v1/devices/{name}",
        "/v1/blobs/{sha256}",
        "/v1/models/{model}/aliases/{alias}",
    } <= covered, covered
    before = _files(tmp_path)
    good = GOOD | {"sha256": hashlib.sha256(BLOB).hexdigest()}
    failures = []
    with httpx.Client(timeout=30, headers=auth) as client:
        for method, path, names in routes:
            for name in names:
                assert name in good, f"{path}: no valid value known for {{{name}}}; add one to GOOD"
                for value in HOSTILE:
                    url = path
                    for other in names:
                        # Dots encoded too: a client would otherwise fold '..' into the path before sending it.
                        segment = quote(value if other == name else good[other], safe="").replace(".", "%2E")
                        url = url.replace(f"{{{other}}}", segment)
                    try:
                        r = client.request(method, api + url, **BODIES.get((method, path), {}))
                    except httpx.TransportError as exc:
                        failures.append(f"{method} {path} {name}={value[:40]!r}: connection failed: {exc!r}")
                        continue
                    ok = 400 <= r.status_code < 500 and "root:" not in r.text
                    if ok and method != "HEAD":
                        body = r.json()
                        ok = isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)
                    if not ok:
                        failures.append(f"{method} {path} {name}={value[:40]!r}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert _files(tmp_path) == before, "a hostile request left a file behind"
    assert not seeded.store.exists(good["sha256"])
    assert not list(Path.cwd().glob("pwned*")) and not Path("/tmp/pwned").exists()
    # Nothing stored was lost or changed: the model still resolves to the same bytes.
    r = httpx.get(f"{api}/v1/resolve", params={"model": "yolov8", "device": "sd8g3", "precision": "w8a8"})
    assert r.status_code == 200 and r.json()["version_status"] == "active"
    (f,) = r.json()["build"]["files"]
    assert hashlib.sha256(httpx.get(f["url"]).content).hexdigest() == f["sha256"]
    assert httpx.get(f"{api}/healthz").json()["status"] == "ok"


MALFORMED = [
    ("/v1/models", {"cursor": "!!!not-a-cursor!!!"}, "cursor"),
    ("/v1/models", {"cursor": "_w"}, "cursor"),  # valid base64, not UTF-8
    ("/v1/models", {"cursor": "c" * 1000}, "cursor"),
    ("/v1/models", {"limit": "-5"}, "limit"),
    ("/v1/models", {"limit": "0"}, "limit"),
    ("/v1/models", {"limit": "10000000"}, "limit"),
    ("/v1/models", {"limit": "ten"}, "limit"),
    ("/v1/models", {"precision": "int3"}, "precision"),
    ("/v1/models", {"runtime": "tensorrt"}, "runtime"),
    ("/v1/models", {"device": "sd8g3", "max_latency_ms": "fast"}, "max_latency_ms"),
    ("/v1/models", {"device": "sd8g3", "max_latency_ms": "-1"}, "max_latency_ms"),
    ("/v1/models", {"min_accuracy": "high"}, "min_accuracy"),
    ("/v1/resolve", {"model": "yolov8", "device": "sd8g3", "precision": "int3"}, "precision"),
    ("/v1/resolve", {"model": "yolov8", "device": "sd8g3", "precision": "w8a8", "runtime": "tensorrt"}, "runtime"),
    ("/v1/resolve", {"model": "yolov8", "device": "sd8g3", "precision": "w8a8", "version": "one"}, "version"),
    (
        "/v1/resolve",
        {"model": "yolov8", "device": "sd8g3", "precision": "w8a8", "version": "1.0.0"} | {"alias": "s"},
        "alias",
    ),
    ("/v1/resolve", {"model": "yolov8", "precision": "w8a8"}, "device"),
    ("/v1/resolve", {"model": "yolov8", "device": "sd8g3", "precision": "p" * 100}, "precision"),
]


def test_malformed_query_parameters_get_422_in_the_one_error_shape(api: str) -> None:
    failures = []
    with httpx.Client(timeout=30) as client:
        for path, params, names in MALFORMED:
            r = client.get(api + path, params=params)
            body = r.json()
            shape = set(body) >= {"error", "detail", "hint"} and body["error"] == "invalid_input"
            said = all(isinstance(body.get(k), str) and body[k] for k in ("detail", "hint"))
            named = names in (body.get("detail", "") + body.get("hint", "")).lower()
            if not (r.status_code == 422 and shape and said and named):
                failures.append(f"{path} {params}: {r.status_code} {r.text[:300]}")
    assert not failures, "\n".join(failures)


def test_docs_openapi_and_healthz_answer(api: str) -> None:
    docs = httpx.get(f"{api}/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/openapi.json" in docs.text
    schema = httpx.get(f"{api}/openapi.json").json()
    assert {"/v1/resolve", "/v1/models", "/v1/blobs/{sha256}", "/healthz"} <= set(schema["paths"])
    health = httpx.get(f"{api}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["version"]


def test_a_body_that_is_not_utf8_json_is_invalid_input_and_changes_nothing(api: str, seeded: EmbeddedCatalog) -> None:
    """Schemathesis sent bytes that are not UTF-8 as a JSON body and got an undocumented 400; such a body is
    invalid input like any other: 422 in the error shape, with a hint, and nothing written."""
    with seeded.session() as s:
        admin = create_token(s, "admin")[0]
    auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    tokens_before = httpx.get(f"{api}/v1/tokens", headers=auth).json()
    for path in ("/v1/tokens", "/v1/published", "/v1/versions"):
        for body in (b"\x80\x81", b"\xff\xfe", b"{"):
            r = httpx.post(api + path, content=body, headers=auth)
            assert r.status_code == 422, (path, body, r.status_code, r.text)
            assert r.json()["error"] == "invalid_input" and r.json()["hint"], r.text
    assert httpx.get(f"{api}/v1/tokens", headers=auth).json() == tokens_before
