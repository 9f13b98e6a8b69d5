"""Turning a resolution into verified local files, whatever the bytes' source (local store or HTTP).

A resolution is taken either as the service's ``Resolution`` entity or as its JSON form (a dict, as the API
returns it), so a warm remote pull never needs pydantic.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.client.cache import Cache
from registry.paths import safe_relative_path

if TYPE_CHECKING:
    from registry.service.entities import Resolution


@dataclass(frozen=True)
class FileRef:
    """One file of a build as the resolution names it."""

    path: str
    sha256: str
    size: int
    component: str | None = None
    url: str | None = None


# fetch(file, dest): write the blob's verified bytes to dest (the cache's final blob path), atomically.
Fetch = Callable[[FileRef, Path], None]
Progress = Callable[[FileRef, bool], None]


@dataclass(frozen=True)
class PulledFile:
    path: str
    local_path: Path
    sha256: str
    size: int
    component: str | None
    downloaded: bool


def resolution_dict(resolution: Resolution | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(resolution, Mapping):
        return dict(resolution)
    return resolution.model_dump(mode="json")


def file_refs(resolution: Mapping[str, Any]) -> list[FileRef]:
    return [
        FileRef(f["path"], f["sha256"], int(f["size"]), f.get("component"), f.get("url"))
        for f in resolution["build"]["files"]
    ]


def snapshot_of(cache: Cache, resolution: Mapping[str, Any]) -> Path:
    b = resolution["build"]
    return cache.snapshot_dir(resolution["model"], resolution["version"], b["precision"], b["runtime"], b["target"])


def materialize(
    resolution: Resolution | Mapping[str, Any],
    cache: Cache,
    fetch: Fetch,
    *,
    out_dir: Path | None = None,
    on_file: Progress | None = None,
) -> list[PulledFile]:
    """Ensure every file of the build is in the cache (fetching what is missing), link the snapshot,
    and copy into ``out_dir`` when given. Safe when many threads or processes pull the same build."""
    data = resolution_dict(resolution)
    model = data["model"]
    snapshot = snapshot_of(cache, data)
    pulled: list[PulledFile] = []
    for f in file_refs(data):
        downloaded = False
        if not cache.has_blob(model, f.sha256, f.size):
            from filelock import FileLock

            lock = FileLock(str(cache.temp_dir(model) / f"{f.sha256}.lock"))
            with lock:
                if not cache.has_blob(model, f.sha256, f.size):
                    fetch(f, cache.blob_path(model, f.sha256))
                    downloaded = True
        link = cache.link(model, snapshot, f.path, f.sha256)
        local = link
        if out_dir is not None:
            local = export_file(cache.blob_path(model, f.sha256), out_dir, f.path)
        pulled.append(PulledFile(f.path, local, f.sha256, f.size, f.component, downloaded))
        if on_file:
            on_file(f, downloaded)
    cache.write_resolution(snapshot, data)
    return pulled


def export_file(blob: Path, out_dir: Path, rel: str) -> Path:
    """Place a real file (not a link) at out_dir/rel: a hard link when possible, else a copy."""
    dest = out_dir / safe_relative_path(rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and dest.stat().st_size == blob.stat().st_size and _same_file(dest, blob):
        return dest
    tmp = dest.with_name(f".{dest.name}.{_uniq()}.tmp")
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


def _uniq() -> str:
    """A temp-name suffix unique per process and thread (many threads may pull the same build)."""
    import threading

    return f"{os.getpid()}-{threading.get_ident()}"
