"""Both blob stores, same contract: round trip, dedupe, lies refused, corruption detected, nothing partial."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.errors import BlobNotFound, IntegrityFailure, InvalidInput, StoreError
from registry.storage.files import FileStore


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "local":
        return FileStore(tmp_path / "blobs")
    return request.getfixturevalue("s3_store")


def _file(tmp_path: Path, size: int, name: str = "f.bin") -> tuple[Path, str]:
    path = tmp_path / name
    data = os.urandom(size)
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_round_trip_and_dedupe(store: Any, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, 300_000)
    info = store.put_file(path, expected_sha256=sha, expected_size=300_000)
    assert (info.sha256, info.size, info.created) == (sha, 300_000, True)
    again = store.put_stream(io.BytesIO(path.read_bytes()))
    assert (again.sha256, again.created) == (sha, False)
    assert store.exists(sha) and store.size(sha) == 300_000
    with store.open(sha) as fh:
        assert fh.read() == path.read_bytes()
    assert b"".join(store.iter_range(sha, 1000, 2000)) == path.read_bytes()[1000:2000]
    assert b"".join(store.iter_range(sha, 299_990)) == path.read_bytes()[299_990:]
    dest = tmp_path / "out" / "copy.bin"
    store.copy_to(sha, dest)
    assert dest.read_bytes() == path.read_bytes() and store.verify(sha)


@pytest.mark.parametrize("lie", ["sha256", "size"])
def test_lying_declarations_store_nothing(store: Any, tmp_path: Path, lie: str) -> None:
    path, sha = _file(tmp_path, 50_000)
    kwargs = {"expected_sha256": "f" * 64} if lie == "sha256" else {"expected_size": 49_999}
    with pytest.raises(IntegrityFailure, match="nothing"):
        store.put_file(path, **kwargs)
    assert not store.exists(sha)
    with pytest.raises(BlobNotFound):
        store.size(sha)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "G" * 64, "A" * 64])
def test_hostile_digests_are_refused(store: Any, bad: str) -> None:
    with pytest.raises(InvalidInput):
        store.exists(bad)


def test_large_blob_multipart_path(store: Any, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, 12 * 1024 * 1024 + 123)  # above the S3 test threshold of 8 MB
    assert store.put_file(path, expected_sha256=sha).created
    dest = tmp_path / "big.out"
    store.copy_to(sha, dest)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha


def test_corruption_is_detected_local(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "blobs")
    path, sha = _file(tmp_path, 10_000)
    store.put_file(path)
    blob = store.local_path(sha)
    assert blob is not None
    os.chmod(blob, 0o644)
    blob.write_bytes(b"x" + blob.read_bytes()[1:])
    assert not store.verify(sha)
    with pytest.raises(IntegrityFailure, match="corrupted"):
        store.copy_to(sha, tmp_path / "never.bin")
    assert not (tmp_path / "never.bin").exists()


def test_local_blobs_are_read_only_and_temp_is_cleaned(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "blobs")
    path, sha = _file(tmp_path, 1000)
    store.put_file(path)
    blob = store.local_path(sha)
    assert blob is not None and blob.stat().st_mode & 0o222 == 0
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


@pytest.mark.s3
def test_s3_enforces_credentials(s3_server: Any, s3_bucket: str, tmp_path: Path) -> None:
    from registry.settings import get_settings
    from registry.storage.s3 import S3Store

    bad = get_settings(
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key="wrong-secret",
    )
    store = S3Store.from_url(f"s3://{s3_bucket}", bad)
    path, _ = _file(tmp_path, 100)
    with pytest.raises(StoreError) as exc:
        store.put_file(path)
    assert exc.value.hint and "REGISTRY_S3_SECRET_ACCESS_KEY" in exc.value.hint


@pytest.mark.s3
def test_s3_presigned_url_serves_exact_bytes_and_plain_url_is_refused(s3_store: Any, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, 70_000)
    s3_store.put_file(path)
    url = s3_store.presigned_url(sha, expires_seconds=60)
    assert url and "Signature" in url
    assert httpx.get(url).content == path.read_bytes()
    assert httpx.get(url.split("?")[0]).status_code in (401, 403)


@pytest.mark.s3
def test_s3_dead_endpoint_fails_fast_with_a_hint(tmp_path: Path) -> None:
    from registry.settings import get_settings
    from registry.storage.s3 import S3Store

    store = S3Store.from_url(
        "s3://nobucket",
        get_settings(s3_endpoint_url="http://127.0.0.1:9", s3_access_key_id="a", s3_secret_access_key="b"),
    )
    with pytest.raises(StoreError, match="S3"):
        store.exists("a" * 64)
