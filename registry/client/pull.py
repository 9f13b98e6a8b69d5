"""Turning a resolution into verified local files, whatever the bytes' source (local store or HTTP)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from registry.client.cache import Cache
from registry.paths import safe_relative_path
from registry.service.entities import FileInfo, Resolution

# fetch(file, dest): write the blob's verified bytes to dest (the cache's final blob path), atomically.
Fetch = Callable[["FileInfo", Path], None]
Progress = Callable[["FileInfo", bool], None]


@dataclass(frozen=True)
class PulledFile:
    path: str
    local_path: Path
    sha256: str
    size: int
    component: str | None
    downloaded: bool


def materialize(
    resolution: Resolution,
    cache: Cache,
    fetch: Fetch,
    *,
    out_dir: Path | None = None,
    on_file: Progress | None = None,
) -> list[PulledFile]:
    """Ensure every file of the build is in the cache (fetching what is missing), link the snapshot,
    and copy into ``out_dir`` when given. Safe when many threads or processes pull the same build."""
    build = resolution.build
    snapshot = cache.snapshot_dir(resolution.model, resolution.version, build.precision, build.runtime, build.target)
    pulled: list[PulledFile] = []
    for f in build.files:
        downloaded = False
        if not cache.has_blob(resolution.model, f.sha256, f.size):
            from filelock import FileLock

            lock = FileLock(str(cache.temp_dir(resolution.model) / f"{f.sha256}.lock"))
            with lock:
                if not cache.has_blob(resolution.model, f.sha256, f.size):
                    fetch(f, cache.blob_path(resolution.model, f.sha256))
                    downloaded = True
        link = cache.link(resolution.model, snapshot, f.path, f.sha256)
        local = link
        if out_dir is not None:
            local = export_file(cache.blob_path(resolution.model, f.sha256), out_dir, f.path)
        pulled.append(PulledFile(f.path, local, f.sha256, f.size, f.component, downloaded))
        if on_file:
            on_file(f, downloaded)
    cache.write_resolution(snapshot, resolution.model_dump(mode="json"))
    return pulled


def export_file(blob: Path, out_dir: Path, rel: str) -> Path:
    """Place a real file (not a link) at out_dir/rel: a hard link when possible, else a copy."""
    dest = out_dir / safe_relative_path(rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and dest.stat().st_size == blob.stat().st_size and _same_file(dest, blob):
        return dest
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(blob, tmp)
    except OSError:
        shutil.copyfile(blob, tmp)
    os.replace(tmp, dest)
    return dest


def _same_file(a: Path, b: Path) -> bool:
    sa, sb = a.stat(), b.stat()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
