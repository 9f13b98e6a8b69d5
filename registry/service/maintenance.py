"""Keeping the store true to the catalog: verify and repair blobs, remove what killed writers left, and
collect blobs no build references. Nothing a build references is ever removed; catalog rows are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.hashing import sha256_file
from registry.models import Build, BuildFile, Model, Version
from registry.storage import BlobStore


@dataclass
class Leftovers:
    """What killed writers left and was (or, dry run, would be) removed."""

    temp_files: int = 0  # store temp files; for S3, incomplete multipart uploads
    upload_spools: int = 0
    bytes: int = 0


@dataclass
class GcReport:
    leftovers: Leftovers
    blobs: list[tuple[str, int]] = field(default_factory=list)  # unreferenced blobs removed (or to remove)
    dry_run: bool = False

    @property
    def blob_bytes(self) -> int:
        return sum(size for _, size in self.blobs)


@dataclass
class VerifyReport:
    checked: int = 0
    bytes: int = 0
    damaged: list[str] = field(default_factory=list)  # found damaged now: quarantined
    missing: list[str] = field(default_factory=list)  # referenced by a build, not intact in the store
    repaired: list[str] = field(default_factory=list)  # put back from a verified copy
    versions: dict[str, list[str]] = field(default_factory=dict)  # sha256 -> model@version still affected


def clean_leftovers(store: BlobStore, uploads_dir: Path, grace_seconds: float, *, dry_run: bool = False) -> Leftovers:
    """Remove store temp files, S3 multipart uploads and HTTP upload spools older than ``grace_seconds``."""
    items, size = store.cleanup_temp(grace_seconds, dry_run=dry_run)
    out = Leftovers(temp_files=items, bytes=size)
    cutoff = time.time() - grace_seconds
    for p in uploads_dir.glob(".upload-*") if uploads_dir.exists() else []:
        try:
            st = p.stat()
            if st.st_mtime < cutoff:
                if not dry_run:
                    p.unlink()
                out.upload_spools += 1
                out.bytes += st.st_size
        except FileNotFoundError:
            continue
    return out


def referenced_blobs(session: Session) -> set[str]:
    return set(session.scalars(select(BuildFile.blob_sha256).distinct()))


def collect_garbage(
    session: Session, store: BlobStore, uploads_dir: Path, grace_seconds: float, *, dry_run: bool = False
) -> GcReport:
    """Leftovers of killed writers, then blobs no build references that were stored before the grace period
    (a publish stores bytes before it writes rows; the grace period keeps those bytes for it)."""
    report = GcReport(clean_leftovers(store, uploads_dir, grace_seconds, dry_run=dry_run), dry_run=dry_run)
    cutoff = time.time() - grace_seconds
    candidates = [(sha, size) for sha, size, mtime in store.iter_blobs() if mtime < cutoff]
    if not candidates:
        return report
    referenced = referenced_blobs(session)
    for sha, size in candidates:
        if sha in referenced:
            continue
        if not dry_run:
            store.delete(sha)
        report.blobs.append((sha, size))
    return report


def verify_store(
    session: Session, store: BlobStore, *, repair: bool = False, sources: Iterable[Path] = ()
) -> VerifyReport:
    """Hash every stored blob again; quarantine damaged ones. With ``repair``, put back every damaged or
    missing blob a build references from a verified copy found under ``sources`` (e.g. the client cache or
    the directory the version was published from). Lists the versions still affected."""
    report = VerifyReport()
    for sha, size, _ in list(store.iter_blobs()):
        report.checked += 1
        report.bytes += size
        if not store.verify(sha):
            store.quarantine(sha)
            report.damaged.append(sha)
    referenced = referenced_blobs(session)
    report.missing = sorted(sha for sha in referenced if sha in report.damaged or not store.exists(sha))
    if repair and report.missing:
        copies = _good_copies(set(report.missing), sources)
        for sha in report.missing:
            if sha in copies:
                store.put_file(copies[sha], expected_sha256=sha)
                report.repaired.append(sha)
    still = [sha for sha in report.missing if sha not in report.repaired]
    report.versions = _versions_using(session, still)
    return report


def _good_copies(wanted: set[str], sources: Iterable[Path]) -> dict[str, Path]:
    """Files under ``sources`` whose bytes hash to a wanted sha256 (the cache names blobs by digest: tried first)."""
    found: dict[str, Path] = {}
    for root in sources:
        if not root.exists():
            continue
        by_name = [p for sha in wanted for p in root.glob(f"models--*/blobs/{sha}")]
        for p in by_name + sorted(q for q in root.rglob("*") if q.is_file() and not q.is_symlink()):
            if len(found) == len(wanted):
                return found
            try:
                sha, _ = sha256_file(p)
            except OSError:
                continue
            if sha in wanted and sha not in found:
                found[sha] = p
    return found


def _versions_using(session: Session, shas: list[str]) -> dict[str, list[str]]:
    if not shas:
        return {}
    rows = session.execute(
        select(BuildFile.blob_sha256, Model.slug, Version.version)
        .join(Build, Build.id == BuildFile.build_id)
        .join(Version, Version.id == Build.version_id)
        .join(Model, Model.id == Version.model_id)
        .where(BuildFile.blob_sha256.in_(shas))
    )
    out: dict[str, list[str]] = {}
    for sha, slug, version in rows:
        ref = f"{slug}@{version}"
        if ref not in out.setdefault(sha, []):
            out[sha].append(ref)
    return out
