"""`registry store verify`, re-publishing and `registry gc` against a real S3 server (SeaweedFS): a damaged object
is found by its ETag, quarantined and healed; a killed writer's multipart upload and unreferenced objects go."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.settings import get_settings
from registry.storage.s3 import S3Store
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.s3
def test_s3_store_heals_by_republishing_and_gc_removes_what_killed_writers_left(
    s3_server: Any, s3_bucket: str, tmp_path: Path
) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    env |= s3_server.env(s3_bucket)
    run(env, "init")
    pub = write_publish_dir(tmp_path / "pub", slug="yolov8")
    run(env, "publish", str(pub))
    settings = get_settings(
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    store = S3Store.from_url(f"s3://{s3_bucket}/blobs", settings)
    (sha, _, _), *_ = sorted(store.iter_blobs())
    key = store._key(sha)
    meta = store.client.head_object(Bucket=s3_bucket, Key=key)["Metadata"]
    body = store.client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    store.client.put_object(Bucket=s3_bucket, Key=key, Body=b"\0" * 8 + body[8:], Metadata=meta)

    bad = run(env, "store", "verify", ok=False)
    assert bad.returncode != 0 and "yolov8@1.0.0" in bad.stderr
    assert store.check(sha) == "quarantined"
    run(env, "publish", str(pub))  # the same files again: the quarantined object is stored again
    assert store.check(sha) == "ok" and store.client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == body

    # What a killed writer leaves on S3: an incomplete multipart upload, and a complete unreferenced object.
    up = store.client.create_multipart_upload(Bucket=s3_bucket, Key=store._key("c" * 64))
    store.client.upload_part(
        Bucket=s3_bucket, Key=store._key("c" * 64), UploadId=up["UploadId"], PartNumber=1, Body=b"x" * 5_000_000
    )
    store.client.put_object(Bucket=s3_bucket, Key=store._key("d" * 64), Body=b"orphan")
    assert json.loads(run(env, "gc", "--json").stdout)["blobs"] == [], "young: kept for the grace period"
    done = json.loads(run(env, "gc", "--grace", "0", "--json").stdout)
    assert done["temp_files"] == 1 and done["leftover_bytes"] == 5_000_000
    assert done["blobs"] == [{"sha256": "d" * 64, "size": 6}]
    assert store.client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    verify = json.loads(run(env, "store", "verify", "--json").stdout)
    assert (verify["checked"], verify["damaged"], verify["missing"]) == (2, [], [])
