"""Publishing: bytes in, rows in, and nothing half-written whatever goes wrong."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.embedded import EmbeddedCatalog
from registry.errors import DeviceNotFound, IntegrityFailure, InvalidManifest, UnsafePath, VersionImmutable
from registry.models import Blob, Build, BuildFile, Version
from registry.service.publish import publish_directory
from tests.helpers import rewrite_manifest, write_publish_dir


def _counts(catalog: EmbeddedCatalog) -> tuple[int, int, int, int]:
    with catalog.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Version)) or 0,
            s.scalar(select(func.count()).select_from(Build)) or 0,
            s.scalar(select(func.count()).select_from(BuildFile)) or 0,
            s.scalar(select(func.count()).select_from(Blob)) or 0,
        )


def _stored_blobs(catalog: EmbeddedCatalog) -> list[Path]:
    root = Path(catalog.settings.resolved_store_url.removeprefix("file://")) / "sha256"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_publish_then_bytes_come_back_identical(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "pub")
    with catalog.session() as s:
        result = publish_directory(s, catalog.store, d)
    assert result.created and len(result.build_ids) == 2 and result.blobs_stored == 2
    with catalog.session() as s:
        files = list(s.scalars(select(BuildFile)))
    for f in files:
        original = (d / f.path).read_bytes()
        with catalog.store.open(f.blob_sha256) as fh:
            assert fh.read() == original
        assert hashlib.sha256(original).hexdigest() == f.blob_sha256


def test_same_bytes_again_is_a_noop(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "pub")
    with catalog.session() as s:
        first = publish_directory(s, catalog.store, d)
    before = _counts(catalog)
    with catalog.session() as s:
        again = publish_directory(s, catalog.store, d)
    assert not again.created and again.content_digest == first.content_digest
    assert again.build_ids == first.build_ids
    assert _counts(catalog) == before


def test_same_version_different_bytes_is_refused_and_nothing_stored(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "a"))
    blobs_before = sorted(_stored_blobs(catalog))
    before = _counts(catalog)
    other = write_publish_dir(tmp_path / "b", seed=b"different")
    with (
        pytest.raises(VersionImmutable, match="already published with different bytes"),
        catalog.session() as s,
    ):
        publish_directory(s, catalog.store, other)
    assert _counts(catalog) == before
    assert sorted(_stored_blobs(catalog)) == blobs_before


def test_missing_file(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "pub")
    next(d.rglob("*.bin")).unlink()
    with pytest.raises(InvalidManifest, match="does not exist"), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    assert _counts(catalog) == (0, 0, 0, 0)
    assert _stored_blobs(catalog) == []


@pytest.mark.parametrize("field,value", [("sha256", "0" * 64), ("size", 7)])
def test_manifest_that_lies_about_the_bytes(
    catalog: EmbeddedCatalog, tmp_path: Path, field: str, value: object
) -> None:
    d = write_publish_dir(tmp_path / "pub")
    rewrite_manifest(d, lambda m: m["builds"][1]["files"][0].__setitem__(field, value))
    with pytest.raises(IntegrityFailure), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    assert _counts(catalog) == (0, 0, 0, 0)
    # The lying file's bytes were not kept under any address.
    lying = (d / "w8a8-onnx-any/model.bin").read_bytes()
    assert all(p.read_bytes() != lying for p in _stored_blobs(catalog))


@pytest.mark.parametrize("bad", ["../outside.bin", "/etc/passwd", "a/../../x.bin", "~/x.bin", "a\\b.bin"])
def test_paths_that_escape_the_directory(catalog: EmbeddedCatalog, tmp_path: Path, bad: str) -> None:
    d = write_publish_dir(tmp_path / "pub")
    (tmp_path / "outside.bin").write_bytes(b"secret")
    rewrite_manifest(d, lambda m: m["builds"][0]["files"][0].update(path=bad, sha256=None, size=None))
    with pytest.raises(InvalidManifest), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    assert _counts(catalog) == (0, 0, 0, 0)


def test_symlink_out_of_the_directory(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "pub")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"not yours")
    link = d / "float-onnx-any/model.bin"
    link.unlink()
    link.symlink_to(secret)
    rewrite_manifest(d, lambda m: m["builds"][0]["files"][0].update(sha256=None, size=None))
    with pytest.raises(UnsafePath, match="outside the publish directory"), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    assert _stored_blobs(catalog) == []


def test_unknown_device_as_target(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(
        tmp_path / "pub",
        builds=[{"precision": "w8a8", "runtime": "qnn_context_binary", "target": "snapdragon 9 gen 9"}],
    )
    with pytest.raises(DeviceNotFound), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    assert _counts(catalog) == (0, 0, 0, 0)


def test_chipset_specific_build_target_is_resolved_from_any_name(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(
        tmp_path / "pub",
        builds=[{"precision": "w8a8", "runtime": "qnn_context_binary", "target": "Samsung Galaxy S24"}],
    )
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)
    with catalog.session() as s:
        assert s.scalars(select(Build.target)).one() == "qualcomm-snapdragon-8gen3"


def test_precision_aliases_are_accepted(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(
        tmp_path / "pub",
        builds=[
            {"precision": "int8", "runtime": "onnx"},
            {"precision": "fp32", "runtime": "onnx"},
            {"precision": "int4", "runtime": "onnx"},
        ],
    )
    with catalog.session() as s:
        publish_directory(s, catalog.store, d)
    with catalog.session() as s:
        assert sorted(s.scalars(select(Build.precision))) == ["float", "w4a16", "w8a8"]


def test_bad_manifest_fields_name_the_field(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    d = write_publish_dir(tmp_path / "pub")
    rewrite_manifest(d, lambda m: m.update(version="one"))
    with pytest.raises(Exception, match="not a semantic version"), catalog.session() as s:
        publish_directory(s, catalog.store, d)
    rewrite_manifest(d, lambda m: m.update(version="1.0.0") or m["builds"][0].update(precision="int3"))
    with pytest.raises(Exception, match="Unknown precision 'int3'"), catalog.session() as s:
        publish_directory(s, catalog.store, d)


def test_killed_mid_publish_leaves_nothing_half_written(catalog: EmbeddedCatalog, tmp_path: Path) -> None:
    """SIGKILL a publisher while it streams a large file: no rows, no visible partial blob."""
    big = tmp_path / "pub"
    write_publish_dir(big, builds=[{"precision": "float", "runtime": "onnx"}])
    payload = big / "float-onnx-any/model.bin"
    with payload.open("wb") as fh:
        for _ in range(192):
            fh.write(os.urandom(1024 * 1024))
    rewrite_manifest(big, lambda m: m["builds"][0]["files"][0].update(sha256=None, size=None))
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": catalog.settings.resolved_database_url,
        "REGISTRY_STORE_URL": catalog.settings.resolved_store_url,
        "REGISTRY_HOME": str(tmp_path / "h"),
    }
    script = textwrap.dedent(f"""
        import time, registry.storage.files as local
        from registry.embedded import EmbeddedCatalog
        from registry.service.publish import publish_directory
        original = local.FileStore.put_file
        def slow_put(self, path, **kw):
            print("putting", flush=True)
            import registry.storage.files as m
            time.sleep(0.2)
            return original(self, path, **kw)
        local.FileStore.put_file = slow_put
        cat = EmbeddedCatalog()
        with cat.session() as s:
            publish_directory(s, cat.store, __import__("pathlib").Path({str(big)!r}))
            print("stored", flush=True)
            time.sleep(30)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "putting"
    proc.kill()
    proc.wait()
    assert _counts(catalog) == (0, 0, 0, 0)
    for blob in _stored_blobs(catalog):  # a blob that is visible is whole and matches its address
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    # Killed after the blobs were stored but before commit: still no rows.
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "putting"
    assert proc.stdout.readline().strip() == "stored"
    proc.kill()
    proc.wait()
    assert _counts(catalog) == (0, 0, 0, 0)
    with catalog.session() as s:
        assert publish_directory(s, catalog.store, big).created
