"""The server never answers 200 for damaged bytes: stamps checked before the status line, quarantine, one-line
logs, healing by re-publishing or re-uploading; headers (Repr-Digest, validators, Range units) that let any
client, curl included, verify what it got."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from registry import filestamp
from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import free_port
from tests.helpers import cli_env, write_publish_dir

BUILDS = [{"precision": "float", "runtime": "onnx", "data": os.urandom(3 * 1024 * 1024 + 17)}]


@contextmanager
def server_with_log(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry", "serve", "--port", str(port)], env=cli_env(env), stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield url
    finally:
        proc.kill()
        proc.wait()


def tamper(path: Path, *, keep_stamp: Path | None = None) -> None:
    """Flip 8 bytes in place; with ``keep_stamp``, re-stamp afterwards (corruption the stamp cannot see)."""
    os.chmod(path, 0o644)
    with path.open("r+b") as fh:
        fh.seek(1000)
        old = fh.read(8)
        fh.seek(1000)
        fh.write(bytes(b ^ 0xFF for b in old))
    if keep_stamp is not None:
        filestamp.write(keep_stamp, path)


@pytest.fixture
def published(catalog: EmbeddedCatalog, tmp_path: Path) -> tuple[EmbeddedCatalog, Path, str, Path]:
    pub = write_publish_dir(tmp_path / "pub", slug="yolov8", builds=BUILDS)
    with catalog.session() as s:
        publish_directory(s, catalog.store, pub)
    data = (pub / "float-onnx-any/model.bin").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    blob = catalog.store.local_path(sha)
    assert blob is not None
    return catalog, pub, sha, blob


def test_a_damaged_blob_is_refused_before_the_status_line_and_healed_by_republishing(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    catalog, pub, sha, blob = published
    with server_with_log(registry_env, tmp_path / "server.log") as url:
        tamper(blob)
        got = httpx.get(f"{url}/v1/blobs/{sha}")
        assert got.status_code == 500 and got.json()["error"] == "blob_damaged"
        assert httpx.head(f"{url}/v1/blobs/{sha}").status_code == 500
        with catalog.session() as s:  # the same bytes published again heal the store
            again = publish_directory(s, catalog.store, pub)
        assert not again.created and again.blobs_stored == 1
        ok = httpx.get(f"{url}/v1/blobs/{sha}")
        assert ok.status_code == 200 and hashlib.sha256(ok.content).hexdigest() == sha

        tamper(catalog.store.local_path(sha) or blob)
        assert httpx.head(f"{url}/v1/blobs/{sha}").status_code == 500
        with catalog.session() as s:
            token = create_token(s, "publish")[0]
        put = httpx.put(
            f"{url}/v1/blobs/{sha}",
            content=(pub / "float-onnx-any/model.bin").read_bytes(),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert put.status_code == 201 and put.json()["created"] is True, put.text
        assert httpx.get(f"{url}/v1/blobs/{sha}").content == (pub / "float-onnx-any/model.bin").read_bytes()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_corruption_found_mid_stream_cuts_the_response_logs_one_line_and_quarantines(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    catalog, _, sha, blob = published
    log = tmp_path / "server.log"
    with server_with_log({**registry_env, "REGISTRY_ACCESS_LOG": "false"}, log) as url:  # only our own lines
        stamp = Path(catalog.store.url.removeprefix("file://")) / "stamps" / sha[:2] / sha
        tamper(blob, keep_stamp=stamp)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{url}/v1/blobs/{sha}")
        for _ in range(50):
            if httpx.head(f"{url}/v1/blobs/{sha}").status_code == 500:
                break
            time.sleep(0.05)
        head = httpx.head(f"{url}/v1/blobs/{sha}")
        assert head.status_code == 500 and head.headers.get("content-type") == "application/json"
        assert httpx.get(f"{url}/v1/blobs/{sha}").json()["error"] == "blob_damaged"
    text = log.read_text()
    assert "Traceback" not in text
    assert len([line for line in text.splitlines() if sha in line]) == 1, text


def test_every_blob_answer_carries_repr_digest_and_validators_follow_rfc_9110(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    _, pub, sha, _ = published
    data = (pub / "float-onnx-any/model.bin").read_bytes()
    want = f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"
    with server_with_log(registry_env, tmp_path / "server.log") as url:
        blob = f"{url}/v1/blobs/{sha}"
        full, part, head = httpx.get(blob), httpx.get(blob, headers={"Range": "bytes=5-9"}), httpx.head(blob)
        assert (full.status_code, part.status_code, head.status_code) == (200, 206, 200)
        assert full.headers["repr-digest"] == part.headers["repr-digest"] == head.headers["repr-digest"] == want
        assert part.content == data[5:10]
        for tag in ("*", f'W/"{sha}"', f'"nope", "{sha}"'):
            r = httpx.get(blob, headers={"If-None-Match": tag})
            assert r.status_code == 304 and r.headers["etag"] == f'"{sha}"', tag
        assert httpx.get(blob, headers={"If-None-Match": '"other"'}).status_code == 200
        other_unit = httpx.get(blob, headers={"Range": "items=0-5"})
        assert other_unit.status_code == 200 and other_unit.content == data


def test_curl_resume_of_a_blob_damaged_between_the_two_halves_fails_or_is_verifiable(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    catalog, pub, sha, blob = published
    half = len((pub / "float-onnx-any/model.bin").read_bytes()) // 2
    out, headers = tmp_path / "model.bin", tmp_path / "headers.txt"
    with server_with_log(registry_env, tmp_path / "server.log") as url:
        blob_url = f"{url}/v1/blobs/{sha}"
        subprocess.run(["curl", "-sf", "-r", f"0-{half - 1}", "-o", str(out), blob_url], check=True)
        tamper(blob)  # the store's copy changes between the two halves
        resumed = subprocess.run(["curl", "-sf", "-C", "-", "-o", str(out), blob_url])
        assert resumed.returncode != 0, "curl -f refuses the resume: the server answers an error, not 206"

        with catalog.session() as s:
            publish_directory(s, catalog.store, pub)  # healed
        tamper(out)  # now the kept first half is damaged on the client
        subprocess.run(["curl", "-sf", "-C", "-", "-D", str(headers), "-o", str(out), blob_url], check=True)
    digest = next(
        line.split(":", 1)[1].strip() for line in headers.read_text().splitlines() if line.lower().startswith("repr-")
    )
    got = f"sha-256=:{base64.b64encode(hashlib.sha256(out.read_bytes()).digest()).decode()}:"
    assert digest != got, "the resumed file does not match the Repr-Digest curl was sent: a client can tell"


def test_server_start_removes_leftovers_older_than_the_grace_period(
    registry_env: dict[str, str], catalog: EmbeddedCatalog, tmp_path: Path
) -> None:
    spool = Path(registry_env["REGISTRY_HOME"]) / "uploads" / ".upload-killed"
    temp = Path(registry_env["REGISTRY_STORE_URL"].removeprefix("file://")) / "tmp" / "put-killed"
    for p in (spool, temp):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 4096)
    with server_with_log(registry_env, tmp_path / "young.log"):
        assert spool.exists() and temp.exists(), "younger than the default grace period: maybe a live writer's"
    with server_with_log({**registry_env, "REGISTRY_LEFTOVER_GRACE_SECONDS": "0"}, tmp_path / "old.log"):
        assert not spool.exists() and not temp.exists()
    assert "removed leftovers of killed writers" in (tmp_path / "old.log").read_text()


def test_a_remote_republish_through_the_sdk_heals_a_damaged_blob(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    from registry import Client

    catalog, pub, sha, blob = published
    with catalog.session() as s:
        token = create_token(s, "publish")[0]
    with server_with_log(registry_env, tmp_path / "server.log") as url:
        tamper(blob)
        with Client(url, token=token) as c:
            result = c.publish(pub)  # HEAD answers the damage, so the blob is uploaded again
        assert not result.created
        ok = httpx.get(f"{url}/v1/blobs/{sha}")
        assert ok.status_code == 200 and hashlib.sha256(ok.content).hexdigest() == sha


def test_the_hugging_face_endpoint_checks_blobs_and_says_their_digest(
    published: tuple[EmbeddedCatalog, Path, str, Path], registry_env: dict[str, str], tmp_path: Path
) -> None:
    _, _, sha, blob = published
    digest = "sha-256=:" + base64.b64encode(bytes.fromhex(sha)).decode() + ":"
    path = "/yolov8/resolve/1.0.0/float/onnx/any/float-onnx-any/model.bin"
    with server_with_log(registry_env, tmp_path / "server.log") as url:
        ok = httpx.get(url + path)
        assert ok.status_code == 200 and hashlib.sha256(ok.content).hexdigest() == sha
        assert ok.headers["repr-digest"] == digest and "immutable" not in ok.headers.get("cache-control", "")
        tamper(blob)
        for method in ("HEAD", "GET"):  # refused before the status line, never a 200 with damaged bytes
            got = httpx.request(method, url + path)
            assert got.status_code == 500 and got.headers.get("x-error-code") != "EntryNotFound"
        assert httpx.get(f"{url}/v1/blobs/{sha}").json()["error"] == "blob_damaged"  # quarantined for both
    assert "Traceback" not in (tmp_path / "server.log").read_text()
