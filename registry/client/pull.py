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

from registry import atomic
from registry.client.cache import Cache
from registry.errors import IntegrityFailure, OfflineError
from registry.paths import safe_relative_path

if TYPE_CHECKING:
    from registry.entities import Resolution


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
class CachedFile:
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
    link: bool = False,
) -> list[CachedFile]:
    """Ensure every file of the build is in the cache, verified (fetching what is missing or damaged), link
    the snapshot, and place copies (hard links with ``link``) in ``out_dir`` when given. A cached blob whose
    stamp changed is hashed again first; one whose bytes changed is fetched again, never served. Safe when
    many threads or processes pull the same build."""
    data = resolution_dict(resolution)
    model = data["model"]
    snapshot = snapshot_of(cache, data)
    pulled: list[CachedFile] = []
    for f in file_refs(data):
        downloaded = False
        if not cache.stamp_ok(model, f.sha256, f.size):
            from filelock import FileLock

            with FileLock(str(cache.temp_dir(model) / f"{f.sha256}.lock")):
                downloaded = _ensure_blob(cache, model, f, fetch)
        link_path = cache.link(model, snapshot, f.path, f.sha256)
        local = link_path
        if out_dir is not None:
            local = export_file(cache.blob_path(model, f.sha256), out_dir, f.path, link=link)
        pulled.append(CachedFile(f.path, local, f.sha256, f.size, f.component, downloaded))
        if on_file:
            on_file(f, downloaded)
    cache.write_resolution(snapshot, data)
    return pulled


def _ensure_blob(cache: Cache, model: str, f: FileRef, fetch: Fetch) -> bool:
    """Under the blob's lock: True when it had to be fetched (missing, or damaged and removed)."""
    state = cache.check_blob(model, f.sha256, f.size)
    if state == "ok":
        return False
    try:
        fetch(f, cache.blob_path(model, f.sha256))
    except OfflineError as exc:
        if state == "damaged":
            raise IntegrityFailure(
                f"The cached copy of '{f.path}' (blob {f.sha256[:12]}) was damaged: its bytes no longer hash to "
                "the catalog's sha256. It was removed and not served; REGISTRY_OFFLINE forbids fetching it again.",
                hint="Unset REGISTRY_OFFLINE and pull again to repair the cache.",
            ) from exc
        raise
    cache.seal(model, f.sha256)
    return True


def export_file(blob: Path, out_dir: Path, rel: str, *, link: bool = False) -> Path:
    """Place a real file (not a symlink) at out_dir/rel: an independent copy (a reflink where the filesystem
    has them), or with ``link`` a hard link to the read-only cached blob."""
    dest = out_dir / safe_relative_path(rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if link and dest.exists() and _same_file(dest, blob):
        return dest
    tmp = atomic.temp_name(dest)
    tmp.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(blob, tmp)
            except OSError:
                _copy(blob, tmp)
        else:
            _copy(blob, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


_FICLONE = 0x40049409  # Linux ioctl: share the source's extents (btrfs, XFS, bcachefs)


def _copy(src: Path, dest: Path) -> None:
    """A writable copy owned by the caller: a reflink when the filesystem can, else a kernel copy."""
    with src.open("rb") as fin, dest.open("wb") as fout:
        try:
            import fcntl

            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return
        except (OSError, ImportError):
            pass
    shutil.copyfile(src, dest)


def _same_file(a: Path, b: Path) -> bool:
    sa, sb = a.stat(), b.stat()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
