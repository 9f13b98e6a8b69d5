"""Looking after the download cache: list it, verify it (hash every blob again), prune what nothing needs.

Works on the files alone (``registry.client.cache`` layout); repairs go through ``registry.Client.pull``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.client.cache import Cache
from registry.hashing import sha256_file

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CachedBuild:
    """One pulled build (a snapshot) as the cache holds it."""

    model: str
    version: str
    build: str  # precision-runtime-target
    snapshot: Path
    resolution: dict[str, Any]
    files: int
    size: int
    complete: bool  # every blob it names is present
    last_pulled: float

    @property
    def blobs(self) -> set[str]:
        return {f["sha256"] for f in self.resolution["build"]["files"]}


@dataclass
class CacheVerifyReport:
    checked: int = 0
    bytes: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (model, sha256) removed
    repaired: list[tuple[str, str]] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)  # messages


@dataclass
class PruneReport:
    snapshots: list[Path] = field(default_factory=list)
    blobs: list[Path] = field(default_factory=list)
    bytes: int = 0
    dry_run: bool = False


def model_dirs(cache: Cache, model: str | None = None) -> list[tuple[str, Path]]:
    if model is not None:
        d = cache.model_dir(model.strip().lower())
        return [(model.strip().lower(), d)] if d.is_dir() else []
    return [(d.name.removeprefix("models--"), d) for d in sorted(cache.root.glob("models--*")) if d.is_dir()]


def scan(cache: Cache, model: str | None = None) -> list[CachedBuild]:
    """Every build in the cache, per model and version (like ``huggingface-cli scan-cache``)."""
    out: list[CachedBuild] = []
    for name, mdir in model_dirs(cache, model):
        for res in sorted(mdir.glob("snapshots/*/*/.resolution.json")):
            data = cache.read_resolution(res.parent)
            if not data:
                continue
            files = data["build"]["files"]
            present = all((mdir / "blobs" / f["sha256"]).exists() for f in files)
            out.append(
                CachedBuild(
                    model=name,
                    version=res.parent.parent.name,
                    build=res.parent.name,
                    snapshot=res.parent,
                    resolution=data,
                    files=len(files),
                    size=sum(int(f["size"]) for f in files),
                    complete=present,
                    last_pulled=res.stat().st_mtime,
                )
            )
    return out


def blob_files(cache: Cache, model: str | None = None) -> Iterator[tuple[str, str, Path]]:
    """(model, sha256, path) of every blob in the cache."""
    for name, mdir in model_dirs(cache, model):
        for p in sorted((mdir / "blobs").glob("*")):
            if SHA256_RE.match(p.name) and p.is_file():
                yield name, p.name, p


def verify(cache: Cache, model: str | None = None, *, threads: int | None = None) -> CacheVerifyReport:
    """Hash every cached blob again (in parallel: hashlib releases the GIL); re-stamp the good ones and remove
    the damaged ones so no pull serves them."""
    report = CacheVerifyReport()
    blobs = list(blob_files(cache, model))

    def check(item: tuple[str, str, Path]) -> tuple[str, str, bool, int]:
        name, sha, path = item
        actual, size = sha256_file(path)
        return name, sha, actual == sha, size

    with ThreadPoolExecutor(threads or min(4, os.cpu_count() or 1)) as pool:
        for name, sha, ok, size in pool.map(check, blobs):
            report.checked += 1
            report.bytes += size
            if ok:
                cache.seal(name, sha)
            else:
                cache.remove_blob(name, sha)
                report.damaged.append((name, sha))
    return report


def builds_needing(builds: Iterable[CachedBuild], shas: set[str]) -> list[CachedBuild]:
    return [b for b in builds if b.blobs & shas]


def prune(
    cache: Cache, *, keep: set[str], recent_seconds: float, dry_run: bool = False, now: float | None = None
) -> PruneReport:
    """Remove snapshots not pulled within ``recent_seconds`` whose blobs no lockfile (``keep``) pins, then
    every blob no remaining snapshot names, and stale partial downloads."""
    now = time.time() if now is None else now
    report = PruneReport(dry_run=dry_run)
    keep = keep | _recently_answered(cache, now - recent_seconds)
    needed: dict[str, set[str]] = {}
    for b in scan(cache):
        if now - b.last_pulled <= recent_seconds or b.blobs & keep:
            needed.setdefault(b.model, set()).update(b.blobs)
        else:
            report.snapshots.append(b.snapshot)
            if not dry_run:
                shutil.rmtree(b.snapshot, ignore_errors=True)
    for name, sha, path in list(blob_files(cache)):
        if sha in needed.get(name, set()) or sha in keep:
            continue
        report.blobs.append(path)
        report.bytes += path.stat().st_size
        if not dry_run:
            cache.remove_blob(name, sha)
    for _, mdir in model_dirs(cache):
        stale = [*(mdir / "blobs" / ".incomplete").glob("*.part"), *(mdir / "blobs" / ".stamps").glob(".*.tmp")]
        for part in stale:
            if now - part.stat().st_mtime > recent_seconds:
                report.blobs.append(part)
                report.bytes += part.stat().st_size
                if not dry_run:
                    part.unlink(missing_ok=True)
    return report


def _recently_answered(cache: Cache, since: float) -> set[str]:
    """Blobs named by warm-pull answers (``.resolutions/``) used since ``since``: the fast path serves them
    without touching their snapshot."""
    import json

    out: set[str] = set()
    for entry in (cache.root / ".resolutions").glob("*.json"):
        try:
            if entry.stat().st_mtime < since:
                continue
            data = json.loads(entry.read_text())
        except (OSError, ValueError):
            continue
        for f in data.get("files", []):
            out.add(Path(os.path.realpath(f.get("path", ""))).name)
        for f in (data.get("resolution") or {}).get("build", {}).get("files", []):
            out.add(f.get("sha256", ""))
    return {s for s in out if SHA256_RE.match(s)}
