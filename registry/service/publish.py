"""Publishing a version: bytes into the store first (atomic per blob), then rows in one transaction.

A process killed part way leaves at most complete, verified, unreferenced blobs: never a row that points
at a missing blob, never a partial blob.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.devices import resolve_device
from registry.entities import PublishResult
from registry.errors import BlobNotFound, Conflict, IntegrityFailure, InvalidManifest, VersionImmutable
from registry.hashing import sha256_file
from registry.models import Benchmark, Blob, Build, BuildFile, Evaluation, Model, ModelName, Version
from registry.models.base import utcnow
from registry.service import audit
from registry.service.anchoring import reanchor_version
from registry.service.audit import LOCAL_ACTOR, Actor
from registry.service.locks import lock_model
from registry.service.manifest import Manifest, ManifestBuild, contained_file, load_manifest
from registry.storage import BlobInfo, BlobStore
from registry.vocab import PORTABLE_TARGET, SemVer, evaluation_unit

FileKey = tuple[tuple[str, str, str], str]  # ((precision, runtime, target), path)
OnBytes = Callable[[str, int], None]  # (file path in the manifest, bytes just stored)


class _CountingReader:
    """A file read through ``put_stream`` that reports each chunk (for a progress bar)."""

    def __init__(self, f: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self._f, self._on_bytes = f, on_bytes

    def readinto(self, view: memoryview) -> int:
        n = self._f.readinto(view) or 0  # type: ignore[attr-defined]
        self._on_bytes(n)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._on_bytes(len(data))
        return data


def _put(
    store: BlobStore, path: Path, name: str, declared: tuple[str | None, int | None], on_bytes: OnBytes | None
) -> BlobInfo:
    if on_bytes is None:  # the store's fastest copy (the kernel's, for a local store)
        return store.put_file(path, expected_sha256=declared[0], expected_size=declared[1])
    with path.open("rb") as f:
        reader = _CountingReader(f, lambda n: on_bytes(name, n))
        return store.put_stream(reader, expected_sha256=declared[0], expected_size=declared[1])  # type: ignore[arg-type]


def publish_directory(
    session: Session,
    store: BlobStore,
    directory: Path,
    manifest: Manifest | None = None,
    actor: Actor = LOCAL_ACTOR,
    on_bytes: OnBytes | None = None,
) -> PublishResult:
    """Publish the builds a directory's manifest describes. Same bytes again: a no-op (also when racing).
    ``on_bytes(path, n)`` hears of every chunk stored (a progress bar)."""
    manifest = manifest or load_manifest(directory)
    targets = _resolve_targets(session, manifest)
    paths = {(b.key, f.path): contained_file(directory, f.path) for b in manifest.builds for f in b.files}
    existing = _existing_version(session, manifest)
    if existing is not None:
        # Hash without storing: a refused re-publish must not write anything.
        digests = {key: _hash_declared(path, _declared(manifest, key)) for key, path in paths.items()}
        same = _same_or_refuse(session, existing, manifest, targets, digests)
        return _heal(store, same, paths, digests)
    stored: dict[FileKey, tuple[str, int]] = {}
    blobs_stored = bytes_stored = 0
    for key, path in paths.items():
        declared = _declared(manifest, key)
        info = _put(store, path, key[1], declared, on_bytes)
        stored[key] = (info.sha256, info.size)
        if info.created:
            blobs_stored += 1
            bytes_stored += info.size
    lock_model(session, manifest.model.slug)  # racing publishers of this model wait here, then see the winner
    existing = _existing_version(session, manifest)
    if existing is not None:
        return _same_or_refuse(session, existing, manifest, targets, stored)
    result = _record(session, manifest, targets, stored, actor)
    return result.model_copy(update={"blobs_stored": blobs_stored, "bytes_stored": bytes_stored})


def publish_uploaded(
    session: Session, store: BlobStore, manifest: Manifest, actor: Actor = LOCAL_ACTOR
) -> PublishResult:
    """Publish a manifest whose blobs were uploaded to the store beforehand (the HTTP path)."""
    targets = _resolve_targets(session, manifest)
    stored: dict[FileKey, tuple[str, int]] = {}
    for build in manifest.builds:
        for f in build.files:
            if f.sha256 is None or f.size is None:
                raise InvalidManifest(f"File '{f.path}' needs sha256 and size when its bytes were uploaded.")
            if store.check(f.sha256) != "ok":
                raise BlobNotFound(
                    f"Blob {f.sha256} of '{f.path}' has not been uploaded (or its stored copy is damaged).",
                    hint="Upload every blob (PUT /v1/blobs/{sha256}) before publishing.",
                )
            if store.size(f.sha256) != f.size:
                raise IntegrityFailure(
                    f"Blob {f.sha256} of '{f.path}' is {store.size(f.sha256)} bytes, the manifest says {f.size}."
                )
            stored[(build.key, f.path)] = (f.sha256, f.size)
    lock_model(session, manifest.model.slug)  # racing publishers of this model wait here, then see the winner
    existing = _existing_version(session, manifest)
    if existing is not None:
        return _same_or_refuse(session, existing, manifest, targets, stored)
    return _record(session, manifest, targets, stored, actor)


def _heal(
    store: BlobStore, result: PublishResult, paths: Mapping[FileKey, Path], digests: Mapping[FileKey, tuple[str, int]]
) -> PublishResult:
    """Re-publishing the same bytes stores again every blob whose stored copy fails verification."""
    blobs = bytes_ = 0
    for key, (sha, size) in digests.items():
        if store.check(sha) != "ok":
            info = store.put_file(paths[key], expected_sha256=sha, expected_size=size)
            blobs, bytes_ = blobs + int(info.created), bytes_ + info.size * int(info.created)
    return result.model_copy(update={"blobs_stored": blobs, "bytes_stored": bytes_}) if blobs else result


def content_digest(
    manifest: Manifest, targets: Mapping[tuple[str, str, str], str], files: Mapping[FileKey, tuple[str, int]]
) -> str:
    """The identity of a version's bytes: every (precision, runtime, target, path, sha256, size)."""
    rows = sorted([key[0][0], key[0][1], targets[key[0]], key[1], sha, size] for key, (sha, size) in files.items())
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def _declared(manifest: Manifest, key: FileKey) -> tuple[str | None, int | None]:
    for build in manifest.builds:
        if build.key == key[0]:
            for f in build.files:
                if f.path == key[1]:
                    return f.sha256, f.size
    raise KeyError(key)


def _hash_declared(path: Path, declared: tuple[str | None, int | None]) -> tuple[str, int]:
    sha, size = sha256_file(path)
    if declared[0] is not None and declared[0] != sha:
        raise IntegrityFailure(
            f"'{path.name}' has sha256 {sha}, the manifest says {declared[0]}.",
            hint="Fix the manifest or the file; nothing was stored.",
        )
    if declared[1] is not None and declared[1] != size:
        raise IntegrityFailure(
            f"'{path.name}' is {size} bytes, the manifest says {declared[1]}.",
            hint="Fix the manifest or the file; nothing was stored.",
        )
    return sha, size


def _resolve_targets(session: Session, manifest: Manifest) -> dict[tuple[str, str, str], str]:
    """Build key -> stored target: 'any', or the chipset id of whatever device name was given."""
    return {
        b.key: b.target if b.target == PORTABLE_TARGET else resolve_device(session, b.target).chipset
        for b in manifest.builds
    }


def _existing_version(session: Session, manifest: Manifest) -> Version | None:
    return session.scalars(
        select(Version).join(Model).where(Model.slug == manifest.model.slug, Version.version == manifest.version)
    ).one_or_none()


def _same_or_refuse(
    session: Session,
    existing: Version,
    manifest: Manifest,
    targets: Mapping[tuple[str, str, str], str],
    files: Mapping[FileKey, tuple[str, int]],
) -> PublishResult:
    digest = content_digest(manifest, targets, files)
    if digest != existing.content_digest:
        raise VersionImmutable(
            f"{manifest.model.slug}@{manifest.version} is already published with different bytes.",
            hint="Published versions never change: publish a new version number instead.",
        )
    build_ids = list(session.scalars(select(Build.id).where(Build.version_id == existing.id).order_by(Build.id)))
    add_model_names(session, session.get_one(Model, existing.model_id), manifest.model.names)
    return PublishResult(
        model=manifest.model.slug,
        version=manifest.version,
        created=False,
        build_ids=build_ids,
        blobs_stored=0,
        bytes_stored=0,
        content_digest=digest,
    )


def _upsert_model(session: Session, manifest: Manifest) -> Model:
    card = manifest.model
    model = session.scalars(select(Model).where(Model.slug == card.slug)).one_or_none()
    if model is None:
        taken = session.get(ModelName, card.slug)
        if taken is not None:
            raise Conflict(
                f"'{card.slug}' is already another name of the model {session.get_one(Model, taken.model_id).slug}.",
                hint="Choose another slug for the new model.",
            )
        model = Model(slug=card.slug)
        session.add(model)
    model.name, model.task, model.domain, model.license = card.name, card.task, card.domain, card.license
    model.source_url, model.description, model.weights = card.source_url, card.description, card.weights
    model.card = dict(card.card)
    session.flush()
    add_model_names(session, model, card.names)
    return model


def add_model_names(session: Session, model: Model, names: Sequence[str]) -> None:
    """Give ``model`` the other names its manifest lists (names are only added: an older manifest without them
    takes none away). A name that is another model's slug or name is refused."""
    for name in names:
        if name == model.slug:
            continue
        row = session.get(ModelName, name)
        if row is not None and row.model_id == model.id:
            continue
        owner = session.scalars(select(Model.slug).where(Model.slug == name)).one_or_none()
        if row is not None:
            owner = session.get_one(Model, row.model_id).slug
        if owner is not None:
            raise Conflict(
                f"'{name}' already names the model {owner}; it cannot also name {model.slug}.",
                hint=f"Remove '{name}' from model.names in the manifest of {model.slug}.",
            )
        session.add(ModelName(name=name, model_id=model.id))
    session.flush()


def _record(
    session: Session,
    manifest: Manifest,
    targets: Mapping[tuple[str, str, str], str],
    files: Mapping[FileKey, tuple[str, int]],
    actor: Actor,
) -> PublishResult:
    model = _upsert_model(session, manifest)
    semver = SemVer.parse(manifest.version)
    digest = content_digest(manifest, targets, files)
    version = Version(
        model_id=model.id,
        version=str(semver),
        major=semver.major,
        minor=semver.minor,
        patch=semver.patch,
        prerelease=semver.prerelease,
        content_digest=digest,
        source=dict(manifest.source),
    )
    session.add(version)
    _ensure_blobs(session, files)
    session.flush()
    build_ids = [_record_build(session, model, version, build, targets[build.key], files) for build in manifest.builds]
    reanchor_version(session, version)  # a device measurement published with the builds anchors their estimates
    audit.record(
        session,
        actor,
        "publish",
        f"{model.slug}@{version.version}",
        after={"content_digest": digest, "builds": build_ids},
    )
    return PublishResult(
        model=model.slug,
        version=version.version,
        created=True,
        build_ids=build_ids,
        blobs_stored=0,
        bytes_stored=0,
        content_digest=digest,
    )


def _ensure_blobs(session: Session, files: Mapping[FileKey, tuple[str, int]]) -> None:
    """Blob rows for every file; a row another publisher (of another model) adds meanwhile is no conflict."""
    wanted = {sha: size for sha, size in files.values()}
    known = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(list(wanted)))))
    missing = [
        {"sha256": sha, "size": size, "created_at": utcnow()} for sha, size in wanted.items() if sha not in known
    ]
    if not missing:
        return
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        session.execute(insert(Blob).values(missing).on_conflict_do_nothing(index_elements=["sha256"]))
    else:
        session.add_all(Blob(**row) for row in missing)


def _record_build(
    session: Session,
    model: Model,
    version: Version,
    entry: ManifestBuild,
    target: str,
    files: Mapping[FileKey, tuple[str, int]],
) -> int:
    build = Build(
        version_id=version.id,
        precision=entry.precision,
        runtime=entry.runtime,
        target=target,
        details=dict(entry.details),
        requirements=entry.requirements.model_dump(exclude_defaults=True),
        interface=entry.interface.model_dump(exclude_defaults=True),
    )
    session.add(build)
    session.flush()
    for f in entry.files:
        sha, size = files[(entry.key, f.path)]
        session.add(BuildFile(build_id=build.id, path=f.path, component=f.component, blob_sha256=sha, size=size))
    add_measurements(session, model, build, entry)
    return build.id


def add_measurements(session: Session, model: Model, build: Build, entry: ManifestBuild) -> None:
    """Benchmarks and evaluations of a build. These may be added after publishing; bytes may not."""
    for b in entry.benchmarks:
        chipset = resolve_device(session, b.device).chipset if b.device else None
        session.add(
            Benchmark(
                model_id=model.id,
                build_id=build.id,
                device_chipset=chipset,
                precision=build.precision,
                runtime=build.runtime,
                component=b.component,
                provenance=b.provenance,
                source=b.source,
                latency_ms=b.latency_ms,
                latency_p90_ms=b.latency_p90_ms,
                peak_memory_mb=b.peak_memory_mb,
                error_pct=b.error_pct,
                compute_units=dict(b.compute_units),
                details=dict(b.details),
            )
        )
    for e in entry.evaluations:
        chipset = resolve_device(session, e.device).chipset if e.device else None
        session.add(
            Evaluation(
                model_id=model.id,
                build_id=build.id,
                device_chipset=chipset,
                precision=build.precision,
                runtime=build.runtime,
                component=e.component,
                provenance=e.provenance,
                source=e.source,
                dataset=e.dataset,
                metric=e.metric,
                kind=e.kind,
                value=e.value,
                reference_value=e.reference_value,
                sample_count=e.sample_count,
                higher_is_better=e.higher_is_better,
                unit=evaluation_unit(e.metric, e.value, e.kind, e.unit),
                details=dict(e.details),
            )
        )


def link_mlflow(
    session: Session, model: str, version: str, run_id: str, registered_model: str, versions: Mapping[int, str]
) -> None:
    """Record the MLflow run of a version and the MLflow model version of each build (lineage, not bytes)."""
    from registry.service import lookup

    model_row = lookup.get_model(session, model)
    version_row = lookup.get_version(session, model_row, version)
    version_row.mlflow_run_id = version_row.mlflow_run_id or run_id
    for build in session.scalars(select(Build).where(Build.version_id == version_row.id)):
        if build.id in versions:
            build.mlflow_model_name = registered_model
            build.mlflow_model_version = versions[build.id]
    session.flush()
