"""Air-gapped bundles: a tar of chosen versions' builds (manifests, blobs, signed statements) and a snapshot of
the device catalog, imported into another catalog with every byte checked, idempotently.

Layout of the tar::

    bundle.json                     format, what was asked for, each version's manifest, and the sha256 and
                                    size of every other member
    devices.json                    the device catalog (devices and every name), so targets resolve offline
    signatures/<model>@<version>.json   the version's DSSE envelopes
    blobs/sha256/<hex>              the bytes of each file, once

Import reads each member, hashes it, and refuses the bundle (naming the member) on any mismatch, missing or
unexpected member, before anything is written; then blobs go into the store (verified again), versions are
published (same bytes again: a no-op) and signatures stored. ``registry mirror`` reuses ``import_versions``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import __version__
from registry.devices import resolve_device
from registry.entities import BuildInfo, ModelDetail
from registry.errors import BuildNotFound, IntegrityFailure, InvalidInput
from registry.models import Device, DeviceName
from registry.service import lifecycle
from registry.service.catalog import show_model
from registry.service.manifest import BenchmarkEntry, EvaluationEntry, Manifest
from registry.service.publish import publish_uploaded
from registry.service.signing import envelopes_of, store_envelope
from registry.storage import BlobStore
from registry.vocab import DEPRECATED, PORTABLE_TARGET, YANKED, normalize_precision

FORMAT = "edge-model-registry-bundle"
FORMAT_VERSION = 1
_BLOB_RE = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_SIG_RE = re.compile(r"^signatures/[a-z0-9._-]+@[0-9A-Za-z.+-]+\.json$")


@dataclass(frozen=True)
class Selection:
    models: list[str]
    devices: list[str] = field(default_factory=list)
    precisions: list[str] = field(default_factory=list)
    version: str | None = None  # default: each model's latest release


@dataclass
class ImportReport:
    versions_created: list[str] = field(default_factory=list)
    versions_present: list[str] = field(default_factory=list)
    blobs_stored: int = 0
    signatures: int = 0
    devices_added: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------------------------ create


def version_manifest(detail: ModelDetail, builds: Iterable[BuildInfo]) -> dict[str, Any]:
    """A version as a publish manifest (JSON) carrying every figure; files carry sha256 and size."""
    v = detail.version
    assert v is not None
    m = detail.model
    return {
        "model": m.model_dump(mode="json", exclude={"latest_version", "aliases"}),
        "version": v.version,
        "source": v.source,
        "builds": [_build_entry(b) for b in builds],
    }


def _build_entry(b: BuildInfo) -> dict[str, Any]:
    return {
        "precision": b.precision,
        "runtime": b.runtime,
        "target": b.target,
        "details": b.details,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size, "component": f.component} for f in b.files],
        # Only what a manifest declares: catalog bookkeeping (ids, anchoring, supersession) is re-derived on import.
        "benchmarks": [_fields(x.model_dump(mode="json"), BenchmarkEntry) for x in b.benchmarks],
        "evaluations": [_fields(x.model_dump(mode="json"), EvaluationEntry) for x in b.evaluations],
    }


def _fields(data: dict[str, Any], entry: type[BaseModel]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in entry.model_fields}


def select_versions(session: Session, sel: Selection) -> list[tuple[ModelDetail, list[BuildInfo]]]:
    """Each chosen model's version with the builds matching the devices and precisions asked for."""
    chipsets = {resolve_device(session, d).chipset for d in sel.devices}
    precisions = {normalize_precision(p) for p in sel.precisions}
    out = []
    for model in sel.models:
        detail = show_model(session, model, sel.version)
        if detail.version is None:
            raise BuildNotFound(f"{model} has no version to bundle.")
        builds = [
            b
            for b in detail.builds
            if (not precisions or b.precision in precisions)
            and (not chipsets or b.target == PORTABLE_TARGET or b.target in chipsets)
        ]
        if not builds:
            raise BuildNotFound(
                f"{model}@{detail.version.version} has no build for the devices and precisions asked for.",
                hint="It has: " + ", ".join(f"{b.precision}/{b.runtime}/{b.target}" for b in detail.builds),
            )
        out.append((detail, builds))
    return out


def create_bundle(session: Session, store: BlobStore, sel: Selection, out: Path) -> dict[str, Any]:
    """Write the bundle tar to ``out`` (atomically); returns its bundle.json."""
    if not out.parent.is_dir():
        raise InvalidInput(f"Cannot write {out}: {out.parent} is not a directory.", hint="Create it first.")
    chosen = select_versions(session, sel)
    members: dict[str, dict[str, Any]] = {}
    tmp = out.with_name(f".{out.name}.partial")
    with tarfile.open(tmp, "w") as tar:
        devices = _json_bytes(device_snapshot(session))
        _add_bytes(tar, members, "devices.json", devices)
        versions = []
        for detail, builds in chosen:
            assert detail.version is not None
            ref = f"{detail.model.slug}@{detail.version.version}"
            sig_name = f"signatures/{ref}.json"
            _add_bytes(tar, members, sig_name, _json_bytes(envelopes_of(session, detail.model.slug, ref.split("@")[1])))
            for b in builds:
                for f in b.files:
                    name = f"blobs/sha256/{f.sha256}"
                    if name not in members:
                        _add_blob(tar, members, name, store, f.sha256, f.size)
            versions.append(
                {
                    "ref": ref,
                    "status": detail.version.status,
                    "status_reason": detail.version.status_reason,
                    "aliases": detail.version.aliases,
                    "source_content_digest": detail.version.content_digest,
                    "signatures": sig_name,
                    "manifest": version_manifest(detail, builds),
                }
            )
        index = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "registry_version": __version__,
            "selection": sel.__dict__,
            "versions": versions,
            "members": members,
        }
        _add_bytes(tar, {}, "bundle.json", _json_bytes(index))
    tmp.replace(out)
    return index


def device_snapshot(session: Session) -> dict[str, Any]:
    devices = [{c.key: getattr(d, c.key) for c in Device.__table__.columns} for d in session.scalars(select(Device))]
    names = [
        {c.key: getattr(n, c.key) for c in DeviceName.__table__.columns} for n in session.scalars(select(DeviceName))
    ]
    return {"devices": devices, "names": names}


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True, default=str) + "\n").encode()


def _add_bytes(tar: tarfile.TarFile, members: dict[str, dict[str, Any]], name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tar.addfile(info, io.BytesIO(data))
    members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_blob(
    tar: tarfile.TarFile, members: dict[str, dict[str, Any]], name: str, store: BlobStore, sha: str, size: int
) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / sha
        store.copy_to(sha, path, verify=True)
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, 0, 0o644
        with path.open("rb") as fh:
            tar.addfile(info, fh)
    members[name] = {"sha256": sha, "size": size}


# ------------------------------------------------------------------------------------------------ import


def read_bundle(path: Path, work: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """Extract and check every member against bundle.json; any mismatch refuses the bundle, naming the member."""
    files: dict[str, Path] = {}
    index: dict[str, Any] | None = None
    try:
        with tarfile.open(path, "r") as tar:
            for member in tar:
                if member.name == "bundle.json" and member.isfile():
                    fh = tar.extractfile(member)
                    assert fh is not None
                    index = _parse_index(fh.read())
                    continue
                files[member.name] = _extract(tar, member, work / f"m{len(files)}")
    except (OSError, tarfile.TarError) as exc:
        raise InvalidInput(
            f"{path} is not a readable bundle: {exc}", hint="Make one with `registry bundle create`."
        ) from exc
    if index is None:
        raise IntegrityFailure(f"{path} has no bundle.json; refused.", hint="Make it with `registry bundle create`.")
    _check_members(index, files)
    return index, files


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> Path:
    """One member's bytes to ``dest`` (never to a path the bundle names), if it is one a bundle may hold."""
    expected = member.name == "devices.json" or _BLOB_RE.match(member.name) or _SIG_RE.match(member.name)
    if not member.isfile() or not expected:
        raise IntegrityFailure(f"The bundle holds an unexpected member '{member.name}'; refused.")
    fh = tar.extractfile(member)
    assert fh is not None
    with dest.open("wb") as out:
        while chunk := fh.read(1 << 20):
            out.write(chunk)
    return dest


def _parse_index(data: bytes) -> dict[str, Any]:
    try:
        index = json.loads(data)
    except ValueError as exc:
        raise IntegrityFailure("The bundle's bundle.json is not valid JSON; refused.") from exc
    if not isinstance(index, dict) or index.get("format") != FORMAT or index.get("format_version") != FORMAT_VERSION:
        raise IntegrityFailure(f"bundle.json is not a {FORMAT} v{FORMAT_VERSION} index; refused.")
    return index


def _check_members(index: dict[str, Any], files: dict[str, Path]) -> None:
    listed: dict[str, Any] = index.get("members") or {}
    for name in sorted(set(files) - set(listed)):
        raise IntegrityFailure(f"Bundle member '{name}' is not listed in bundle.json; refused.")
    for name, meta in sorted(listed.items()):
        if name not in files:
            raise IntegrityFailure(f"Bundle member '{name}' is missing; refused.")
        data_sha, size = _sha256_file(files[name])
        blob = _BLOB_RE.match(name)
        if data_sha != meta.get("sha256") or size != meta.get("size") or (blob and blob[1] != data_sha):
            raise IntegrityFailure(
                f"Bundle member '{name}'{_used_by(index, blob[1] if blob else '')} was changed: its bytes hash to "
                f"{data_sha[:12]} ({size} bytes), "
                f"bundle.json says {str(meta.get('sha256'))[:12]} ({meta.get('size')} bytes); nothing was imported.",
                hint="Get an intact copy of the bundle.",
            )
    for v in index.get("versions") or []:
        for b in v["manifest"]["builds"]:
            for f in b["files"]:
                if f"blobs/sha256/{f['sha256']}" not in listed:
                    raise IntegrityFailure(f"{v['ref']}: file {f['path']} has no blob in the bundle; refused.")


def _used_by(index: dict[str, Any], sha256: str) -> str:
    """`` (yolov8n@1.0.0 w8a8/onnx/any/model.onnx)``: the files a blob member holds, for error messages."""
    names = [
        f"{v['ref']} {b['precision']}/{b['runtime']}/{b['target']}/{f['path']}"
        for v in index.get("versions") or []
        for b in v["manifest"]["builds"]
        for f in b["files"]
        if sha256 and f["sha256"] == sha256
    ]
    return f" ({', '.join(names)})" if names else ""


def _sha256_file(path: Path) -> tuple[str, int]:
    from registry.hashing import sha256_file

    return sha256_file(path)


def import_versions(
    session: Session,
    store: BlobStore,
    versions: list[dict[str, Any]],
    blob: Callable[[str], Path],
    envelopes: Callable[[dict[str, Any]], list[dict[str, Any]]],
    report: ImportReport,
) -> ImportReport:
    """Publish each version (bytes first, verified; the same bytes again is a no-op) and keep its signatures.
    ``blob(sha256)`` gives a local file holding that blob; ``envelopes(version)`` the version's envelopes."""
    for v in versions:
        manifest = Manifest.model_validate(v["manifest"])
        for b in manifest.builds:
            for f in b.files:
                assert f.sha256 is not None
                if not store.exists(f.sha256):
                    info = store.put_file(blob(f.sha256), expected_sha256=f.sha256, expected_size=f.size)
                    report.blobs_stored += int(info.created)
        result = publish_uploaded(session, store, manifest)
        session.flush()  # the sessions do not autoflush: the rows must be visible to the reads below
        ref = f"{result.model}@{result.version}"
        (report.versions_created if result.created else report.versions_present).append(ref)
        if result.created and v.get("status") in (DEPRECATED, YANKED):
            action = "deprecate" if v["status"] == DEPRECATED else "yank"
            getattr(lifecycle, action)(session, result.model, result.version, v.get("status_reason"))
        detail = show_model(session, result.model, result.version)
        for envelope in envelopes(v):
            store_envelope(session, detail, envelope)
            report.signatures += 1
    return report


def import_devices(session: Session, snapshot: dict[str, Any]) -> int:
    """Add the snapshot's devices and names this catalog lacks (nothing existing is changed)."""
    have = set(session.scalars(select(Device.chipset)))
    slugs = set(session.scalars(select(Device.slug)))
    added = 0
    for d in snapshot.get("devices") or []:
        if d["chipset"] not in have and d["slug"] not in slugs:
            session.add(Device(**d))
            have.add(d["chipset"])
            added += 1
    session.flush()
    keys = set(session.scalars(select(DeviceName.key)))
    for n in snapshot.get("names") or []:
        if n["key"] not in keys and n["chipset"] in have:
            session.add(DeviceName(**n))
            keys.add(n["key"])
    session.flush()
    return added


def import_bundle(session: Session, store: BlobStore, path: Path, work: Path) -> ImportReport:
    """Check the whole bundle, then load it: devices, blobs, versions, signatures."""
    index, files = read_bundle(path, work)
    report = ImportReport()
    report.devices_added = import_devices(session, json.loads(files["devices.json"].read_bytes()))

    def envelopes(v: dict[str, Any]) -> list[dict[str, Any]]:
        data = json.loads(files[v["signatures"]].read_bytes())
        return list(data) if isinstance(data, list) else []

    return import_versions(
        session, store, index["versions"], lambda sha: files[f"blobs/sha256/{sha}"], envelopes, report
    )
