"""Both stores: a stored copy damaged in place (same size) is found by its stamp (file identity; S3: ETag),
quarantined, and healed by storing the same bytes again; leftovers of killed writers are cleaned up."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from registry.storage.files import FileStore


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "local":
        return FileStore(tmp_path / "blobs")
    return request.getfixturevalue("s3_store")


def damage(store: Any, sha: str, data: bytes) -> None:
    """Same size, 8 bytes flipped; S3: overwritten keeping the object's metadata (a careful tamperer)."""
    bad = data[:1000] + bytes(b ^ 0xFF for b in data[1000:1008]) + data[1008:]
    if isinstance(store, FileStore):
        path = store.local_path(sha)
        assert path is not None
        os.chmod(path, 0o644)
        with path.open("r+b") as fh:
            fh.seek(0)
            fh.write(bad)
        return
    key = store._key(sha)
    meta = store.client.head_object(Bucket=store.bucket, Key=key)["Metadata"]
    store.client.put_object(Bucket=store.bucket, Key=key, Body=bad, Metadata=meta)


@pytest.mark.parametrize("size", [200_000, 9 * 1024 * 1024 + 3], ids=["single", "multipart"])
def test_damage_is_found_quarantined_and_healed_by_storing_again(store: Any, size: int) -> None:
    data = os.urandom(size)
    sha = hashlib.sha256(data).hexdigest()
    assert store.put_stream(io.BytesIO(data)).created
    assert store.check(sha) == "ok"
    assert not store.put_stream(io.BytesIO(data)).created, "an intact copy is not stored twice"
    damage(store, sha, data)
    assert store.check(sha) == "damaged"
    assert store.check(sha) == "quarantined" and not store.exists(sha)
    healed = store.put_stream(io.BytesIO(data))
    assert healed.created and store.check(sha) == "ok"
    assert b"".join(store.iter_range(sha)) == data
    damage(store, sha, data)
    assert store.put_stream(io.BytesIO(data)).created, "re-storing replaces a damaged copy even before a check"
    assert store.verify(sha) and [b[0] for b in store.iter_blobs()] == [sha]
    store.delete(sha)
    assert store.check(sha) == "missing"


def test_local_leftovers_of_killed_writers_are_removed(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "tmp").mkdir(parents=True)
    (tmp_path / "blobs" / "tmp" / "put-killed").write_bytes(b"x" * 1000)
    assert store.cleanup_temp(3600) == (0, 0), "young temp files may belong to a running writer"
    assert store.cleanup_temp(0, dry_run=True) == (1, 1000)
    assert store.cleanup_temp(0) == (1, 1000) and not list((tmp_path / "blobs" / "tmp").iterdir())


@pytest.mark.s3
def test_s3_incomplete_multipart_uploads_are_aborted(s3_store: Any) -> None:
    key = s3_store._key("a" * 64)
    up = s3_store.client.create_multipart_upload(Bucket=s3_store.bucket, Key=key)
    s3_store.client.upload_part(
        Bucket=s3_store.bucket, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=b"x" * (5 * 1024 * 1024)
    )
    assert s3_store.cleanup_temp(3600) == (0, 0)
    assert s3_store.cleanup_temp(0) == (1, 5 * 1024 * 1024)
    left = s3_store.client.list_multipart_uploads(Bucket=s3_store.bucket).get("Uploads", [])
    assert left == []
